"""The git history of facts/: which fact file each commit added, changed or removed, and when.

An input of the build beside the fact files themselves: the pages say when each record was last
changed, and the Atom feed (export/feed.py) lists the last changes. The history read is the git
repository whose top folder is the knowledge base's root; when there is none (a copy without
.git, git not installed, a knowledge base inside another project's repository, as the test
fixtures are) there is no history, and `History.reason` says why. Same repository, same result:
nothing here reads a clock.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

GIT_TIMEOUT_SECONDS = 60
_HASH = re.compile(r"[0-9a-f]{40}")
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


def read_changes(root: Path, limit: int | None = None) -> list[Change]:
    """The changes to fact files, newest first (the last `limit` of them); NoHistory when
    there is none."""
    top = _git(root, "rev-parse", "--show-toplevel").strip()
    if not top or Path(top).resolve() != root.resolve():
        raise NoHistory("the knowledge base is not the top folder of a git repository")
    # Every commit listed changes at least one fact file, so `limit` commits are enough.
    output = _git(
        root,
        "-c",
        "core.quotepath=off",
        "log",
        *([f"--max-count={limit}"] if limit is not None else []),
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
    return changes[:limit] if limit is not None else changes


@dataclass
class History:
    """What git says of facts/: every change, newest first, and each file's last change."""

    changes: list[Change] = field(default_factory=list)
    reason: str | None = None  # why there is no history, when there is none

    @cached_property
    def last_changed(self) -> dict[str, str]:
        """The date (YYYY-MM-DD) of each fact file's last change, by its path (facts/...)."""
        dates: dict[str, str] = {}
        for change in self.changes:
            dates.setdefault(change.path, change.date[:10])
        return dates


def read_history(root: Path) -> History:
    try:
        return History(read_changes(root))
    except NoHistory as reason:
        return History(reason=str(reason))
