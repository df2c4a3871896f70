"""Quotes recorded twice: two quote records whose words are the same, once typographic quotes,
dashes, ellipses and whitespace are read alike (textmatch.py), are most likely one quote
entered twice (from two articles reporting it, say). A warning: the same words may really
have been said twice, and then both records stand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..load import FactFile
from ..problems import ProblemCollector
from ..textmatch import normalize


class _Record(Protocol):  # validate.CheckedRecord, without importing validate (no cycle)
    fact: FactFile

    @property
    def kind(self) -> str: ...


def check_duplicate_quotes(records: Iterable[_Record], collector: ProblemCollector) -> None:
    first_with: dict[str, _Record] = {}
    for record in sorted(records, key=lambda record: record.fact.rel):
        text = (record.fact.data or {}).get("text") if record.kind == "quote" else None
        words = normalize(text) if isinstance(text, str) else ""
        if not words:
            continue
        first = first_with.setdefault(words.casefold(), record)
        if first is record:
            continue
        collector.add(
            record.fact.problem(
                ("text",),
                f"the same words as the quote in {first.fact.rel} ('{first.fact.id}'): "
                "likely a duplicate; keep one record and cite every source there",
                "duplicate-quote",
                severity="warning",
            )
        )
