"""Stage 4b, export: the model as data for machines, files beside the pages.

Contract: takes the finished, valid model (stage 3) and the git history of facts/
(load/history.py); returns {build-folder path: bytes} and notes for the person building; writes
nothing. The write stage writes these files with the pages, so mkdocs copies them into
site/ and `kb serve` serves them too.

- `api.py`        api/v1/: one JSON document per record, a list per kind, all.json, index.json
- `api_schema.py` api/v1/schema/: the JSON Schema of those documents, from the record schemas
- `tables.py`     api/v1/<plural>.csv: one row per record, for spreadsheets
- `feed.py`       feed.xml: an Atom feed of the last changes to facts/, from git

Every file is a function of the model (and, for the feed, of the git history) alone: no clock,
no absolute path, stable orders, so two builds of the same input give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..load.history import History
from ..model import KnowledgeBase
from .api import API_ROOT, api_files
from .api_schema import api_schema_files
from .feed import FEED_PATH, feed_file
from .tables import csv_files

__all__ = ["API_ROOT", "FEED_PATH", "Export", "export_files"]


@dataclass
class Export:
    """The exported files by build-folder path, and what the build should say about them."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def export_files(kb: KnowledgeBase, history: History) -> Export:
    """Every exported file of the knowledge base, whose facts/ has `history`."""
    export = Export()
    export.files.update(api_files(kb))
    export.files.update(api_schema_files(kb.schemas))
    export.files.update(csv_files(kb))
    feed, note = feed_file(kb, history)
    export.files[FEED_PATH] = feed
    if note:
        export.notes.append(note)
    return export
