"""Templates for `kb new`: a commented fact file for any kind, derived from its schema.

Every field of the kind appears, in schema order, under a comment giving its name, whether it
is required, what it holds and its description. Fields given a value are real YAML. Required
fields without one are left empty, so the check `kb new` runs lists exactly what is still to
fill in; optional ones are commented out, ready to uncomment. Nothing here is written per
kind: a kind or field added to generator/schemas/ shows up in its template by itself.

The text is then laid out by the formatter, so a new file is already in `kb fmt`'s layout.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

from .format import WIDTH, FactFormatter
from .schema import FieldSpec, KindSchema, yaml_inline

SCHEMA_HEADER = "# yaml-language-server: $schema=../../schemas/json/{kind}.schema.json"
_NOT_GIVEN = object()  # a field the contributor has not filled in (None is a value: null)


def schema_header(kind: str) -> str:
    """The first line of every fact file: it points editors at the kind's JSON Schema."""
    return SCHEMA_HEADER.format(kind=kind)


def _kinds_phrase(kinds: tuple[str, ...]) -> str:
    named = [("an " if kind[0] in "aeiou" else "a ") + kind for kind in kinds]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]


def type_phrase(spec: FieldSpec) -> str:
    """What a field holds, in a contributor's words: 'id of an organization', 'a date'..."""
    if spec.type == "string":
        return "text, may span lines" if spec.multiline else "text, one line"
    if spec.type == "text":
        return "text in our own words, [[id]] links allowed"
    if spec.claim:
        bare = type_phrase(replace(spec, claim=False))
        return f"{bare}; or claims with their own citations (see the schema reference)"
    if spec.type == "boolean":
        return "true or false"
    if spec.type == "number":
        return "a plain number"
    if spec.type == "roles":
        return "each role of the type, then the id (or ids) of who has it: role: id"
    if spec.type == "date":
        return "a date: 2018, 2018-11, 2018-11-02, early 2019, 2017-11~ or a range A/B"
    if spec.type == "url":
        return "an https:// address"
    if spec.type == "enum":
        return "one of " + ", ".join(spec.values)
    if spec.type == "ref":
        return "the id of " + _kinds_phrase(spec.to)
    if spec.type == "list":
        least = f", at least {spec.min_items}" if spec.min_items > 1 else ""
        if spec.items and spec.items.type == "object":
            return f"a list{least}; each item has the fields below"
        item = type_phrase(spec.items) if spec.items else "anything"
        return f"a list{least}, each item {item}"
    if spec.type == "object":
        return "a mapping with the fields below"
    return spec.type


def field_comment(name: str, spec: FieldSpec) -> str:
    """'name (required; text, one line): The product's name... Example: Mi TV'."""
    required = "required; " if spec.required else ""
    text = f"{name} ({required}{type_phrase(spec)})"
    if spec.description:
        text += f": {spec.description}"
    if spec.example is not None and spec.type not in ("list", "object"):
        example = spec.example
        text += f" Example: {yaml_inline(example) if isinstance(example, dict) else example}"
    return text


def _comment_lines(text: str, indent: int) -> list[str]:
    prefix = " " * indent + "# "
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=prefix,
        subsequent_indent=prefix + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def yaml_scalar(value: Any) -> str:
    """A value as YAML text that reads back as the same value (the formatter picks the final
    quoting). Strings are double-quoted with YAML's escapes, so any text is safe here."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    out = []
    for char in str(value):
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable() or char in "\u2028\u2029\ufeff\x85":
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


class _TemplateWriter:
    """Writes the lines of a template, field by field, following the schema.

    A line is built as it would read uncommented; `comment_col` (when not None) puts '# ' at
    that column, the indentation of the outermost commented-out field, as an editor's
    "toggle comment" would, so uncommenting a block gives valid YAML.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str, comment_col: int | None) -> None:
        if comment_col is None:
            self.lines.append(text)
        else:
            self.lines.append(text[:comment_col] + "# " + text[comment_col:])

    def describe(self, name: str, spec: FieldSpec, indent: int, nested: bool) -> None:
        self.lines.extend(_comment_lines(field_comment(name, spec), indent))
        if nested:  # a commented-out list or mapping: its fields are described here too
            fields = spec.items.fields if spec.type == "list" and spec.items else spec.fields
            for sub_name, sub in fields.items():
                self.describe(sub_name, sub, indent + 2, sub.type in ("list", "object"))

    def mapping(
        self,
        fields: dict[str, FieldSpec],
        data: dict,
        indent: int,
        comment_col: int | None,
        dash: str | None = None,
    ) -> None:
        """The fields of one mapping, at `indent`. `dash` ('  - ') starts a list item: it goes
        before the first field written uncommented, which is therefore written first."""

        def hidden(name: str) -> bool:
            return comment_col is not None or (name not in data and not fields[name].required)

        names = list(fields)
        if dash is not None:
            visible = [name for name in names if not hidden(name)]
            if comment_col is None and not visible:
                # Nothing would stand after the dash: the first field holds it, empty.
                data = {**data, names[0]: None}
                visible = [names[0]]
            lead = visible[0] if visible else names[0]
            names.remove(lead)
            names.insert(0, lead)
        for name in names:
            spec = fields[name]
            value = data.get(name, _NOT_GIVEN)
            col = comment_col
            if col is None and hidden(name):
                col = indent
            if comment_col is None:
                if indent == 0 and self.lines:
                    self.lines.append("")  # top-level fields stand apart, for reading
                self.describe(name, spec, indent, col is not None and _is_nested(spec))
            prefix = " " * indent
            if dash is not None:
                prefix, dash = dash, None
            self.field(name, spec, value, prefix, indent, col)

    def field(
        self, name: str, spec: FieldSpec, value: Any, prefix: str, indent: int, col: int | None
    ) -> None:
        head = f"{prefix}{name}:"
        if spec.type == "list" and spec.items and spec.items.type == "object":
            self.line(head, col)
            items = value if isinstance(value, list) and value else [{}]
            for item in items:
                item = item if isinstance(item, dict) else {}
                dash = " " * (indent + 2) + "- "
                self.mapping(spec.items.fields, item, indent + 4, col, dash=dash)
        elif spec.type == "object":
            self.line(head, col)
            self.mapping(spec.fields, value if isinstance(value, dict) else {}, indent + 2, col)
        elif spec.type == "roles" and isinstance(value, dict) and value:
            self.line(head, col)
            for role, members in value.items():
                shown = (
                    f"[{', '.join(yaml_scalar(m) for m in members)}]"
                    if isinstance(members, list)
                    else yaml_scalar(members)
                )
                self.line(f"{' ' * (indent + 2)}{role}: {shown}", col)
        elif spec.type == "list":
            shown = value if isinstance(value, list) else []
            self.line(f"{head} [{', '.join(yaml_scalar(item) for item in shown)}]", col)
        else:
            shown = "" if value is _NOT_GIVEN else yaml_scalar(value)
            self.line(f"{head} {shown}".rstrip(), col)


def _is_nested(spec: FieldSpec) -> bool:
    return spec.type == "object" or (
        spec.type == "list" and spec.items is not None and spec.items.type == "object"
    )


def render_template(schema: KindSchema, data: dict, rel_path: str) -> str:
    """The text of a new fact file of `schema`'s kind, with `data`'s fields filled in.

    `rel_path` is where it will live (facts/<plural>/<id>.yaml), named in the instructions.
    """
    writer = _TemplateWriter()
    writer.lines.append(schema_header(schema.kind))
    intro = [
        f"{schema.title}: {schema.description}",
        "Fill in the empty required fields, uncomment (delete '# ' before) the optional ones a "
        "source supports and delete the rest. Every claim needs a citation; the sourcing policy "
        "is in CONTRIBUTING.md.",
        f"Check it: kb check {rel_path}   Lay it out: kb fmt {rel_path}",
    ]
    for paragraph in intro:
        writer.lines.extend(_comment_lines(paragraph, 0))
    writer.mapping(schema.fields, data, indent=0, comment_col=None)
    text = "\n".join(writer.lines) + "\n"
    return FactFormatter().format_text(text, schema)
