"""What Pagefind indexed in a built site, read back for the tests: one entry per indexed page.

Pagefind writes each page's record as a "fragment": gzip-compressed JSON behind a short
signature (pagefind/fragment/*.pf_fragment), with the page's URL, its indexed text
(`content`), its metadata (`meta`: title, kind, names) and its filters (`filters`: kind).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

SIGNATURE = b"pagefind_dcd"


def indexed_pages(site: Path) -> dict[str, dict]:
    """URL -> fragment of every page Pagefind indexed in `site` (raises if there is no index)."""
    fragments = sorted((site / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert fragments, f"no Pagefind index in {site}"
    pages = {}
    for path in fragments:
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(SIGNATURE), f"{path}: not a Pagefind fragment"
        fragment = json.loads(data[len(SIGNATURE) :])
        pages[fragment["url"]] = fragment
    return pages


def search_index_text(site: Path) -> str:
    """The title and indexed text of every page, one after the other."""
    return "\n".join(
        page["meta"].get("title", "") + "\n" + page["content"]
        for page in indexed_pages(site).values()
    )
