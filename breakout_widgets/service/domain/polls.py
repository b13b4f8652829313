"""Poll rules: 2-10 options, one choice per person, counts per option."""

from __future__ import annotations

from collections.abc import Iterable

from ...errors import InvalidInput
from .chat import clean_text

MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_QUESTION = 500


def check_poll(question: object, options: object, max_option: int = 100) -> tuple[str, list[str]]:
    question = clean_text(question, MAX_QUESTION, "question").strip()
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise InvalidInput(f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options")
    clean = [clean_text(o, max_option, "option").strip() for o in options]
    if len(set(clean)) != len(clean):
        raise InvalidInput("the options of a poll must differ")
    return question, clean


def option_index(options: list[str], choice: object) -> int:
    """A vote names an option by its text or its index."""
    if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < len(options):
        return choice
    if isinstance(choice, str) and choice in options:
        return options.index(choice)
    raise InvalidInput(f"'{choice}' is not an option of this poll; options: {options}")


def tally(options: list[str], votes: Iterable[int]) -> dict[str, int]:
    counts = dict.fromkeys(options, 0)
    for index in votes:
        counts[options[index]] += 1
    return counts
