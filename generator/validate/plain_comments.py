"""A comment that cuts a text value short: in YAML, ` #` after a plain (unquoted) value starts a
comment, so `note: No country #1 is recorded` holds "No country", and the rest is silently
dropped. Both readers agree on that, so only the file's text shows it: each string value of a
text or string field that is plain and followed on its line by ` #...` is reported, with the
fix (quote the value). A comment after a value, on purpose, is rare in fact files; quoting the
value keeps it anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..load import FactFile, FieldPath
from ..problems import ProblemCollector
from ..schema import FieldSpec, KindSchema

# A line holding more than a comment, with ` #` in it: only such files need positions (the
# fast loader leaves them to be computed, which costs a second parse).
_CANDIDATE_LINE = re.compile(r"^[ \t]*[^#\s].*\s#", re.MULTILINE)
_COMMENT_AFTER = re.compile(r"[ \t]+#")
_NOT_PLAIN = tuple("'\"|>[{")


def _string_values(
    fields: dict[str, FieldSpec], data: Any, path: FieldPath
) -> Iterator[tuple[FieldPath, str]]:
    if not isinstance(data, dict):
        return
    for name, value in data.items():
        spec = fields.get(name)
        if spec is not None:
            yield from _values_of(spec, value, path + (name,))


def _values_of(spec: FieldSpec, value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if spec.type in ("string", "text") and isinstance(value, str):
        yield path, value
    elif spec.type == "list" and spec.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values_of(spec.items, item, path + (index,))
    elif spec.type == "object":
        yield from _string_values(spec.fields, value, path)


def check_comments_cutting_values(
    fact: FactFile, schema: KindSchema, collector: ProblemCollector
) -> None:
    text = fact.text
    if not text or fact.data is None or not _CANDIDATE_LINE.search(text):
        return
    lines = text.split("\n")
    for path, value in _string_values(schema.fields, fact.data, ()):
        line, column = fact.position(path)
        if line is None or column is None or not value or line > len(lines):
            continue
        source = lines[line - 1]
        start = column - 1
        if source[start : start + 1] in _NOT_PLAIN or not source.startswith(value, start):
            continue  # quoted, a block scalar, or spread over lines: no comment can cut it
        comment = _COMMENT_AFTER.match(source, start + len(value))
        if comment is None:
            continue
        dropped = source[comment.end() - 1 :].rstrip()
        quoted = json.dumps(source[start:].rstrip(), ensure_ascii=False)  # YAML double-quoted
        key = f"{path[-1]}: " if isinstance(path[-1], str) else "- "
        collector.add(
            fact.problem_at(
                line,
                comment.end(),
                f"'{dropped}' is a YAML comment, not part of the value, which ends at "
                f"'{value}': if it belongs to the text, put the value in quotes "
                f"({key}{quoted})",
                "comment-cuts-value",
                path=path,
                severity="warning",
            )
        )
