"""`kb verify`: every excerpt and quote that cites a source, checked against the source's text.

The text of a source is not stored in the repository; a contributor keeps a saved copy and
names it. What is checked, for source S:

- every `citations` entry, at any depth of any record, whose `source` or `via` is S and which
  has an `excerpt` (an excerpt cited `via` S was taken from S, the go-between);
- the `text` of every quote with such a citation (any citation naming S, excerpt or not).

Both sides are compared as a reader sees them (textmatch.py): typographic quotes, dashes,
ellipses and whitespace written any way match. An excerpt not found is reported at its place
in the fact file, with the closest passage of the text and the line it is on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..load import FactFile, FieldPath
from ..problems import Problem
from ..textmatch import normalize, normalize_with_offsets
from ..validate import citations_in

# The closest passage is searched among windows starting at each word; on a long text only
# every few words (a book-length source would otherwise take minutes).
_MAX_WINDOWS = 4_000


@dataclass(frozen=True)
class Excerpt:
    """Words a fact file says come from the source: an excerpt, or a quote's text."""

    fact: FactFile
    path: FieldPath
    text: str


def excerpts_citing(facts: list[FactFile], source_id: str) -> list[Excerpt]:
    """The excerpts and quote texts taken from `source_id`, in file order."""
    found = []
    for fact in sorted(facts, key=lambda fact: fact.rel):
        if not isinstance(fact.data, dict):
            continue
        cites_it = False
        for path, citation in citations_in(fact.data):
            if source_id not in (citation.get("source"), citation.get("via")):
                continue
            cites_it = True
            excerpt = citation.get("excerpt")
            if isinstance(excerpt, str) and excerpt.strip():
                found.append(Excerpt(fact, path + ("excerpt",), excerpt))
        text = fact.data.get("text")
        if cites_it and fact.folder == "quotes" and isinstance(text, str) and text.strip():
            found.append(Excerpt(fact, ("text",), text))
    return found


@dataclass(frozen=True)
class Passage:
    """Where in the source's text a passage is: its words as written, and its line."""

    text: str
    line: int
    similarity: float


class SourceText:
    """A source's saved text, searchable as a reader sees it."""

    def __init__(self, text: str):
        self.text = text
        self.normalized, self.offsets = normalize_with_offsets(text)
        starts = [0] + [i + 1 for i, ch in enumerate(self.normalized) if ch == " "]
        step = max(1, len(starts) // _MAX_WINDOWS)
        self.word_starts = starts[::step]

    def contains(self, words: str) -> bool:
        return normalize(words) in self.normalized

    def closest(self, words: str) -> Passage | None:
        """The passage of the text nearest to `words` by spelling (difflib), of about their
        length, starting at a word."""
        wanted = normalize(words)
        if not wanted or not self.normalized:
            return None
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(wanted)
        best: tuple[float, int, int] | None = None
        for start in self.word_starts:
            end = min(len(self.normalized), start + len(wanted))
            matcher.set_seq1(self.normalized[start:end])
            if best is not None and matcher.real_quick_ratio() <= best[0]:
                continue
            if best is not None and matcher.quick_ratio() <= best[0]:
                continue
            ratio = matcher.ratio()
            if best is None or ratio > best[0]:
                best = (ratio, start, end)
        if best is None:
            return None
        ratio, start, end = best
        first, last = self.offsets[start], self.offsets[end - 1] + 1
        line = self.text.count("\n", 0, first) + 1
        return Passage(" ".join(self.text[first:last].split()), line, ratio)


def verify_excerpts(excerpts: list[Excerpt], source: SourceText, text_name: str) -> list[Problem]:
    """A problem, at its place in the fact file, for each excerpt the text does not hold."""
    problems = []
    for excerpt in excerpts:
        if source.contains(excerpt.text):
            continue
        what = "quote" if excerpt.path == ("text",) else "excerpt"
        passage = source.closest(excerpt.text)
        if passage is None:
            nearest = f"{text_name} has no text to compare"
        else:
            nearest = (
                f"the closest passage, line {passage.line} of {text_name} "
                f'({passage.similarity:.0%} alike), reads: "{passage.text}"'
            )
        problems.append(
            excerpt.fact.problem(
                excerpt.path,
                f"{what} not found in {text_name}; {nearest}",
                "excerpt-not-found",
            )
        )
    return problems
