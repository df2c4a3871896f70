"""One build at a time per knowledge base.

Two builds of the same knowledge base at once (two `kb build`, or `kb serve` and `kb build`)
write the same build/docs/ and site/: one removed the other's temporary site folder, which
then still exited 0 with half a site published. So `kb build` takes a lock for the whole
build, and `kb serve` for as long as it serves (it keeps build/docs/ up to date and trusts it
to be as it left it). A second one is refused at once, with who holds the lock.

The lock is `fcntl.flock` on `.cache/build.lock`: the system releases it when the process
ends, however it ends, so a killed build never leaves a stale lock behind. The file itself
stays (removing it would let two processes lock two different files).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .project import Project

LOCK_FILE = "build.lock"


class BuildLocked(Exception):
    """Another process builds or serves this knowledge base; the message says which."""


@contextmanager
def build_lock(project: Project, command: str) -> Iterator[None]:
    """Hold the knowledge base's build lock for the block, or raise BuildLocked at once.

    `command` ("kb build", "kb serve") is written into the lock file, so that a second
    command can say what it waits for."""
    project.cache_dir.mkdir(parents=True, exist_ok=True)
    path = project.cache_dir / LOCK_FILE
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as error:  # a link planted there, a read-only folder
        raise BuildLocked(
            f".cache/{LOCK_FILE}: cannot be opened ({error.strerror}): delete it and run "
            f"{command} again"
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
            who = f" ({holder})" if holder else ""
            raise BuildLocked(
                f"another build of this knowledge base is running{who}: wait for it to "
                f"finish (or stop it), then run {command} again"
            ) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{command}, process {os.getpid()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
