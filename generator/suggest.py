"""Did-you-mean suggestions, shared by every check that names an unknown value."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate nearest to `value` by spelling, case ignored; None when nothing is close."""
    pool = {candidate.lower(): candidate for candidate in candidates}
    match = difflib.get_close_matches(str(value).lower(), list(pool), n=1, cutoff=cutoff)
    return pool[match[0]] if match else None


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest candidate, or '' when none is near."""
    match = closest(value, candidates)
    return f" (did you mean '{match}'?)" if match is not None else ""
