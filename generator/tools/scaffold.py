"""Templates for `kb new`: a short fact file for any kind, derived from its schema.

The file holds the required fields, in schema order, and the fields given a value. Required
fields without one are left empty, so the check `kb new` runs lists exactly what is still to
fill in. The guidance on every field lives in the editor's JSON Schema (named on the file's
first line) and in schemas/reference.md, not in comments each new file would carry. Nothing
here is written per kind: a kind or field added to generator/schemas/ shows up by itself.

The text is then laid out by the formatter, so a new file is already in `kb fmt`'s layout.
"""

from __future__ import annotations

from typing import Any

from ..schema import FieldSpec, KindSchema
from ..schema_outputs import schema_header_line
from .format import FactFormatter

_NOT_GIVEN = object()  # a field the contributor has not filled in (None is a value: null)


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
    """Writes the lines of a template, field by field, following the schema: the required
    fields (empty when not given) and the fields given a value; nothing else."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def mapping(
        self, fields: dict[str, FieldSpec], data: dict, indent: int, dash: str | None = None
    ) -> None:
        """The fields of one mapping, at `indent`. `dash` ('  - ') starts a list item: it goes
        before the first field written."""
        names = [name for name in fields if name in data or fields[name].required]
        if dash is not None and not names:
            names = [next(iter(fields))]  # something must stand after the dash: left empty
        for name in names:
            prefix = " " * indent
            if dash is not None:
                prefix, dash = dash, None
            self.field(name, fields[name], data.get(name, _NOT_GIVEN), prefix, indent)

    def field(self, name: str, spec: FieldSpec, value: Any, prefix: str, indent: int) -> None:
        head = f"{prefix}{name}:"
        if spec.type == "list" and spec.items and spec.items.type == "object":
            self.lines.append(head)
            items = value if isinstance(value, list) and value else [{}]
            for item in items:
                item = item if isinstance(item, dict) else {}
                dash = " " * (indent + 2) + "- "
                self.mapping(spec.items.fields, item, indent + 4, dash=dash)
        elif spec.type == "object":
            self.lines.append(head)
            self.mapping(spec.fields, value if isinstance(value, dict) else {}, indent + 2)
        elif spec.type == "roles" and isinstance(value, dict) and value:
            # Parties by role: one line per role, an id or a list of ids.
            self.lines.append(head)
            for role, members in value.items():
                shown = (
                    f"[{', '.join(yaml_scalar(m) for m in members)}]"
                    if isinstance(members, list)
                    else yaml_scalar(members)
                )
                self.lines.append(f"{' ' * (indent + 2)}{role}: {shown}")
        elif spec.type == "list":
            shown = value if isinstance(value, list) else []
            self.lines.append(f"{head} [{', '.join(yaml_scalar(item) for item in shown)}]")
        else:
            shown = "" if value is _NOT_GIVEN else yaml_scalar(value)
            self.lines.append(f"{head} {shown}".rstrip())


def render_template(schema: KindSchema, data: dict, rel_path: str) -> str:
    """The text of a new fact file of `schema`'s kind, with `data`'s fields filled in.

    `rel_path` is where it will live (facts/<plural>/<id>.yaml), named in the instructions.
    """
    writer = _TemplateWriter()
    writer.lines.append(schema_header_line(schema.kind))
    writer.lines.append(
        f"# {schema.title}: every field is described in schemas/reference.md and by your editor."
    )
    writer.lines.append(f"# Check it: kb check {rel_path}")
    writer.mapping(schema.fields, data, indent=0)
    text = "\n".join(writer.lines) + "\n"
    return FactFormatter().format_text(text, schema)
