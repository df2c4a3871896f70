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


def likely_typo(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate `value` is most likely a misspelling of, case ignored: the nearest by
    spelling among those at most one edit per four characters away (at least one edit).

    For record ids, where `closest` is too eager: an id merely like an existing one (`huawei`
    for `huawei-p20-pro`) is more often a record not written yet than a typo.
    """
    pool = {candidate.lower(): candidate for candidate in candidates}
    wanted = str(value).lower()
    allowed = max(1, len(wanted) // 4)
    for match in difflib.get_close_matches(wanted, list(pool), n=5, cutoff=0.6):
        if edit_distance(wanted, match) <= allowed:
            return pool[match]
    return None


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions, one each."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
