"""Lay out fact files in the one canonical format (rewrites them; --check only reports).

Key order from the schema, 2-space indentation, plain or double-quoted strings, long text
folded at 100 columns, LF line endings, one final newline. Comments are kept, and the data a
file holds never changes: `kb check` sees exactly the same values before and after.

PATH is a fact file or a folder of them (default: the knowledge base's facts/ folder). Files
that do not parse are reported, location first, and left as they are.
Exits 1 with --check when a file would change, and whenever a file could not be formatted.
"""

from __future__ import annotations

import argparse
import difflib
import os
import tempfile
from pathlib import Path

from ..load import (
    FACT_SUFFIX,
    FACTS_LINK_MESSAGE,
    KIND_FOLDER_LINK_MESSAGE,
    FactFile,
    FileRefused,
    read_fact_file,
    read_regular_file,
    shown_path,
)
from ..problems import ProblemCollector, plural, printable
from ..project import Project, find_project_root
from ..schema import default_schemas
from ..tools.format import FactFormatter, FormatError
from . import add_rewrite_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rewrite_arguments(parser, "format")
    parser.add_argument(
        "--diff",
        action="store_true",
        help="also show each change as a unified diff",
    )


def run(args: argparse.Namespace) -> int:
    found = files_to_rewrite(args.paths)
    if found is None:
        return 1
    project, files, missing = found
    formatter = FactFormatter()
    schemas = default_schemas().by_plural
    changed: list[str] = []
    failed: list[str] = list(missing)
    for path in files:
        shown = shown_path(path, project.root)
        if path.is_symlink():
            print(
                f"{printable(shown)}: symbolic link: not formatted (fact files are regular files)"
            )
            failed.append(shown)
            continue
        fact = FactFile(path=path, rel=shown, folder=path.parent.name, id=path.stem)
        collector = ProblemCollector()
        read_fact_file(fact, collector)
        if fact.data is None:
            for problem in collector.sorted():
                if problem.severity == "error":
                    print(problem.format_text())
            print(f"{printable(shown)}: not formatted: fix the error above first")
            failed.append(shown)
            continue
        try:
            formatted = formatter.format_text(fact.text, schemas.get(fact.folder))
        except FormatError as error:
            where = f"{shown}:{error.line}" if error.line else shown
            print(printable(f"{where}: not formatted: {error.message}"))
            failed.append(shown)
            continue
        new_bytes = formatted.encode("utf-8")
        try:
            old_bytes = read_regular_file(path)
        except (FileRefused, OSError) as error:  # replaced since it was read: leave it
            print(printable(f"{shown}: not formatted: {error}"))
            failed.append(shown)
            continue
        if new_bytes == old_bytes:
            continue
        changed.append(shown)
        if args.diff:
            old_text = old_bytes.decode("utf-8", errors="replace")
            print(printable(_unified_diff(old_text, formatted, shown)), end="")
        if args.check:
            print(f"{printable(shown)}: would reformat")
        else:
            _write_atomically(path, new_bytes)
            print(f"{printable(shown)}: reformatted")
    print(_summary(len(files) + len(missing), changed, failed, args.check))
    return 1 if failed or (args.check and changed) else 0


def _linked_folder(project: Project, paths: list[Path]) -> Path | None:
    """facts/, or a folder on the way from it to one of `paths`, that is a symbolic link (a
    linked file is reported on its own, as not formatted)."""
    if project.facts_dir.is_symlink():
        return project.facts_dir
    for path in paths:
        try:
            parts = path.relative_to(project.facts_dir).parts
        except ValueError:
            continue
        folder = project.facts_dir
        for part in parts:
            folder = folder / part
            if folder.is_symlink() and (folder != path or folder.is_dir()):
                return folder
    return None


def files_to_rewrite(given: list[Path]) -> tuple[Project, list[Path], list[Path]] | None:
    """The knowledge base, and the fact files a command that rewrites them may touch (with
    the paths given that do not exist, each reported), or None, said why, when a folder on the
    way is a link: through a linked facts/ (or kind folder) a rewrite could reach files
    anywhere."""
    start = given[0] if given else Path.cwd()
    project = Project(find_project_root(start))
    paths = [path.absolute() for path in given] or [project.facts_dir]
    linked = _linked_folder(project, paths)
    if linked is not None:
        message = FACTS_LINK_MESSAGE if linked == project.facts_dir else KIND_FOLDER_LINK_MESSAGE
        print(printable(f"{shown_path(linked, project.root)}: {message}"))
        return None
    files, missing = _collect_files(paths)
    for path in missing:
        print(f"{printable(shown_path(path, project.root))}: no such file or folder")
    return project, files, [str(path) for path in missing]


def _collect_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Every fact file named or under a named folder (hidden folders skipped), sorted."""
    found: set[Path] = set()
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in path.rglob(f"*{FACT_SUFFIX}"):
                hidden = any(part.startswith(".") for part in candidate.relative_to(path).parts)
                if candidate.is_file() and not hidden:
                    found.add(candidate)
        elif path.is_file() or path.is_symlink():
            found.add(path)
        else:
            missing.append(path)
    return sorted(found), missing


def _unified_diff(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{name} (as written)",
        tofile=f"{name} (formatted)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace the file in one step, so an interrupted run never leaves half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _summary(total: int, changed: list[str], failed: list[str], check: bool) -> str:
    unchanged = total - len(changed) - len(failed)
    parts = []
    if changed:
        verb = "would be reformatted" if check else "reformatted"
        parts.append(f"{plural(len(changed), 'file')} {verb}")
    if failed:
        parts.append(f"{plural(len(failed), 'file')} not formatted (see above)")
    parts.append(f"{unchanged} already formatted")
    line = ", ".join(parts) + "."
    if check and changed:
        line += " Run `kb fmt` to reformat them."
    return line
