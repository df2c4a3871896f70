"""feed.xml: an Atom feed (RFC 4287) of the last changes to the facts, from git's history.

One entry per record added, changed or removed by a commit, newest first, the last
FEED_ENTRIES of them: when (the commit's date), what (the record, its kind, added/changed/
removed), by whom (the commit's author name; no e-mail address) and the commit's subject, with
a link to the record's page (to its kind's index for a record that no longer exists).

No site address is configured (mkdocs.yml has no site_url), so none is invented: links are
relative to the feed, which sits at the site's root (`organizations/huawei/`), and ids are
`urn:uuid:` names derived from the commit and the file. The history read is the git
repository whose top folder is the knowledge base's root; when there is none (a copy without
.git, git not installed, a knowledge base inside another project's repository), the feed has
no entries and the build says why. Same history, same bytes.
"""

from __future__ import annotations

import re
import uuid
from xml.sax.saxutils import escape, quoteattr

from ..load.history import VERBS, Change, History
from ..model import KnowledgeBase

FEED_PATH = "feed.xml"
FEED_ENTRIES = 50
FEED_TITLE = "Handset Atlas: changes to the facts"
# The namespace of the feed's and entries' urn:uuid: ids (uuid5), fixed once for all builds.
FEED_NAMESPACE = uuid.UUID("5b0f2d4e-6a43-4c1e-9a57-3c0e8f2b7d19")
# When there is no history: the feed must say when it was updated, and there is no clock.
NO_HISTORY_DATE = "1970-01-01T00:00:00Z"
# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def _entry(kb: KnowledgeBase, change: Change) -> str:
    parts = change.path.split("/")
    plural, record_id = (parts[1], parts[-1].removesuffix(".yaml")) if len(parts) == 3 else ("", "")
    schema = kb.schemas.by_plural.get(plural)
    record = kb.get(record_id)
    if record is not None and record.schema.plural == plural:
        name, href, kind = record.label, record.url, record.schema.title
    else:
        name = record_id or change.path
        href = f"{plural}/" if schema is not None else "./"
        kind = schema.title if schema is not None else "Fact file"
    verb = VERBS[change.status]
    entry_id = uuid.uuid5(FEED_NAMESPACE, f"{change.commit}:{change.path}")
    return "".join(
        [
            "  <entry>\n",
            f"    <id>urn:uuid:{entry_id}</id>\n",
            f"    <title>{_text(f'{kind} {verb}: {name}')}</title>\n",
            f"    <updated>{_text(change.date)}</updated>\n",
            f"    <author><name>{_text(change.author)}</name></author>\n",
            f'    <link rel="alternate" type="text/html" href={_attr(href)}/>\n',
            f"    <summary>{_text(f'{change.path} {verb} by commit {change.commit[:12]}: ')}"
            f"{_text(change.subject)}</summary>\n",
            "  </entry>\n",
        ]
    )


def feed_file(kb: KnowledgeBase, history: History) -> tuple[bytes, str | None]:
    """The feed, and a note for the build's output when there is no history to read."""
    note = None
    changes = history.changes[:FEED_ENTRIES]
    if history.reason is not None:
        note = f"{FEED_PATH}: no entries: {history.reason} (the feed lists the changes git records)"
    updated = changes[0].date if changes else NO_HISTORY_DATE
    head = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<feed xmlns="http://www.w3.org/2005/Atom">\n',
        f"  <id>urn:uuid:{uuid.uuid5(FEED_NAMESPACE, 'feed')}</id>\n",
        f"  <title>{_text(FEED_TITLE)}</title>\n",
        f"  <updated>{_text(updated)}</updated>\n",
        '  <link rel="alternate" type="text/html" href="./"/>\n',
        f'  <link rel="self" type="application/atom+xml" href="{FEED_PATH}"/>\n',
    ]
    body = [_entry(kb, change) for change in changes]
    return "".join([*head, *body, "</feed>\n"]).encode("utf-8"), note
