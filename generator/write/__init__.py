"""Stage 5: pages written into the build folder, and the finished site swapped into place.

The build folder (`build/docs/`) belongs to the generator: after `write_pages` it holds exactly
the pages it was given. A file whose bytes did not change is not touched, so its modification
time stays and `mkdocs serve --dirty` (and anything else watching) rebuilds only what changed.
Files no page claims any more are deleted. Nothing is ever written outside the folder: a page
path that would leave it is refused before anything is written.

Each file is written to a temporary name beside it and renamed over the old one, so an
interrupted build leaves every file either old or new, never half-written.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Temporary files and folders this module creates start with this, so a later run can tell its
# own leftovers (from a killed process) from anyone else's files.
TEMP_PREFIX = ".kb-tmp-"


class UnsafePagePath(ValueError):
    """A page path that is absolute, climbs out with '..', or is otherwise not a plain
    relative path inside the build folder."""


@dataclass
class WriteReport:
    """What `write_pages` did, by build-folder path."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def check_page_path(path: str) -> PurePosixPath:
    """The page path as a relative POSIX path inside the build folder, or UnsafePagePath."""
    if not path or "\\" in path or "\0" in path:
        raise UnsafePagePath(f"page path {path!r} is not a plain relative path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in path.split("/")):
        raise UnsafePagePath(f"page path {path!r} would leave the build folder")
    if any(part.startswith(TEMP_PREFIX) for part in pure.parts):
        raise UnsafePagePath(f"page path {path!r} uses the reserved prefix {TEMP_PREFIX!r}")
    return pure


def _inside(folder: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _same_bytes(target: Path, status: os.stat_result | None, data: bytes) -> bool:
    """Whether `target` (whose lstat is `status`) is a regular file holding exactly `data`."""
    if status is None or not stat.S_ISREG(status.st_mode) or status.st_size != len(data):
        return False
    try:
        return target.read_bytes() == data
    except OSError:
        return False


def _lstat(target: Path) -> os.stat_result | None:
    try:
        return os.lstat(target)
    except OSError:
        return None


def _fresh_name(folder: Path, stem: str) -> Path:
    return folder / f"{TEMP_PREFIX}{stem}-{secrets.token_hex(6)}"


def write_file_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file in the same folder and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp_path = _fresh_name(target.parent, target.name)
    # os.open with mode 0o666 (not mkstemp, which makes 0o600): the page gets the permissions
    # any file the user creates gets, so a web server can read the site built from it.
    handle = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def _fresh_folder_beside(target: Path) -> Path:
    """A new, empty folder with a temporary name beside `target`, made with the user's usual
    permissions, once the temporary folders a killed build left there are deleted."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.glob(TEMP_PREFIX + "*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
    while True:
        folder = _fresh_name(parent, target.name)
        try:
            folder.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return folder


def write_pages(
    build_dir: Path,
    pages: Mapping[str, str | bytes],
    keep: Iterable[str] = (),
    delete_stale: bool = True,
) -> WriteReport:
    """Make `build_dir` hold exactly `pages` (path -> text or bytes), touching only changes.

    `keep` names pages that are in the folder already as they should be (kb serve's build after
    an edit vouches for the pages it did not render, see pipeline.ServeBuilds): they stay, unread,
    and are reported unchanged. Without `delete_stale` (an edit that adds or removes no page),
    the folder is not listed for files that no page claims.
    """
    # NOTE: every path is checked before the first byte is written, so a bad path cannot leave
    # the folder half updated.
    checked = {str(check_page_path(path)): path for path in pages}
    # Kept pages were checked when they were written; with no stale file to look for, they
    # are only reported (checking 10,000 paths again was most of a small edit's write).
    kept = (
        {str(check_page_path(path)) for path in keep} if delete_stale else set(keep)
    ) - checked.keys()
    if not kept and not os.path.lexists(build_dir):
        report = _write_new_folder(build_dir, checked, pages)
        if report is not None:
            return report
    build_dir.mkdir(parents=True, exist_ok=True)
    root = build_dir.resolve()
    report = WriteReport(unchanged=sorted(kept))
    wanted: set[str] = set(kept)
    # Pages share a handful of folders: each is resolved once, not once per page.
    folders_inside: dict[Path, bool] = {}
    for path in sorted(checked):
        content = pages[checked[path]]
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = root / path
        inside = folders_inside.get(target.parent)
        if inside is None:
            inside = folders_inside[target.parent] = _inside(root, target.parent)
        status = _lstat(target)
        is_link = status is not None and stat.S_ISLNK(status.st_mode)
        # A symlink planted inside the build folder must not carry a write outside it.
        if not inside or (is_link and not _inside(root, target)):
            raise UnsafePagePath(f"page path {path!r} resolves outside {build_dir}")
        wanted.add(path)
        if _same_bytes(target, status, data):
            report.unchanged.append(path)
            continue
        if is_link or (status is not None and stat.S_ISDIR(status.st_mode)):
            _remove(target)
        write_file_atomically(target, data)
        report.written.append(path)
    report.unchanged.sort()
    report.deleted = _delete_stale(root, wanted) if delete_stale else []
    return report


def _write_new_folder(
    build_dir: Path, checked: dict[str, str], pages: Mapping[str, str | bytes]
) -> WriteReport | None:
    """A build folder that does not exist yet (a first or clean build): every page written
    under its own name into a new temporary folder beside it, which is then renamed into place.

    The same guarantee as page by page, for the folder as a whole: an interrupted build leaves
    no build folder at all (and a temporary one that the next run removes), never one with a
    half-written page. It spares a temporary name, a rename and a look at an old file for each
    of thousands of pages. None (nothing done) if the folder appeared meanwhile.
    """
    fresh = _fresh_folder_beside(build_dir)
    try:
        root = str(fresh)
        made = {""}
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        for path in sorted(checked):
            folder = path.rpartition("/")[0]
            if folder not in made:
                os.makedirs(f"{root}/{folder}", exist_ok=True)
                made.add(folder)
            content = pages[checked[path]]
            data = content.encode("utf-8") if isinstance(content, str) else content
            # Mode 0o666, as in write_file_atomically: the user's usual permissions.
            handle = os.open(f"{root}/{path}", flags, 0o666)
            try:
                with memoryview(data) as view:
                    while view:
                        view = view[os.write(handle, view) :]
            finally:
                os.close(handle)
        os.rename(fresh, build_dir)
    except FileExistsError:
        shutil.rmtree(fresh, ignore_errors=True)
        return None
    except OSError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        if os.path.lexists(build_dir):  # it appeared meanwhile: go page by page
            return None
        raise error
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return WriteReport(written=sorted(checked))


def _remove(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)


def _delete_stale(root: Path, wanted: set[str]) -> list[str]:
    """Delete files no page claims, then folders left empty; never follows symlinks."""
    deleted = []
    prefix = len(str(root)) + 1
    for folder, dirnames, filenames in os.walk(root, topdown=False):
        folder_path = Path(folder)
        # Relative paths by string, not pathlib: this runs for every page of every build.
        relative_folder = folder[prefix:].replace(os.sep, "/")
        for name in sorted(filenames):
            path = f"{relative_folder}/{name}" if relative_folder else name
            if path not in wanted:
                (folder_path / name).unlink()
                deleted.append(path)
        for name in dirnames:
            sub = folder_path / name
            if sub.is_symlink():
                sub.unlink()
                deleted.append(sub.relative_to(root).as_posix())
            elif not any(sub.iterdir()):
                sub.rmdir()
    return sorted(deleted)


def replace_folder(target: Path, build: Callable[[Path], None]) -> None:
    """Run `build(temporary_folder)` and, only if it returns, swap the result in as `target`.

    The temporary folder sits beside `target` (same file system, so the swap is two renames).
    If `build` raises, or the process is interrupted, `target` is left as it was and the
    temporary folder is removed; a process killed outright leaves a folder named with
    TEMP_PREFIX that the next run removes.
    """
    fresh = _fresh_folder_beside(target)
    try:
        build(fresh)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    old = None
    if target.exists() or target.is_symlink():
        old = _fresh_name(target.parent, target.name + "-old")
        os.replace(target, old)
    try:
        os.replace(fresh, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
