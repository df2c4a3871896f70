"""The canonical layout of fact files (`kb fmt`), applied through ruamel.yaml's round trip.

One layout, so that a pull request's diff shows changed facts rather than changed spacing:

- keys in the order of the kind's schema, nested objects too; keys the schema does not know
  keep their order after the known ones (never dropped: the validator reports them);
- mappings in block style, indented by 2; a list's items indented under its key (`  - `);
  a list of plain values is written `[a, b]` when it fits on its key's line, else one per line;
- strings: plain where YAML reads the plain text back as the same string, else in double
  quotes; text too long for its line (WIDTH) is folded (`>-`) at spaces, and text with line
  breaks is a literal block (`|`), so both read back exactly; URLs and other text without
  spaces stay on one line;
- LF line endings, no byte-order mark, one newline at the end.

Comments are kept: comment lines above a key move with that key, a comment at the end of a
line stays with its value (two spaces after it). The layout never changes what the file means:
dates stay the text they were written as (load.py's FactConstructor), `2018` stays a number
and `"2018"` text. As a guard, every result is re-read and compared with the input (same data,
same comments, and formatting it again changes nothing); a file that fails the guard is left
as it is and reported, as is the one comment position no YAML writer keeps (between a key and
its value on the next line).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import yaml as pyyaml  # PyYAML (mkdocs depends on it): its YAML 1.1 resolver, for a second opinion
from ruamel.yaml.anchor import Anchor
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
)
from ruamel.yaml.tokens import CommentToken

from ..load import new_fact_yaml
from ..schema import FieldSpec, KindSchema

WIDTH = 100
MAX_ROUNDS = 4
INDENT = 2  # mappings; a list's dash sits INDENT in from its key, its items 2 further
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_YAML_1_1 = pyyaml.resolver.Resolver()


class _PlainString(ScalarString):
    """Text written plain (no quotes): YAML reads the plain form back as this same text."""

    __slots__ = ()


class _PlainDateText(ScalarString):
    """Date-like text written plain, as `2018-11-02`. YAML would read that as a timestamp, but
    fact files are read with timestamps kept as their text (load.FactConstructor), so writing
    it plain gives back the same string, and dates stay as contributors write them."""

    __slots__ = ()


class _FactRepresenter(RoundTripRepresenter):
    def represent_plain_string(self, data: Any) -> ScalarNode:
        return self.represent_scalar(_STR_TAG, str(data), anchor=data.yaml_anchor(any=True))

    def represent_plain_date_text(self, data: Any) -> ScalarNode:
        return self.represent_scalar(_TIMESTAMP_TAG, str(data), anchor=data.yaml_anchor(any=True))


_FactRepresenter.add_representer(_PlainString, _FactRepresenter.represent_plain_string)
_FactRepresenter.add_representer(_PlainDateText, _FactRepresenter.represent_plain_date_text)


class FormatError(Exception):
    """The layout could not be applied without changing the file's data or comments."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based, where the file has something the layout cannot keep


@dataclass(frozen=True)
class _Place:
    """Where a value is written: the column it starts at and the indentation of its block."""

    column: int  # column (0-based) of a value written on its key's line or after its dash
    block: int  # indentation of nested lines: a mapping's keys, a block scalar's text
    in_flow: bool = False


class FactFormatter:
    """Lays out fact file text canonically; one instance can format any number of files."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width
        self._yaml = new_fact_yaml()
        self._yaml.Representer = _FactRepresenter
        self._yaml.indent(mapping=INDENT, sequence=INDENT + 2, offset=INDENT)
        # NOTE: ruamel's own line folding is switched off (a width it never reaches): every
        # line break is placed here, where the value's meaning is known to survive it.
        self._yaml.width = 1_000_000
        self._yaml.allow_unicode = True
        self._resolver = self._yaml.resolver
        # Scalar analysis (may this text be plain? a block?) is the emitter's own, so the styles
        # chosen here are ones the emitter will write. It gets a YAML instance of its own: an
        # emitter attaches itself to the instance it is given.
        self._emitter = Emitter(None, allow_unicode=True, dumper=new_fact_yaml())

    # The public entry point.

    def format_text(self, text: str, schema: KindSchema | None) -> str:
        """The canonical form of a fact file's text (already decoded, BOM and CRs removed).

        Raises the parser's errors for text that does not parse, and FormatError when the
        result would not mean the same as the input (the guard described above).
        """
        tree = _load(text)
        before_data = plain_data(tree)
        before_comments = None  # counted only if the text changes
        # NOTE: the layout is applied until it no longer changes the text. Moving keys can
        # leave a comment attached where ruamel, reading the result, attaches it differently
        # (a comment above a list item's first key belongs to the item); the next round puts
        # it where a fresh reading expects it. Two rounds settle every case we know of.
        current = text
        for _ in range(MAX_ROUNDS):
            try:
                formatted = self._dump(self._lay_out_document(tree, schema))
                if formatted == current:
                    return formatted  # unchanged: the text (or the last round) is canonical
                after = _load(formatted)
            except YAMLError as error:
                message = f"the layout would not read back ({error}); please report this"
                raise FormatError(message) from None
            if plain_data(after) != before_data:
                raise FormatError("the layout would change the data")
            if before_comments is None:
                before_comments = comment_lines(text)
            if comment_lines(formatted) != before_comments:
                raise FormatError("the layout would lose or change a comment")
            current, tree = formatted, after
        raise FormatError("the layout is not stable (formatting again changes it)")

    # Laying out the tree.

    def _lay_out_document(self, tree: Any, schema: KindSchema | None) -> Any:
        fields = schema.fields if schema else None
        if isinstance(tree, CommentedMap):
            self._lay_out_mapping(tree, fields, indent=0)
        elif isinstance(tree, CommentedSeq):
            self._lay_out_sequence(tree, None, dash=0)
        return tree

    def _dump(self, tree: Any) -> str:
        out = io.StringIO()
        self._yaml.dump(tree, out)
        return out.getvalue().rstrip("\n") + "\n"

    def _lay_out_mapping(
        self,
        node: CommentedMap,
        fields: dict[str, FieldSpec] | None,
        indent: int,
        list_item: bool = False,
    ) -> None:
        if fields and not _has_merge(node):
            known = [key for key in fields if key in node]
            rest = [key for key in node if key not in fields]
            if known + rest != list(node):
                # NOTE: not in a list item: ruamel cannot write comment lines above the first
                # key after a dash. There they stay with the value above them.
                if not list_item:
                    _attach_comments_to_following_keys(node)
                for key in known + rest:
                    node.move_to_end(key)
                if list_item:
                    _move_comments_off_the_first_key(node)
        if len(node):
            node.fa.set_block_style()
        for key in list(node):
            spec = fields.get(key) if fields and isinstance(key, str) else None
            place = _Place(column=indent + len(str(key)) + 2, block=indent + INDENT)
            new = self._lay_out_value(node[key], spec, place, node, key)
            if new is not node[key]:
                ordereddict.__setitem__(node, key, new)

    def _lay_out_sequence(self, node: CommentedSeq, spec: FieldSpec | None, dash: int) -> None:
        item_spec = spec.items if spec else None
        for index, item in enumerate(node):
            if node.fa.flow_style():
                place = _Place(column=dash, block=dash, in_flow=True)
            else:
                place = _Place(column=dash + 2, block=dash + 2)
            new = self._lay_out_value(item, item_spec, place, node, index)
            if new is not item:
                list.__setitem__(node, index, new)

    def _lay_out_value(
        self, value: Any, spec: FieldSpec | None, place: _Place, parent: Any, key: Any
    ) -> Any:
        if isinstance(value, CommentedMap):
            list_item = isinstance(parent, CommentedSeq)
            self._lay_out_mapping(value, spec.fields if spec else None, place.block, list_item)
            return value
        if isinstance(value, CommentedSeq):
            self._choose_sequence_style(value, place)
            # A block list's dash sits INDENT in from its key; a list item's list right after.
            dash = place.block if not place.in_flow else place.column
            self._lay_out_sequence(value, spec, dash)
            return value
        if isinstance(value, str):
            _refuse_lost_comment(parent, key)
            styled = self._style_string(value, place)
            was_block = isinstance(value, LiteralScalarString | FoldedScalarString)
            is_block = isinstance(styled, LiteralScalarString | FoldedScalarString)
            if was_block != is_block:
                _move_comment_after_value(parent, key, is_block, place.block)
            if not is_block:
                _space_end_of_line_comment(parent, key)
            return styled
        _space_end_of_line_comment(parent, key)
        return value  # numbers, booleans and nulls keep the form ruamel read them in

    def _choose_sequence_style(self, node: CommentedSeq, place: _Place) -> None:
        if _has_comments(node) or _anchored(node):
            return  # keep the layout the comments were written around
        if place.in_flow:
            return
        scalars = all(isinstance(item, str | int | float) and not _anchored(item) for item in node)
        if not node or (scalars and self._flow_fits(node, place.column)):
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()

    def _flow_fits(self, node: CommentedSeq, column: int) -> bool:
        shown = []
        for item in node:
            if isinstance(item, str):
                if "\n" in item:
                    return False
                shown.append(self._single_line(item, in_flow=True))
            else:
                shown.append(_number_text(item))
        return column + len("[" + ", ".join(shown) + "]") <= self.width

    # Strings.

    def _style_string(self, value: str, place: _Place) -> str:
        if _anchored(value):
            return value  # an anchor's target keeps its form (aliases point at it)
        analysis = self._emitter.analyze_scalar(value)
        block_comment = getattr(value, "comment", None)
        if "\n" in value:
            if not place.in_flow and analysis.allow_block:
                return _with_comment(LiteralScalarString(value), block_comment)
            return DoubleQuotedScalarString(value)
        single = self._single_line(value, place.in_flow)
        fits = place.column + len(single) <= self.width
        foldable = (
            not place.in_flow and analysis.allow_block and value == value.strip() and " " in value
        )
        if block_comment and not foldable and not place.in_flow:
            # A comment after `|` or `>` only survives in a block scalar: such text stays one
            # (it was read from one, so it can be written as one; the guard checks it).
            return _with_comment(LiteralScalarString(value), block_comment)
        if foldable and (block_comment or not fits):
            folded = FoldedScalarString(value)
            folded.fold_pos = _fold_positions(value, self.width - place.block)
            return _with_comment(folded, block_comment)
        tag = self._plain_tag(value, place.in_flow, analysis)
        if tag == _STR_TAG:
            return _PlainString(value)
        if tag == _TIMESTAMP_TAG:
            return _PlainDateText(value)
        return DoubleQuotedScalarString(value)

    def _plain_tag(self, value: str, in_flow: bool, analysis: Any = None) -> str | None:
        """The tag plain `value` reads back as, if plain is possible and keeps it text."""
        analysis = analysis or self._emitter.analyze_scalar(value)
        allowed = analysis.allow_flow_plain if in_flow else analysis.allow_block_plain
        if not allowed or analysis.multiline or analysis.empty:
            return None
        # The emitter's analysis lets `?x` and `:x` go plain, which ruamel's own parser then
        # reads differently inside [ ]; text starting with an indicator is quoted everywhere.
        if value[0] in "?:-":
            return None
        tag = self._resolver.resolve(ScalarNode, value, (True, False))
        tag = getattr(tag, "value", tag)
        if tag not in (_STR_TAG, _TIMESTAMP_TAG):
            return None
        # Other readers of these files (YAML 1.1 ones: PyYAML, many editors and scripts) read
        # plain `yes`, `off` or `1:20` as something else than text: such text is quoted too.
        if _YAML_1_1.resolve(pyyaml.nodes.ScalarNode, value, (True, False)) not in (
            _STR_TAG,
            _TIMESTAMP_TAG,
        ):
            return None
        return tag

    def _single_line(self, value: str, in_flow: bool) -> str:
        """How `value` looks written on one line (close enough to measure it)."""
        if self._plain_tag(value, in_flow):
            return value
        return json.dumps(value, ensure_ascii=False)


def _load(text: str) -> Any:
    # A fresh reader each time: a ruamel YAML instance that once failed to compose keeps
    # counting nesting depth from where it stopped, and later loads fail.
    return new_fact_yaml().load(text)


def _fold_positions(text: str, room: int) -> list[int]:
    """Where to break `text` (indices of spaces) so that lines stay within `room` columns.

    Only a single space between two non-spaces may become a line break: folding turns the
    break back into exactly that space. A word longer than the room gets a line of its own.
    """
    room = max(room, 20)
    candidates = [
        index
        for index, char in enumerate(text)
        if char == " "
        and 0 < index < len(text) - 1
        and not text[index - 1].isspace()
        and not text[index + 1].isspace()
    ]
    positions: list[int] = []
    line_start = 0
    last_fit: int | None = None  # the last break on the current line that keeps it in room
    for index in candidates:
        if index - line_start <= room:
            last_fit = index
            continue
        if last_fit is not None:
            positions.append(last_fit)
            line_start = last_fit + 1
        if index - line_start <= room:
            last_fit = index
        else:  # a word longer than the room: break right after it
            positions.append(index)
            line_start = index + 1
            last_fit = None
    if len(text) - line_start > room and last_fit is not None:
        positions.append(last_fit)
    return positions


def _with_comment(value: ScalarString, comment: Any) -> ScalarString:
    if comment:
        value.comment = comment
    return value


def _last_comment_slot(parent: Any, key: Any) -> tuple[list, int, bool] | None:
    """Where ruamel keeps the comment lines below `parent[key]`: in the slots of the last
    scalar of its value, however deeply nested. (slots, index, the scalar is a block)."""
    value = parent[key]
    if isinstance(value, CommentedMap | CommentedSeq):
        if value.fa.flow_style() or not len(value):
            return None  # a flow collection's comments stay where they are
        last = list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _last_comment_slot(value, last)
    slots = parent.ca.items.get(key)
    index = 2 if isinstance(parent, CommentedMap) else 0
    if not slots or len(slots) <= index:
        return None
    return slots, index, isinstance(value, LiteralScalarString | FoldedScalarString)


def _attach_comments_to_following_keys(node: CommentedMap) -> None:
    """Before keys move: comment lines written above a key travel with that key.

    ruamel keeps the comment lines between one value and the next key with the value above
    them; moved as they are, the comment written above `maker:` would follow the key that
    happened to precede it. So those lines become the next key's own comment lines first.
    """
    keys = list(node)
    for previous, following in zip(keys, keys[1:], strict=False):
        holder = _last_comment_slot(node, previous)
        if holder is None:
            continue
        slots, index, block = holder
        token = slots[index]
        if not isinstance(token, CommentToken):
            continue
        text = token.value
        first_column = token.start_mark.column if token.start_mark else 0
        if block:  # a block scalar's token holds only the lines below it
            kept, below = "", text
        else:  # a one-line value's token starts with the rest of its line
            kept, _, below = text.partition("\n")
            first_column = None
        if "#" not in below:
            continue
        lines = below.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        moved = []
        for number, line in enumerate(lines):
            column = len(line) - len(line.lstrip(" "))
            if number == 0 and first_column is not None:
                column = first_column
            text_line = line.strip() + "\n" if line.strip() else "\n"
            moved.append(CommentToken(text_line, CommentMark(column if line.strip() else 0), None))
        slots[index] = CommentToken(kept + "\n", token.start_mark, None) if kept.strip() else None
        own = node.ca.items.setdefault(following, [None, None, None, None])
        own[1] = moved + (own[1] or [])


def _move_comments_off_the_first_key(node: CommentedMap) -> None:
    """After reordering a list item's keys: comment lines held above its new first key would be
    written between the dash and the key, where YAML cannot have them. They go below the
    item's last value instead (a comment is never dropped; moving it is the lesser harm)."""
    keys = list(node)
    slots = node.ca.items.get(keys[0])
    above = [token for token in (slots[1] or [])] if slots and len(slots) > 1 else []
    if not above or len(keys) < 2:
        return
    holder = _last_comment_slot(node, keys[-1])
    if holder is None:
        return  # the guard reports the file rather than lose the comment
    last_slots, index, block = holder
    lines = []
    for token in above:
        column = token.start_mark.column if token.start_mark else 0
        lines += [
            " " * column + line.strip() if line.strip() else ""
            for line in token.value.split("\n")[:-1] or [""]
        ]
    existing = last_slots[index]
    if isinstance(existing, CommentToken):
        text = existing.value + "\n".join(lines) + "\n"
        mark = existing.start_mark
    else:
        text = ("" if block else "\n") + "\n".join(lines) + "\n"
        mark = CommentMark(0)
    last_slots[index] = CommentToken(text, mark, None)
    slots[1] = None


def _space_end_of_line_comment(parent: Any, key: Any) -> None:
    """A comment at the end of a value's line is written two spaces after the value."""
    if parent.fa.flow_style():
        return  # inside [a, b] comments stay as written
    slots = parent.ca.items.get(key)
    index = 2 if isinstance(parent, CommentedMap) else 0
    token = slots[index] if slots and len(slots) > index else None
    if not isinstance(token, CommentToken) or not token.value.lstrip(" ").startswith("#"):
        return
    # With column 0 the emitter writes one space before the text; the text brings the second.
    slots[index] = CommentToken(" " + token.value.lstrip(" "), CommentMark(0), None)


def _move_comment_after_value(parent: Any, key: Any, to_block: bool, block: int) -> None:
    """Keep the comments below a value in place when the value changes between a one-line and
    a block style (`block`: the block's indentation).

    ruamel keeps them in one token. After a one-line value the token starts with the line break
    that ends the value's line (or with a comment at the end of that line); a block scalar ends
    with its own line break, and any line indented as deep as its text would be read as part
    of it. So the token is rewritten: one comment per line, each indented less than the block.
    """
    items = parent.ca.items.get(key) if getattr(parent, "ca", None) else None
    if not items:
        return
    slot = 2 if isinstance(parent, CommentedMap) else 0
    token = items[slot] if len(items) > slot else None
    if not isinstance(token, CommentToken) or not token.value:
        return
    text = token.value
    first_column = token.start_mark.column if token.start_mark else 0
    if text.startswith("\n"):
        lines = text[1:].split("\n")
        first_column = len(lines[0]) - len(lines[0].lstrip(" "))
    else:
        lines = text.split("\n")  # the first line is a comment at the end of the value's line
    if lines and lines[-1] == "":
        lines.pop()  # the line break that ends the last comment
    deepest = max(block - 2, 0)
    columns = [first_column] + [len(line) - len(line.lstrip(" ")) for line in lines[1:]]
    shown = [
        " " * min(column, deepest) + line.strip() if line.strip() else ""
        for column, line in zip(columns, lines, strict=True)
    ]
    if to_block:
        first = shown[0].lstrip(" ") if shown else ""
        rebuilt = "\n".join([first, *shown[1:]]) + "\n"
        column = min(first_column, deepest) if first else 0
    else:
        rebuilt = "\n" + "\n".join(shown) + "\n"
        column = 0
    items[slot] = CommentToken(rebuilt, CommentMark(column), None)


def _refuse_lost_comment(parent: Any, key: Any) -> None:
    """Two places a comment can be read from but never written back to by ruamel: between a
    key and its value on the next line, and after the `|` or `>` of a list item's block text.
    Rather than lose it, say where it is, so the contributor moves it."""
    slots = parent.ca.items.get(key) if getattr(parent, "ca", None) else None
    if not slots:
        return
    if isinstance(parent, CommentedMap):
        for token in (slots[3] if len(slots) > 3 else None) or []:
            if isinstance(token, CommentToken):
                line = token.start_mark.line + 1 if token.start_mark else None
                raise FormatError(
                    f"a comment between '{key}:' and its value would be lost; "
                    f"move it above '{key}:' or to the end of the value's line",
                    line,
                )
    elif len(slots) > 1 and any(isinstance(comment, str) for comment in slots[1] or []):
        line = parent.lc.item(key)[0] + 1
        raise FormatError(
            f"a comment after the '|' or '>' of list item {key + 1} would be lost; "
            "move it to a line of its own above the item",
            line,
        )


def _has_merge(node: CommentedMap) -> bool:
    return bool(getattr(node, "merge", None))


def _anchored(value: Any) -> bool:
    anchor = getattr(value, Anchor.attrib, None)
    return anchor is not None and anchor.value is not None


def _has_comments(node: Any) -> bool:
    ca = getattr(node, "ca", None)
    if ca is None:
        return False
    return bool(ca.items or any(ca.comment or []) or ca.end)


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plain_data(tree: Any) -> Any:
    """The tree as plain, hashable data that compares equal exactly when two readings mean the
    same: mappings ignore key order, and each scalar keeps its type (`2018` is not `"2018"`)."""
    if isinstance(tree, dict):
        return (
            "map",
            frozenset((plain_data(key), plain_data(value)) for key, value in tree.items()),
        )
    if isinstance(tree, list):
        return ("list", tuple(plain_data(item) for item in tree))
    if isinstance(tree, bool) or tree is None:
        return tree
    if isinstance(tree, str):
        return ("str", str(tree))
    if isinstance(tree, int):
        return ("int", int(tree))
    if isinstance(tree, float):
        return ("float", repr(float(tree)))
    return (type(tree).__name__, repr(tree))


def comment_lines(text: str) -> Counter:
    """Every comment in a YAML text, as stripped lines ('# ...'), counted: to check none is lost.

    Read from the scanner's tokens, which hold each comment once (the round-trip tree may keep
    one comment in two places), and independent of how the tree attaches them.
    """
    found: Counter = Counter()

    def add(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, list | tuple):
            for part in item:
                add(part)
            return
        value = item.value if isinstance(item, CommentToken) else str(item)
        for line in value.splitlines():
            line = line.strip()
            if line.startswith("#"):
                found[line] += 1

    for token in new_fact_yaml().scan(text):
        add(getattr(token, "_comment", None))
    return found
