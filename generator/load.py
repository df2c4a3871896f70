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

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .problems import Problem, ProblemCollector
from .schema import SchemaSet

FACT_SUFFIX = ".yaml"
# A generous bound: the largest real fact file is a few KB. Larger files are refused unread, so
# a pull request cannot make every build parse megabytes.
MAX_FACT_FILE_BYTES = 256 * 1024
# Values a file may expand to, aliases included. A fact file has a few hundred at most; a
# "billion laughs" file reaches this after a few thousand steps and is rejected.
MAX_VALUES_PER_FILE = 20_000
_CORE_TAG_PREFIX = "tag:yaml.org,2002:"

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

    def line_text(self, line: int | None) -> str | None:
        if line is None or not self.text:
            return None
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None

    def position(self, path: FieldPath, at: str = "value") -> tuple[int | None, int | None]:
        """Where a field's value (or key) is; falls back to the nearest enclosing field."""
        table = self.value_positions if at == "value" else self.key_positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return (1, 1) if self.data is not None else (None, None)

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
        return Problem(
            path=self.rel,
            line=line,
            column=column,
            field=format_field_path(path),
            message=message,
            code=code,
            severity=severity,
            source_line=self.line_text(line),
        )


class FactConstructor(RoundTripConstructor):
    """Round-trip constructor that leaves dates as the text they were written as.

    YAML would turn `2018-11-02` into a date object and crash on `2018-02-30`; our own date
    grammar (dates.py) parses the text instead, keeping precision and reporting bad dates.
    """


def _timestamp_as_text(constructor: RoundTripConstructor, node) -> str:
    return str(node.value)


FactConstructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def new_fact_yaml() -> YAML:
    """The YAML reader for fact files: YAML 1.2, round trip (positions, comments), dates as text."""
    yaml = YAML(typ="rt")
    yaml.Constructor = FactConstructor
    return yaml


class _TreeTooLarge(Exception):
    pass


class _ForbiddenTag(Exception):
    def __init__(self, tag: str, path: FieldPath):
        super().__init__(tag)
        self.tag = tag
        self.path = path


class _NonTextKey(Exception):
    def __init__(self, key: Any, path: FieldPath):
        super().__init__(repr(key))
        self.key = key
        self.path = path


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", None)
    if value is None or value.startswith(_CORE_TAG_PREFIX):
        return None
    return value


class _TreeCopier:
    """Copies a ruamel round-trip tree into plain data, recording positions as it goes."""

    def __init__(self, fact: FactFile):
        self.fact = fact
        self.budget = MAX_VALUES_PER_FILE

    def copy(self, node: Any, path: FieldPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TreeTooLarge
        if isinstance(node, TaggedScalar):
            raise _ForbiddenTag(str(node.tag.value), path)
        tag = _tag_of(node)
        if tag is not None:
            raise _ForbiddenTag(tag, path)
        if isinstance(node, CommentedMap):
            out = {}
            for key in node:
                if not isinstance(key, str):
                    raise _NonTextKey(key, path)
                child = path + (key,)
                key_line, key_col = node.lc.key(key)
                value_line, value_col = node.lc.value(key)
                self.fact.key_positions[child] = (key_line + 1, key_col + 1)
                self.fact.value_positions[child] = (value_line + 1, value_col + 1)
                out[key] = self.copy(node[key], child)
            return out
        if isinstance(node, CommentedSeq):
            out = []
            for index, item in enumerate(node):
                child = path + (index,)
                line, col = node.lc.item(index)
                self.fact.value_positions[child] = (line + 1, col + 1)
                out.append(self.copy(item, child))
            return out
        if isinstance(node, str):
            return str(node)  # drop ruamel's scalar-string subclasses
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, dt.datetime | dt.date):
            return node
        return node


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def _yaml_problem(fact: FactFile, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = (error.problem or str(error)).strip()
    source_line = fact.line_text(line)
    if "'\\t'" in problem or (source_line is not None and "\t" in source_line[: column or 0]):
        message = "tab character: YAML indents with spaces only (replace the tab with 2 spaces)"
        code = "yaml-tab"
    elif "duplicate key" in problem:
        key = problem.split('"')[1] if '"' in problem else "?"
        first = error.context_mark
        original = ""
        # ruamel's context mark points at the mapping; find the first use of the key for the fix.
        if first is not None:
            for number, text in enumerate(fact.text.splitlines(), start=1):
                if text.lstrip().startswith(f"{key}:") and number != line:
                    original = f" (first at line {number})"
                    break
        message = f"duplicate key '{key}'{original}: keep one and delete the other"
        code = "yaml-duplicate-key"
    elif "found undefined alias" in problem:
        message = f"{problem}: define the anchor (&name) before using it, or write the value"
        code = "yaml-syntax"
    elif "expected a single document" in (error.context or "") or "another document" in problem:
        message = "more than one YAML document ('---'): a fact file holds exactly one record"
        code = "yaml-multiple-documents"
    else:
        context = f" {error.context}" if error.context else ""
        message = f"YAML syntax error: {problem}{context.rstrip()}"
        code = "yaml-syntax"
    return Problem(
        path=fact.rel,
        line=line,
        column=column,
        field="",
        message=message,
        code=code,
        source_line=source_line,
    )


def read_fact_file(fact: FactFile, collector: ProblemCollector) -> None:
    """Fill in `fact.text` and `fact.data`, or report why the file cannot be read."""

    def file_problem(message: str, code: str, line=None, column=None, severity="error"):
        collector.add(
            Problem(
                path=fact.rel,
                line=line,
                column=column,
                field="",
                message=message,
                code=code,
                severity=severity,
                source_line=fact.line_text(line),
            )
        )

    size = fact.path.stat().st_size
    if size > MAX_FACT_FILE_BYTES:
        file_problem(
            f"file is {size:,} bytes; fact files are limited to {MAX_FACT_FILE_BYTES:,} bytes "
            "(split it into several records)",
            "file-too-large",
        )
        return
    raw = fact.path.read_bytes()
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        file_problem("binary file (NUL byte): fact files are UTF-8 text", "file-binary", line, column)
        return
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        file_problem(
            "file starts with a byte-order mark; it was read without it (run `kb fmt` to remove it)",
            "file-bom",
            1,
            1,
            severity="warning",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(raw, error.start)
        file_problem(
            f"not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded; save the file as UTF-8",
            "file-encoding",
            line,
            column,
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
    except (ValueError, TypeError, OverflowError) as error:
        # Values ruamel cannot construct (it raises plain exceptions for a few): report, go on.
        file_problem(f"YAML value cannot be read: {error}", "yaml-syntax")
        return
    if not isinstance(tree, CommentedMap):
        shown = "a list" if isinstance(tree, CommentedSeq) else f"a single {type(tree).__name__}"
        file_problem(
            f"the file holds {shown}; a fact file holds one mapping of field: value",
            "file-not-mapping",
            1,
            1,
        )
        return
    try:
        fact.data = _TreeCopier(fact).copy(tree, ())
    except _TreeTooLarge:
        file_problem(
            f"file expands to more than {MAX_VALUES_PER_FILE:,} values (anchors and aliases "
            "multiply); write values out instead of aliasing them",
            "yaml-too-large",
        )
        fact.data = None
    except _ForbiddenTag as error:
        line, column = fact.position(error.path) if error.path else (1, 1)
        collector.add(
            Problem(
                path=fact.rel,
                line=line,
                column=column,
                field=format_field_path(error.path),
                message=f"YAML tag '{error.tag}' is not allowed: fact files hold plain values "
                "(remove the tag)",
                code="yaml-tag",
                source_line=fact.line_text(line),
            )
        )
        fact.data = None
    except _NonTextKey as error:
        line, column = fact.position(error.path) if error.path else (1, 1)
        collector.add(
            Problem(
                path=fact.rel,
                line=line,
                column=column,
                field=format_field_path(error.path),
                message=f"field name {error.key!r} is not text: field names are words such as "
                "'name' (quote it if it must be a number)",
                code="yaml-key-type",
                source_line=fact.line_text(line),
            )
        )
        fact.data = None


def find_fact_files(
    facts_dir: Path, root: Path, schemas: SchemaSet, collector: ProblemCollector
) -> list[FactFile]:
    """Every `<kind plural>/<id>.yaml` under facts/, in a stable order; strays are reported."""
    from .suggest import did_you_mean  # local: suggest is tiny and only needed here on error

    facts: list[FactFile] = []
    if not facts_dir.is_dir():
        collector.add(
            Problem(
                path=_relative(facts_dir, root),
                line=None,
                column=None,
                field="",
                message="no facts folder here: run kb in the knowledge base's root or pass its path",
                code="facts-missing",
            )
        )
        return facts
    folders = schemas.by_plural
    for path in sorted(facts_dir.rglob("*")):
        if path.is_dir() or any(part.startswith(".") for part in path.relative_to(facts_dir).parts):
            continue
        rel = _relative(path, root)
        parts = path.relative_to(facts_dir).parts
        if path.name.lower() in {"readme.md", "readme"}:
            continue

        def stray(message: str, code: str, rel=rel) -> None:
            collector.add(
                Problem(path=rel, line=None, column=None, field="", message=message, code=code)
            )

        if path.is_symlink():
            stray("symbolic link: fact files must be regular files in facts/", "file-symlink")
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
        facts.append(
            FactFile(path=path, rel=rel, folder=folder, id=unicodedata.normalize("NFC", path.stem))
        )
    return facts


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_facts(root: Path, schemas: SchemaSet, collector: ProblemCollector) -> list[FactFile]:
    """Find and read every fact file under `root/facts`. Unreadable files have data None."""
    facts = find_fact_files(root / "facts", root, schemas, collector)
    for fact in facts:
        read_fact_file(fact, collector)
    return facts
