"""What a build remembers between runs, under `<root>/.cache/`, so unchanged input costs little.

`RecordCache` keeps the plain data of every fact file that read cleanly, keyed by a hash of
the file's bytes: an unchanged file (or one renamed, or changed back) is not parsed again. The
whole cache belongs to one version of the generator: its name carries a fingerprint of the
package's code and schemas (`code_fingerprint`), so changing either starts afresh.

Nothing read from the cache is trusted blindly. The file carries a checksum of its body and the
fingerprint it was made for; a cache that is unreadable, truncated, edited, of another version
or of another shape is ignored (and rewritten by the next run), never an error.

NOTE: the checksum is keyed (BLAKE2b with a key of this machine's user, in their own cache
folder, outside every knowledge base), so it cannot be recomputed by whoever can write
`.cache/`. A cache file committed in a pull request (`git add -f .cache/...`) with data that is
not what its fact files say would otherwise be published by the next build that checks out the
branch, while `kb check` and the reviewers read the YAML. A cache made elsewhere is discarded.

Files that produced any problem, even a warning, are never cached, so their report is always
made afresh. The cache holds JSON, which can only ever produce plain data; it is written to a
temporary file and renamed into place, so an interrupted run leaves the old cache or the new
one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import orjson

CACHE_FORMAT = 1
PACKAGE_DIR = Path(__file__).resolve().parents[1]
RECORDS_FILE_PREFIX = "records-"


@cache
def code_fingerprint() -> str:
    """A hash of the generator's code, schemas and templates: what a cached result depends on
    besides the facts. Computed once per process (the package does not change while it runs)."""
    digest = hashlib.blake2b(digest_size=16)
    patterns = ("**/*.py", "schemas/*.yaml", "render/templates/**/*")
    paths = sorted({path for pattern in patterns for path in PACKAGE_DIR.glob(pattern)})
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    digest.update(f"format {CACHE_FORMAT}".encode())
    return digest.hexdigest()


def content_key(raw: bytes) -> str:
    """The cache key of a file's bytes."""
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


# The key of the checksums: this machine's user's, outside any knowledge base (see above).
KEY_FILE = "handset-atlas/cache-key"
KEY_BYTES = 32


@cache
def _checksum_key() -> bytes | None:
    """The user's cache key, made on first use; None (no caching) if it cannot be had."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(handle, "rb") as key_file:
            key = key_file.read(KEY_BYTES + 1)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def _checksum(body: bytes) -> str | None:
    key = _checksum_key()
    if key is None:
        return None
    return hashlib.blake2b(body, digest_size=20, key=key).hexdigest()


def read_checked_json(path: Path) -> Any:
    """The JSON body of a cache file written by `write_checked_json`, or None if the file is
    missing or does not match its checksum line (truncated, edited, corrupted)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, body = raw.partition(b"\n")
    checksum = _checksum(body)
    if checksum is None or not hmac.compare_digest(header, checksum.encode("ascii")):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # broken, or nested too deeply: never an error
        return None


def write_checked_json(path: Path, value: Any) -> bool:
    """Write `value` as JSON under a checksum line, atomically. False if it could not be
    written (a read-only folder, a full disk): a cache is an optimisation, never a failure."""
    # orjson: the bytes json.dumps(ensure_ascii=False, separators=(",", ":")) would write, in a
    # fifteenth of the time (a second of a cold build at 10,000 records). Reading stays with
    # json, which is as fast as orjson on these files.
    try:
        body = orjson.dumps(value)
    except TypeError:  # what orjson declines (a key that is not a string, a huge integer)
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    checksum = _checksum(body)
    if checksum is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(checksum.encode("ascii") + b"\n" + body)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


class RecordCache:
    """Parsed fact files by content hash, for one version of the generator.

    `get` and `put` work in memory; `save` writes the cache back when it changed, keeping only
    the entries this run used, so it never grows beyond the knowledge base.
    """

    def __init__(self, cache_dir: Path):
        self.path = cache_dir / f"{RECORDS_FILE_PREFIX}{code_fingerprint()}.json"
        self.cache_dir = cache_dir
        self.entries: dict[str, dict] = {}
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0
        self._changed = False
        loaded = read_checked_json(self.path)
        if isinstance(loaded, dict) and loaded.get("format") == CACHE_FORMAT:
            records = loaded.get("records")
            if isinstance(records, dict):
                # Each entry is checked again when it is used (load.read_fact_file: within
                # the limits a fact file has, or read afresh).
                self.entries = {
                    key: data for key, data in records.items() if isinstance(data, dict)
                }

    def get(self, key: str) -> dict | None:
        data = self.entries.get(key)
        if data is None:
            self.misses += 1
            return None
        self.hits += 1
        self.used.add(key)
        return data

    def put(self, key: str, data: dict) -> None:
        self.entries[key] = data
        self.used.add(key)
        self._changed = True

    def save(self) -> None:
        """Write the entries used since the last save, if anything changed, and forget the
        others (old versions of edited files); remove caches of other generator versions.

        A long-running `kb serve` saves after every build, so its cache stays the size of the
        knowledge base however many edits it sees."""
        unused = set(self.entries) - self.used
        if not self._changed and not unused:
            self.used = set()
            return
        self.entries = {key: self.entries[key] for key in sorted(self.used)}
        self.used = set()
        if write_checked_json(self.path, {"format": CACHE_FORMAT, "records": self.entries}):
            self._changed = False
            for stale in self.cache_dir.glob(f"{RECORDS_FILE_PREFIX}*.json"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)
