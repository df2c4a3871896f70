"""Which pages an edit of fact files can change: the rule kb serve renders by.

A record page shows the record and what lies within two steps of it in the graph of
references (a relationship's other parties in an organization's diagram, the labels of the
records citing a source it cites), and every label follows from its own record's data alone.
So an edit can change only the pages of the records within two steps of an edited record,
before or after the edit, and the pages that are not a record's (the indexes, the timeline,
the home page: few, and cheap). tests/test_serve_rebuild.py checks after random edits that
this gives exactly what rendering every page gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import jinja2

from ..model import KnowledgeBase, Record
from .render import PAGE_KINDS, Site, render_record_pages

# How far in the graph a page's content reaches (see above).
PAGE_REACH = 2


def edited_records(before: KnowledgeBase, after: KnowledgeBase) -> set[str] | None:
    """The ids of the records whose data the edit changed; None when it added or removed a
    record (then the pages themselves change: render everything)."""
    if before.records.keys() != after.records.keys():
        return None
    return {
        record_id
        for record_id, record in after.records.items()
        if record.data != before.records[record_id].data
    }


def _within_reach(kb: KnowledgeBase, ids: Iterable[str]) -> set[str]:
    reached = {record_id for record_id in ids if record_id in kb.records}
    frontier = set(reached)
    for _ in range(PAGE_REACH):
        step: set[str] = set()
        for record_id in frontier:
            record = kb.records[record_id]
            step.update(reference.target for reference in record.references)
            step.update(backlink.record.id for backlink in record.backlinks)
        frontier = {record_id for record_id in step if record_id in kb.records} - reached
        reached |= frontier
    return reached


def render_after_edit(
    before: KnowledgeBase,
    after: KnowledgeBase,
    env: jinja2.Environment,
    carried: Mapping[str, bytes],
    last_changed: Mapping[str, str] | None = None,
) -> dict[str, str] | None:
    """The pages an edit from `before` to `after` can change, rendered from `after` with
    `env` (make_environment's); None when every page must render (records added or removed).
    `carried`: the pages of content/ (the home page renders content/index.md);
    `last_changed`: as render_pages."""
    edited = edited_records(before, after)
    if edited is None:
        return None
    near = _within_reach(before, edited) | _within_reach(after, edited)
    records: list[Record] = [after.records[record_id] for record_id in sorted(near)]
    site = Site(
        kb=after,
        env=env,
        carried=carried,
        last_changed=last_changed or {},
    )
    pages = dict(render_record_pages(site, records))
    for name, page_kind in PAGE_KINDS:
        if name != "records":
            pages.update(page_kind(site))
    return pages
