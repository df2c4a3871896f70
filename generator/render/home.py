"""What the home page shows besides its introduction: the ways in that the model gives.

How many records there are of each kind (each a link to its index), the latest dated events
and the records referred to most; and how `content/index.md`, the knowledge base's own
introduction when it has one, is split around them: its front matter and its text up to its
first `##` heading come first, the rest of it after the ways in. render.render_home renders
the page through `home.md.j2` (overridable, like every template).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import KnowledgeBase, Record

LATEST_EVENTS = 5
MOST_REFERENCED = 8
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*\n", re.DOTALL)
_FENCE = re.compile(r"^(`{3,}|~{3,})")


@dataclass(frozen=True)
class KindCount:
    """A kind's line on the home page: how many records it has, and its index."""

    kind: str
    count: int
    label: str  # 'organizations', or 'organization' for one
    index: str  # the index page, in the build folder


@dataclass(frozen=True)
class Referenced:
    """A record and how many other records refer to it (citations aside)."""

    record: Record
    count: int


def kind_counts(kb: KnowledgeBase, kinds: list[str]) -> list[KindCount]:
    counts = []
    for kind in kinds:
        schema = kb.schemas.kinds[kind]
        count = len(kb.by_kind.get(kind, []))
        label = schema.title.lower() if count == 1 else schema.plural
        counts.append(KindCount(kind, count, label, f"{schema.plural}/index.md"))
    return counts


def latest_events(kb: KnowledgeBase, limit: int = LATEST_EVENTS) -> list[Record]:
    """The events with the latest dates, latest first (the timeline's order, reversed);
    undated events, and those dated only by an end ('until 2018'), are not among them."""
    dated = [
        event
        for event in kb.by_kind.get("event", [])
        if event.date("date") and event.date("date").start is not None
    ]
    dated.sort(key=lambda event: (event.date("date").sort_key, event.sort_key), reverse=True)
    return dated[:limit]


def _cites(path: tuple) -> bool:
    # A citation's source (or the source it was found through), as the model reads them.
    return bool(path) and path[-1] in ("source", "via")


def most_referenced(kb: KnowledgeBase, limit: int = MOST_REFERENCED) -> list[Referenced]:
    """The records the most other records refer to, by fields or by links in their text.
    Citations are not counted: every record cites a source, and the sources would lead."""
    found = []
    for record in kb.records.values():
        referring = {
            backlink.record.id
            for backlink in record.backlinks
            if not _cites(backlink.path) and backlink.record is not record
        }
        if referring:
            found.append(Referenced(record, len(referring)))
    found.sort(key=lambda item: (-item.count, item.record.sort_key))
    return found[:limit]


def split_home_text(text: str) -> tuple[str | None, str, str]:
    """(front matter block or None, the text before its first `##` heading, the rest)."""
    front = _FRONT_MATTER.match(text)
    block = front.group(0) if front else None
    body = text[front.end() :] if front else text
    fence = None
    offset = 0
    for line in body.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None and line.lstrip().startswith(fence * 3):
            fence = None
        elif fence is None and line.startswith("## "):
            return block, body[:offset], body[offset:]
        offset += len(line)
    return block, body, ""
