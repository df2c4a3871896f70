"""Stage 1: read fact files into plain data, remembering where every key and value stood.

A fact file is `facts/<kind plural>/<id>.yaml` holding one YAML mapping. Reading is safe by
construction: ruamel.yaml's round-trip parser (YAML 1.2, so `no` stays the string "no") builds
a tree, and the tree is copied into plain dicts, lists, strings, numbers and dates. The copy
refuses what a fact file never needs: tags (`!!python/object` is an error, never an object) and
alias expansion beyond a fixed node budget (a "billion laughs" file stops early, in bounded
memory). Files too large, binary or not UTF-8 are reported, never parsed.

Nothing here raises for bad data: each problem becomes a `Problem` in the collector and the
file is skipped (its data is None), so one run reports every file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from ..problems import Problem, ProblemCollector, printable
from ..schema import SchemaSet
from .fastload import read_plain_data

FACT_SUFFIX = ".yaml"
# A generous bound: the largest real fact file is a few KB. Larger files are refused unread, so
# a pull request cannot make every build parse megabytes.
MAX_FACT_FILE_BYTES = 256 * 1024
# Values a file may expand to, aliases included. A fact file has a few hundred at most; a
# "billion laughs" file reaches this after a few thousand steps and is rejected.
MAX_VALUES_PER_FILE = 20_000
# Characters of text a file may expand to. Without aliases a file's text is never longer than
# the file; one aliased 100 KB string repeated 15,000 times would be 1.5 GB.
MAX_TEXT_PER_FILE = MAX_FACT_FILE_BYTES
# Levels of nesting a file may have. Real records nest five deep at most (status_history[0].
# citations[0].source); the bound keeps every recursive step (YAML composer, copy, checks) far
# from Python's recursion limit, so deep nesting is a clear error, never a crash.
MAX_NESTING_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"

FieldPath = tuple[str | int, ...]


def format_field_path(path: FieldPath) -> str:
    """('citations', 0, 'source') -> 'citations[0].source', the form problems are shown in."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


@dataclass
class FactFile:
    """One fact file as read: its text, its data, and where each key and value stood."""

    path: Path  # absolute
    rel: str  # relative to the knowledge base root, POSIX: how problems name the file
    folder: str  # the kind folder it sits in (plural), e.g. "products"
    id: str  # the file name's stem: the record id
    text: str = ""
    data: dict | None = None  # plain data; None when the file could not be read
    # 1-based (line, column) of keys and values, by field path; filled while copying the tree.
    key_positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    value_positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    # True when the data came from the fast path (fastload.py), which keeps no positions: the
    # first `position()` reads them with the round-trip parser (only files with a problem).
    positions_pending: bool = False
    # A digest of the text, set only when the file was read without a problem: kb serve's next
    # load takes `data` from here when the file's bytes have the same digest (load_facts).
    digest: bytes | None = None
    # (text, its lines): split once per text, not once per problem (a hostile file can have
    # thousands of problems, and splitting a 256 KB text for each made the check quadratic).
    _lines: tuple[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def line_text(self, line: int | None) -> str | None:
        if line is None or not self.text:
            return None
        if self._lines is None or self._lines[0] is not self.text:
            self._lines = (self.text, self.text.splitlines())
        lines = self._lines[1]
        return lines[line - 1] if 0 < line <= len(lines) else None

    def position(self, path: FieldPath, at: str = "value") -> tuple[int | None, int | None]:
        """Where a field's value (or key) is; falls back to the nearest enclosing field."""
        if self.positions_pending:
            self._read_positions()
        table = self.value_positions if at == "value" else self.key_positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return (1, 1) if self.data is not None else (None, None)

    def _read_positions(self) -> None:
        """Fill the position tables from the text, as the round-trip reader would have."""
        self.positions_pending = False
        try:
            _TreeCopier(self).copy(new_fact_yaml().load(self.text), ())
        except Exception:  # noqa: BLE001 - the fast path read this very text
            pass  # positions then fall back to the top of the file, never a traceback

    def problem(
        self,
        path: FieldPath,
        message: str,
        code: str,
        severity: str = "error",
        at: str = "value",
    ) -> Problem:
        line, column = self.position(path, at) if path else (None, None)
        if not path and self.data is not None:
            line, column = 1, 1
        return self.problem_at(line, column, message, code, path, severity)

    def problem_at(
        self,
        line: int | None,
        column: int | None,
        message: str,
        code: str,
        path: FieldPath = (),
        severity: str = "error",
        source_line: str | None = None,
    ) -> Problem:
        """A problem at a known place in this file (line None: the file as a whole), about the
        field at `path` (none: the file), showing the line unless `source_line` says more."""
        return Problem(
            path=self.rel,
            line=line,
            column=column,
            field=format_field_path(path),
            message=message,
            code=code,
            severity=severity,
            source_line=self.line_text(line) if source_line is None else source_line,
        )


class FactConstructor(RoundTripConstructor):
    """Round-trip constructor that leaves dates as the text they were written as.

    YAML would turn `2018-11-02` into a date object and crash on `2018-02-30`; our own date
    grammar (dates.py) parses the text instead, keeping precision and reporting bad dates.
    """


def _timestamp_as_text(constructor: RoundTripConstructor, node) -> str:
    return str(node.value)


FactConstructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class ExplicitTagError(MarkedYAMLError):
    """A tag written in the file (`!!python/object:...`, `!!binary`, `!custom`), or a `<<` merge
    key. Raised while composing, before anything is constructed, so no tag ever picks a
    constructor: the only values a fact file can hold are the ones plain YAML spells."""

    def __init__(self, written: str, mark, merge: bool = False):
        super().__init__(problem=f"tag {written}", problem_mark=mark)
        self.written = written
        self.merge = merge


class FactComposer(Composer):
    """Composer that refuses explicit tags and merge keys (see ExplicitTagError)."""

    def compose_node(self, parent, index):
        if not self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            tag = getattr(event, "ctag", None)
            if tag is not None and str(tag) != "!":
                handle, suffix = getattr(tag, "handle", None), getattr(tag, "suffix", None)
                written = f"{handle}{suffix}" if handle and suffix is not None else str(tag)
                raise ExplicitTagError(written, event.start_mark)
        node = super().compose_node(parent, index)
        # A plain `<<` resolves to the merge tag: YAML 1.1's merge key, which copies another
        # mapping's fields in where a reviewer does not see them.
        if getattr(node, "tag", None) == _MERGE_TAG:
            raise ExplicitTagError("<<", node.start_mark, merge=True)
        return node


def new_fact_yaml() -> YAML:
    """The YAML reader for fact files: YAML 1.2, round trip (positions, comments), dates as text,
    no tags, no merge keys, nesting bounded."""
    yaml = YAML(typ="rt")
    yaml.Constructor = FactConstructor
    yaml.Composer = FactComposer
    yaml.max_depth = MAX_NESTING_DEPTH
    return yaml


class _TreeTooLarge(Exception):
    pass


class _RefusedNode(Exception):
    """A node a fact file may not hold, with the problem to report at its place."""

    def __init__(self, message: str, code: str, path: FieldPath):
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path


def _forbidden_tag(tag: str, path: FieldPath) -> _RefusedNode:
    return _RefusedNode(
        f"YAML tag '{tag}' is not allowed: fact files hold plain values (remove the tag)",
        "yaml-tag",
        path,
    )


def _non_text_key(key: Any, path: FieldPath) -> _RefusedNode:
    return _RefusedNode(
        f"field name {key!r} is not text: field names are words such as "
        "'name' (quote it if it must be a number)",
        "yaml-key-type",
        path,
    )


def _position(lookup, key) -> tuple[int, int] | None:
    """1-based (line, column) from ruamel's 0-based line/column data, when it has any."""
    try:
        line, column = lookup(key)
    except (KeyError, TypeError, ValueError):
        return None
    return (line + 1, column + 1)


class _TreeCopier:
    """Copies a ruamel round-trip tree into plain data, recording positions as it goes."""

    def __init__(self, fact: FactFile):
        self.fact = fact
        self.budget = MAX_VALUES_PER_FILE
        self.text_budget = MAX_TEXT_PER_FILE

    def copy(self, node: Any, path: FieldPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TreeTooLarge
        if isinstance(node, TaggedScalar):
            raise _forbidden_tag(str(node.tag.value), path)
        # Any tag written in the file counts, core ones too: `!!python/...` expands to the core
        # prefix. (FactComposer already refuses them; this is the second line of defence.)
        tag = getattr(getattr(node, "tag", None), "value", None)
        if tag is not None:
            raise _forbidden_tag(tag, path)
        if isinstance(node, CommentedMap):
            out = {}
            for key in node:
                if not isinstance(key, str):
                    raise _non_text_key(key, path)
                child = path + (key,)
                key_at, value_at = _position(node.lc.key, key), _position(node.lc.value, key)
                if key_at:
                    self.fact.key_positions[child] = key_at
                if value_at:
                    self.fact.value_positions[child] = value_at
                out[key] = self.copy(node[key], child)
            return out
        if isinstance(node, CommentedSeq):
            out = []
            for index, item in enumerate(node):
                child = path + (index,)
                item_at = _position(node.lc.item, index)
                if item_at:
                    self.fact.value_positions[child] = item_at
                out.append(self.copy(item, child))
            return out
        if isinstance(node, str):
            self.text_budget -= len(node)
            if self.text_budget < 0:
                raise _TreeTooLarge
            return str(node)  # drop ruamel's scalar-string subclasses
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return node


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def _first_use_of_key(fact: FactFile, key: str, mapping_mark, duplicate_mark) -> int | None:
    """The line where a duplicated key was first written: between the start of its mapping
    (ruamel's context mark) and the duplicate, at the duplicate's column."""
    if mapping_mark is None or duplicate_mark is None:
        return None
    lines = fact.text.splitlines()
    for index in range(mapping_mark.line, min(duplicate_mark.line, len(lines))):
        text = lines[index]
        column = duplicate_mark.column
        if text[column:].startswith(key) and text[column + len(key) :].lstrip().startswith(":"):
            return index + 1
    return None


def _syntax_message(problem: str, context: str, context_mark) -> tuple[str, Any]:
    """A YAML parser error in the contributor's words, with the fix; and where to point
    instead of where the parser stopped (None: where it stopped)."""
    opened = (
        f"line {context_mark.line + 1}, column {context_mark.column + 1}" if context_mark else ""
    )
    if "while scanning a quoted scalar" in context and context_mark is not None:
        # The parser only notices at the end of the file; the fix is where the quote opens.
        return (
            "YAML syntax error: this quoted text is never closed: add the closing quote "
            "(or remove the opening one)",
            context_mark,
        )
    if "flow sequence" in context and opened:
        return (
            f"YAML syntax error: the list opened with '[' at {opened} is not closed: "
            "add ']' at its end",
            None,
        )
    if "flow mapping" in context and opened:
        return (
            f"YAML syntax error: the mapping opened with '{{' at {opened} is not closed: "
            "add '}' at its end",
            None,
        )
    if "mapping values are not allowed here" in problem:
        return (
            "YAML syntax error: ': ' inside a value: put the whole value in quotes",
            None,
        )
    if problem.startswith("expected <block end>"):
        if "'<block mapping start>'" in problem:
            return (
                "YAML syntax error: this line is indented more than the field before it: "
                "line it up with the other fields at its level",
                None,
            )
        if "'-'" in problem:
            return (
                "YAML syntax error: a list item ('- ') where a field was expected: indent it "
                "under the field it belongs to",
                None,
            )
        if "'<scalar>'" in problem:
            return (
                "YAML syntax error: unexpected text after a value: if the value is quoted, "
                "quote all of it; if the line is a field, line it up with the others",
                None,
            )
    return f"YAML syntax error: {problem}{f' {context}' if context else ''}", None


def _yaml_problem(fact: FactFile, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = (error.problem or str(error)).strip()
    source_line = fact.line_text(line)
    if isinstance(error, ExplicitTagError) and error.merge:
        message = (
            "'<<' merge keys are not allowed: write the fields out in full "
            "(quote it, '<<', if it is text)"
        )
        code = "yaml-merge-key"
    elif isinstance(error, ExplicitTagError):
        refused = _forbidden_tag(error.written, ())
        message, code = refused.message, refused.code
    elif isinstance(error, MaxDepthExceededError):
        message = (
            f"nested more than {MAX_NESTING_DEPTH} levels deep: fact files nest a few levels "
            "at most (flatten the structure)"
        )
        code = "yaml-too-deep"
    elif "'\\t'" in problem or (source_line is not None and "\t" in source_line[: column or 0]):
        indenting = source_line is not None and not source_line[: (column or 1) - 1].strip()
        message = (
            "tab character: YAML indents with spaces only (replace the tab with 2 spaces)"
            if indenting
            else "tab character: YAML separates values with spaces only (replace it with a space)"
        )
        code = "yaml-tab"
    elif "duplicate key" in problem:
        key = problem.split('"')[1] if '"' in problem else "?"
        original = _first_use_of_key(fact, key, error.context_mark, mark)
        original = f" (first at line {original})" if original else ""
        message = f"duplicate key '{key}'{original}: keep one and delete the other"
        code = "yaml-duplicate-key"
    elif "found undefined alias" in problem:
        message = f"{problem}: define the anchor (&name) before using it, or write the value"
        code = "yaml-syntax"
    elif "expected a single document" in (error.context or "") or "another document" in problem:
        message = "more than one YAML document ('---'): a fact file holds exactly one record"
        code = "yaml-multiple-documents"
    else:
        message, at = _syntax_message(problem, error.context or "", error.context_mark)
        if at is not None:
            line, column = at.line + 1, at.column + 1
        code = "yaml-syntax"
    return fact.problem_at(line, column, message, code)


class FileRefused(Exception):
    """A fact file that is not read: a link, a pipe or device, or a file over the size limit."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# NOTE: O_NOFOLLOW: a link is never followed (to /dev/zero it was 5 GB of memory in 15 s);
# O_NONBLOCK: opening a named pipe would otherwise wait for a writer for ever.
_READ_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_regular_file(path: Path, limit: int = MAX_FACT_FILE_BYTES) -> bytes:
    """The bytes of `path`, if it is a regular file of at most `limit` bytes: the only way a
    fact file is read, wherever it is read from (the check, the build, kb serve's edits).

    The file is opened without following a link or waiting on a pipe, and what was opened is
    checked before a byte is read, so a file swapped for a link or a pipe after it was listed
    is refused too. Raises FileRefused, or OSError (a file that cannot be opened or read)."""
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileRefused(_LINK_MESSAGE, "file-symlink") from None
        raise
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(_SPECIAL_MESSAGE, "file-special")
        if status.st_size > limit:
            raise FileRefused(_too_large_message(status.st_size, limit), "file-too-large")
        chunks, size = [], 0
        while size <= limit:  # a file that grows while it is read stops at the limit
            chunk = os.read(handle, min(limit + 1 - size, _READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(_too_large_message(size, limit), "file-too-large")
        return b"".join(chunks)
    finally:
        os.close(handle)


_LINK_MESSAGE = (
    "symbolic link: fact files and kind folders must be real files and folders "
    "(a link can point outside facts/; copy the file in instead)"
)
FACTS_LINK_MESSAGE = (
    "symbolic link: facts/ must be the knowledge base's own folder, not a link (a link can "
    "point anywhere on the machine: kb check and kb build would read there, kb fmt and kb new "
    "write there); replace the link with the folder itself"
)
KIND_FOLDER_LINK_MESSAGE = (
    "symbolic link: kind folders must be real folders (a link can point outside facts/); "
    "replace the link with the folder itself"
)
_SPECIAL_MESSAGE = "not a regular file (a pipe, socket or device): delete it"


def _too_large_message(size: int, limit: int) -> str:
    return (
        f"file is {size:,} bytes; fact files are limited to {limit:,} bytes "
        "(split it into several records)"
    )


def read_fact_file(fact: FactFile, collector: ProblemCollector) -> None:
    """Fill in `fact.text` and `fact.data`, or report why the file cannot be read."""

    def file_problem(message: str, code: str, line=None, column=None, severity="error"):
        collector.add(fact.problem_at(line, column, message, code, severity=severity))

    try:
        raw = read_regular_file(fact.path)
    except FileRefused as refused:
        file_problem(refused.message, refused.code)
        return
    except OSError as error:
        reason = error.strerror or type(error).__name__
        fix = (
            "make it readable (chmod a+r) or delete it"
            if error.errno == errno.EACCES
            else "check the file, or delete it"
        )
        file_problem(f"cannot be read ({reason}): {fix}", "file-unreadable")
        return
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        file_problem(
            "UTF-16 text (it starts with a UTF-16 byte-order mark): save the file as UTF-8",
            "file-encoding",
            1,
            1,
        )
        return
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        file_problem(
            "binary file (NUL byte): fact files are UTF-8 text", "file-binary", line, column
        )
        return
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        file_problem(
            "file starts with a byte-order mark; it was read without it "
            "(run `kb fmt` to remove it)",
            "file-bom",
            1,
            1,
            severity="warning",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, _ = _byte_position(raw, error.start)
        # Shown as far as it decodes; the column counts characters, as an editor does.
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        line_end = raw.find(b"\n", error.start)
        shown = raw[line_start : line_end if line_end >= 0 else len(raw)]
        column = len(raw[line_start : error.start].decode("utf-8", "replace")) + 1
        byte = raw[error.start : error.start + 1]
        try:
            guess = f" (probably '{byte.decode('cp1252')}' saved as Windows-1252 or Latin-1)"
        except UnicodeDecodeError:
            guess = ""
        collector.add(
            fact.problem_at(
                line,
                column,
                f"not UTF-8: byte 0x{byte[0]:02x}{guess} cannot be read; save the file as UTF-8",
                "file-encoding",
                source_line=shown.decode("utf-8", "replace").rstrip("\r"),
            )
        )
        return
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        file_problem(
            "Windows (CRLF) line endings; read as plain newlines (run `kb fmt` to convert)",
            "file-crlf",
            1,
            1,
            severity="warning",
        )
    fact.text = text
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        file_problem(
            "file is empty: a fact file holds one mapping of field: value "
            "(`kb new KIND ID` writes a template)",
            "file-empty",
        )
        return
    # Fast path first (fastload.py): a C parser, and no positions until a problem needs them.
    # Files it is not sure of (None) are read the careful way below.
    # NOTE: nesting is bounded at half the careful reader's limit, so that a file the fast
    # path accepts is always within it, however the two count levels.
    fact.data = read_plain_data(
        text, MAX_VALUES_PER_FILE, MAX_TEXT_PER_FILE, MAX_NESTING_DEPTH // 2
    )
    if fact.data is not None:
        fact.positions_pending = True
        return
    try:
        tree = new_fact_yaml().load(text)
    except MarkedYAMLError as error:
        collector.add(_yaml_problem(fact, error))
        return
    except YAMLError as error:  # unmarked errors are rare; still never a traceback
        file_problem(f"YAML error: {error}", "yaml-syntax")
        return
    except RecursionError:
        file_problem("nested too deeply to read: flatten the structure", "yaml-too-deep")
        return
    except Exception as error:  # noqa: BLE001 - bad data never prints a traceback
        # Values ruamel cannot construct raise plain exceptions (`0x_` is an IndexError in
        # ruamel.yaml 0.19): report the file and go on with the others.
        file_problem(
            f"YAML value cannot be read ({type(error).__name__}: {error}): "
            "quote values that are text",
            "yaml-syntax",
        )
        return
    if not isinstance(tree, CommentedMap):
        if isinstance(tree, CommentedSeq):
            shown = "a list"
        else:
            shown = f"a single value ({str(tree)[:40]!r})" if tree is not None else "no value"
        file_problem(
            f"the file holds {shown}; a fact file holds one mapping of field: value lines",
            "file-not-mapping",
            1,
            1,
        )
        return
    try:
        fact.data = _TreeCopier(fact).copy(tree, ())
    except _TreeTooLarge:
        file_problem(
            f"file expands to more than {MAX_VALUES_PER_FILE:,} values or "
            f"{MAX_TEXT_PER_FILE:,} characters of text (anchors and aliases multiply); "
            "write values out instead of aliasing them",
            "yaml-too-large",
        )
        fact.data = None
    except _RefusedNode as error:
        line, column = fact.position(error.path) if error.path else (1, 1)
        collector.add(fact.problem_at(line, column, error.message, error.code, error.path))
        fact.data = None


def find_fact_files(
    facts_dir: Path, root: Path, schemas: SchemaSet, collector: ProblemCollector
) -> list[FactFile]:
    """Every `<kind plural>/<id>.yaml` under facts/, in a stable order; strays are reported."""
    from ..suggest import did_you_mean  # local: suggest is tiny and only needed here on error

    facts: list[FactFile] = []
    if facts_dir.is_symlink():
        collector.add(_unread(shown_path(facts_dir, root), FACTS_LINK_MESSAGE, "file-symlink"))
        return facts
    if not facts_dir.is_dir():
        message = "no facts folder here: run kb in the knowledge base's root or pass its path"
        collector.add(_unread(shown_path(facts_dir, root), message, "facts-missing"))
        return facts
    folders = schemas.by_plural
    in_root = facts_dir == root / "facts"
    for parts, entry in _sorted_tree(str(facts_dir), ()):
        path = Path(entry.path)
        rel = "facts/" + "/".join(parts) if in_root else shown_path(path, root)

        def stray(message: str, code: str, rel=rel) -> None:
            collector.add(_unread(printable(rel).replace("\n", "\\u000a"), message, code))

        # NOTE: order matters: a link is reported before anything that would follow it.
        if entry.is_symlink():
            stray(_LINK_MESSAGE, "file-symlink")
            continue
        if "\n" in path.name or printable(path.name) != path.name:
            stray(
                "the name holds characters that are not printable text (control characters, or "
                "bytes that are not UTF-8): rename it",
                "file-name",
            )
            continue
        if entry.is_dir(follow_symlinks=False):
            continue
        if not entry.is_file(follow_symlinks=False):
            stray(_SPECIAL_MESSAGE, "file-special")
            continue
        if path.name.lower() in {"readme.md", "readme"}:
            continue
        if len(parts) != 2:
            stray(
                f"fact files live directly in facts/<kind>/ (one of {', '.join(folders)})",
                "file-misplaced",
            )
            continue
        folder = parts[0]
        if folder not in folders:
            stray(
                f"'{folder}' is not a kind of record{did_you_mean(folder, folders)}; "
                f"folders are {', '.join(folders)}",
                "unknown-kind-folder",
            )
            continue
        if path.suffix != FACT_SUFFIX:
            hint = (
                f"rename it to {path.stem}{FACT_SUFFIX}"
                if path.suffix in {".yml", ".YAML", ".Yaml"}
                else "fact files end in .yaml"
            )
            stray(f"not a fact file: {hint}", "file-suffix")
            continue
        # The id is the stem as written: two stems that differ only in Unicode form are two ids,
        # which the validator reports as a clash (and neither is a slug).
        facts.append(FactFile(path=path, rel=rel, folder=folder, id=path.stem))
    return facts


def _unread(path: str, message: str, code: str) -> Problem:
    """A problem with a file or folder that is not read: no line, no field."""
    return Problem(path=path, line=None, column=None, field="", message=message, code=code)


def _sorted_tree(
    folder: str, parts: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], os.DirEntry]]:
    """Everything under `folder` (with its parts below the top folder), depth first in name
    order: the order of sorted(Path(folder).rglob("*")), in a third of the time.

    Hidden entries are left out, and everything under them. Linked folders are listed, never
    entered (a link can point outside facts/). A folder that cannot be listed is left out, as
    rglob leaves it. The entries tell links, folders and files apart from what listing the
    folder returned, with no system call per file.
    """
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        here = (*parts, entry.name)
        yield here, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _sorted_tree(entry.path, here)


def shown_path(path: Path, root: Path) -> str:
    """How a file is named in messages: relative to the knowledge base root, POSIX."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_facts(
    root: Path,
    schemas: SchemaSet,
    collector: ProblemCollector,
    earlier: Mapping[Path, FactFile] | None = None,
) -> list[FactFile]:
    """Find and read every fact file under `root/facts`. Unreadable files have data None.

    `earlier`: the files of the last load (kb serve). A file whose bytes are those of its
    earlier read, made without a problem, is not parsed again: its data is taken over (the
    stages after load only read a file's data). After one edit that is every file but one,
    and parsing is most of a load (make bench: kb serve)."""
    facts = find_fact_files(root / "facts", root, schemas, collector)
    for fact in facts:
        before = earlier.get(fact.path) if earlier else None
        if before is None or before.digest is None or not _take_over(fact, before):
            problems = len(collector.problems)
            read_fact_file(fact, collector)
            if fact.data is not None and len(collector.problems) == problems:
                fact.digest = _digest(fact.text.encode("utf-8"))
    return facts


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _take_over(fact: FactFile, before: FactFile) -> bool:
    """Whether `fact`'s file holds the bytes `before` was read from; if so, `fact` takes its
    text, data and positions. (A file read without a problem has no byte-order mark and no
    carriage return, so its bytes are its text's.)"""
    try:
        raw = read_regular_file(fact.path)
    except (FileRefused, OSError):
        return False  # read_fact_file reports it
    if _digest(raw) != before.digest:
        return False
    fact.text, fact.data, fact.digest = before.text, before.data, before.digest
    fact.key_positions, fact.value_positions = before.key_positions, before.value_positions
    fact.positions_pending = before.positions_pending
    return True
