"""What simulated students are called and what they say: plain data and seeded choices."""

from __future__ import annotations

import random
from collections.abc import Iterable

FIRST_NAMES = (
    "Aarav", "Abena", "Ada", "Aiko", "Alan", "Alejandro", "Amara", "Amir", "Ana", "Anders",
    "Anjali", "Arjun", "Astrid", "Ayesha", "Beatriz", "Ben", "Bilal", "Camila", "Carlos",
    "Chen", "Chidi", "Chloe", "Dara", "Daniel", "Dmitri", "Elena", "Elif", "Emeka", "Emma",
    "Esther", "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hana", "Hassan", "Ines",
    "Ivan", "Jamal", "Jana", "Javier", "Jin", "Joao", "Jonas", "Kai", "Kavya", "Kenji",
    "Kofi", "Lars", "Layla", "Leila", "Leo", "Lina", "Luca", "Lucia", "Malik", "Maria",
    "Mateo", "Maya", "Mei", "Mia", "Mina", "Mohammed", "Nadia", "Nia", "Nikhil", "Noah",
    "Nora", "Oliver", "Omar", "Paula", "Priya", "Rafael", "Rania", "Ravi", "Rosa", "Ruth",
    "Sam", "Sana", "Sara", "Sofia", "Soren", "Tariq", "Thabo", "Tomas", "Uma", "Valentina",
    "Wei", "Yara", "Yusuf", "Zainab", "Zara", "Zoe",
)  # fmt: skip

GREETINGS = (
    "Hi all!",
    "Hello 👋",
    "Hey, who wants to start?",
    "Hi! Shall we read the task first?",
    "Hello everyone",
)

LINES = (
    "I think it's the second one.",
    "Can someone explain step 2?",
    "Good point!",
    "Let's split the work.",
    "I'll take notes.",
    "Agreed 👍",
    "What do you all think?",
    "I got a different answer, let me check.",
    "Should we ask for help?",
    "Oh, that makes sense now.",
    "Let's try an example.",
    "Can we go back to the first question?",
    "I'm not sure, but maybe we should draw it.",
    "Nice, that works!",
    "How much time do we have left?",
)


def pick_names(n: int, rng: random.Random, taken: Iterable[str] = ()) -> list[str]:
    """``n`` distinct first names not in ``taken``; numbered once the list runs out."""
    used = set(taken)
    free = [name for name in FIRST_NAMES if name not in used]
    names = rng.sample(free, min(n, len(free)))
    round_ = 2
    while len(names) < n:  # more students than names: "Ada 2", "Ben 2", …
        for name in FIRST_NAMES:
            candidate = f"{name} {round_}"
            if candidate not in used and len(names) < n:
                names.append(candidate)
        round_ += 1
    return names


def line(rng: random.Random, first: bool) -> str:
    """A short friendly chat line; the first one in a room is a greeting."""
    return rng.choice(GREETINGS if first else LINES)
