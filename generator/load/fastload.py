"""The load stage's fast path: read a well-formed fact file with a C parser, in YAML 1.2.

The loader's round-trip parser (load/__init__.py) is pure Python: it keeps every key's line
and column for error reports, and costs about 16 times what a C parser takes (24.6 s against
1.0 s for 10,000 files: a sixth of a cold full build). Almost every file in a build is
well-formed, and a well-formed file needs no positions unless a later check reports
a problem in it. So each file is first read here, with libyaml (PyYAML's C parser, which
mkdocs already depends on) composing the node tree, and a small walk turning the nodes into
plain data under YAML 1.2's rules. Positions are computed later, on demand, by the
round-trip parser (`FactFile.position`).

The fast path only ever says "here is the data" or "not me": any file it is not certain to
read exactly as the round-trip loader would (a tag, a merge key, a tab, a directive, a number
written in a form other than plain decimal, a duplicate key, deep nesting, a large expansion
through aliases, a syntax error) returns None, and the loader reads it the careful way, which
reports the problem with its exact position. tests/test_fastload.py holds the two paths to
the same data.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# Without libyaml (PyYAML built from source without it) there is no fast path: every file is
# read the careful way, which is slower but the same.
_HAVE_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))

# NOTE: the C parser composes recursively, in C: nesting tens of thousands deep overflows the
# C stack and kills the process. Every level of nesting needs one of these indicators, so a
# file with fewer of them than this cannot come near that depth (10,000 levels were measured
# safe). Files with more are rare and take the careful path, which bounds nesting itself.
_NESTING_INDICATORS = "[{-:?"
MAX_INDICATORS = 4_000
# Text the careful path treats differently from libyaml, or reports: merge keys, tabs, a
# byte-order mark inside the text (libyaml skips it), the characters YAML 1.1 (libyaml)
# reads as line breaks but 1.2 does not, and a carriage return (the loader converts Windows line
# endings, with a warning, before the fast path; text still holding one is the careful path's).
_CAREFUL_MARKERS = ("<<", "\t", "\ufeff", "\x85", "\u2028", "\u2029", "\r")
# The same for patterns, found by fuzzing the two readers against each other. Each is searched
# only when a cheap test says it could match: a regular expression over every file would cost
# a third of the whole parse.
_TAG = re.compile(r"(?:^|[\s\[\]{},:])!", re.MULTILINE)  # a tag starts a node; "Wow!" does not
_SPACES_ONLY_LINE = re.compile(r"^[ ]+$", re.MULTILINE)  # ruamel refuses some in block scalars
_GLUED_COMMENT = re.compile(r"[|>][-+0-9]*#")  # `>-#`: libyaml reads a comment, ruamel refuses


def _needs_careful_reader(text: str) -> bool:
    if any(marker in text for marker in _CAREFUL_MARKERS):
        return True
    if text.startswith("%") or "\n%" in text:  # a directive: %YAML 1.1 changes what `no` means
        return True
    if "!" in text and _TAG.search(text):
        return True
    if (" \n" in text or text.endswith(" ")) and _SPACES_ONLY_LINE.search(text):
        return True
    comment = text.find("#")
    while comment >= 0:
        if comment and text[comment - 1] in "|>-+0123456789" and _GLUED_COMMENT.search(text):
            return True
        comment = text.find("#", comment + 1)
    return sum(text.count(indicator) for indicator in _NESTING_INDICATORS) > MAX_INDICATORS


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
# YAML 1.2 (core schema, as ruamel.yaml resolves it) reads plain scalars starting with one of
# these as numbers when they match the patterns below; plain decimal forms are converted here,
# every other numeric form (hex, octal, underscores, exponents, .inf) takes the careful path.
_NUMBER_START = frozenset("-+0123456789.")
_DECIMAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_YAML12_NUMBER = re.compile(
    r"""[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+
    | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    | [-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    | [-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)""",
    re.VERBOSE,
)


class _NotForTheFastPath(Exception):
    """The file needs the careful reader (the loader); never an error by itself."""


class _Composer(yaml.CBaseLoader if _HAVE_LIBYAML else yaml.BaseLoader):
    """libyaml composing nodes, with every scalar left as text: YAML 1.1's implicit typing
    (`no` -> False) never runs; `_plain_scalar` applies YAML 1.2's instead."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


def _plain_scalar(text: str) -> Any:
    """A plain (unquoted) scalar's value under YAML 1.2, as the careful loader makes it.

    Dates stay text: the careful loader turns YAML timestamps back into the text written.
    """
    if text in _NULLS:
        return None
    first = text[0]
    if first in "tTfF" and text in _BOOLS:
        return _BOOLS[text]
    if first in _NUMBER_START:
        if _DECIMAL_INT.fullmatch(text):
            return int(text)
        if _DECIMAL_FLOAT.fullmatch(text):
            return float(text)
        if _YAML12_NUMBER.fullmatch(text):
            raise _NotForTheFastPath
    elif text == "=":  # YAML's "value" key; rare enough to leave to the careful reader
        raise _NotForTheFastPath
    return text


class _Walk:
    """Turns composed nodes into plain data, within the loader's bounds."""

    def __init__(self, max_values: int, max_text: int, max_depth: int):
        self.values_left = max_values
        self.text_left = max_text
        self.max_depth = max_depth

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.values_left -= 1
        if self.values_left < 0 or depth > self.max_depth:
            raise _NotForTheFastPath
        if isinstance(node, yaml.ScalarNode):
            text = node.value
            self.text_left -= len(text)
            if self.text_left < 0:
                raise _NotForTheFastPath
            return _plain_scalar(text) if not node.style else text
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, depth + 1) for item in node.value]
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _NotForTheFastPath
            key = key_node.value
            if (not key_node.style and _plain_scalar(key) is not key) or key in out:
                raise _NotForTheFastPath  # a key that is not text, or a duplicate
            out[key] = self.value(value_node, depth + 1)
        return out


def read_plain_data(
    text: str, max_values: int, max_text: int, max_depth: int
) -> dict[str, Any] | None:
    """The file's mapping as plain data, or None when the careful reader must read it.

    `max_values`, `max_text` and `max_depth` are the careful reader's bounds; a file that
    reaches one is left to it, so the problem is reported the same way whichever path runs.
    """
    if not _HAVE_LIBYAML or _needs_careful_reader(text):
        return None
    composer = _Composer(text)
    try:
        root = composer.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        composer.dispose()
    if not isinstance(root, yaml.MappingNode):
        return None
    try:
        return _Walk(max_values, max_text, max_depth).value(root, 0)
    except (_NotForTheFastPath, RecursionError, ValueError):
        return None
