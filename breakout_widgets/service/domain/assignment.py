"""How people are split into rooms."""

from __future__ import annotations

import random
from collections.abc import Sequence


def even_split(
    people: Sequence[str], rooms: Sequence[str], seed: int | str | None = None
) -> dict[str, str]:
    """Map each person to a room so that room sizes differ by at most one.

    ``people`` should come in a stable order (the caller sorts by name); the same seed on
    the same people and rooms always gives the same split. With at least as many people
    as rooms no room is empty. ``seed=None`` draws a fresh random split.
    """
    if not rooms:
        return {}
    order = list(people)
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    rng.shuffle(order)
    return {person: rooms[i % len(rooms)] for i, person in enumerate(order)}
