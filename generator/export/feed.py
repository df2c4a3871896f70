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

import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..model import KnowledgeBase

FEED_PATH = "feed.xml"
FEED_ENTRIES = 50
FEED_TITLE = "Handset Atlas: changes to the facts"
# The namespace of the feed's and entries' urn:uuid: ids (uuid5), fixed once for all builds.
FEED_NAMESPACE = uuid.UUID("5b0f2d4e-6a43-4c1e-9a57-3c0e8f2b7d19")
# When there is no history: the feed must say when it was updated, and there is no clock.
NO_HISTORY_DATE = "1970-01-01T00:00:00Z"
GIT_TIMEOUT_SECONDS = 60
_HASH = re.compile(r"[0-9a-f]{40}")
# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
VERBS = {"A": "added", "M": "changed", "D": "removed"}


@dataclass(frozen=True)
class Change:
    commit: str
    date: str  # the commit's date: git's strict ISO 8601 is RFC 3339, as Atom wants
    author: str
    subject: str
    status: str  # A, M or D
    path: str  # facts/<plural>/<id>.yaml


class NoHistory(Exception):
    """Why the feed has no entries."""


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            env=env,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise NoHistory("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise NoHistory("git log took too long") from None
    if completed.returncode != 0:
        said = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NoHistory(said[0] if said else f"git exited with {completed.returncode}")
    return completed.stdout.decode("utf-8", "replace")


def read_changes(root: Path, limit: int = FEED_ENTRIES) -> list[Change]:
    """The last `limit` changes to fact files, newest first; NoHistory when there is none."""
    top = _git(root, "rev-parse", "--show-toplevel").strip()
    if not top or Path(top).resolve() != root.resolve():
        raise NoHistory("the knowledge base is not the top folder of a git repository")
    # Every commit listed changes at least one fact file, so `limit` commits are enough.
    output = _git(
        root,
        "-c",
        "core.quotepath=off",
        "log",
        f"--max-count={limit}",
        "-z",
        "--no-renames",
        "--format=%x1e%H%x1f%cI%x1f%an%x1f%s",
        "--name-status",
        "--",
        str(root / "facts"),  # absolute: it names this knowledge base's facts and no other
    )
    changes: list[Change] = []
    for chunk in output.split("\x1e"):
        header, _, files = chunk.partition("\0")
        parts = header.split("\x1f", 3)
        if len(parts) != 4 or not _HASH.fullmatch(parts[0]):
            continue  # not a commit's record (a subject holding the separator): skipped
        fields = files.lstrip("\n").split("\0")
        for status, path in zip(fields[0::2], fields[1::2], strict=False):
            if status in VERBS and path.startswith("facts/") and path.endswith(".yaml"):
                changes.append(Change(parts[0], parts[1], parts[2], parts[3], status, path))
    return changes[:limit]


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


def feed_file(kb: KnowledgeBase, root: Path) -> tuple[bytes, str | None]:
    """The feed, and a note for the build's output when there is no history to read."""
    note = None
    try:
        changes = read_changes(root)
    except NoHistory as reason:
        changes = []
        note = f"{FEED_PATH}: no entries: {reason} (the feed lists the changes git records)"
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
