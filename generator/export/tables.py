"""api/v1/<plural>.csv: one row per record, for spreadsheets (see README, "Data for machines").

UTF-8 with a byte-order mark (so that a spreadsheet reads it as UTF-8), a header row, CRLF
line ends and quoting by the csv module's rules. The columns: `id`, the kind's fields in the
schema's order (its citations as a count, `citation_count`), then `page` and `json`, the
record's page and document relative to the site's root. A cell holds:

- a key fact: the value shown (the other claims are in the JSON document);
- a text: its words, a [[link]] as its label;
- a list: its items joined by "; "; a party list ("roles"): "role: id, id; role: id";
- an object (a price, a position, a status step): its fields as "name: value", joined by ", "
  (their notes and citations are in the JSON document).

A cell that starts with =, +, -, @, a tab or a carriage return starts with an apostrophe
instead, so that no spreadsheet runs it as a formula (numbers, written by us, are left alone).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ..model import KnowledgeBase
from ..schema import FieldSpec
from .api import API_ROOT, citation_count, kinds_in_order, record_json_path

LIST_SEPARATOR = "; "
FIELD_SEPARATOR = ", "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Parts of an object left out of its cell: they are in the JSON document.
LEFT_OUT = {"citations", "note"}


def neutralize(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs: OWASP's rule for CSV injection."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _cell(spec: FieldSpec | None, value: Any, nested: bool = False) -> str:
    if value is None:
        return ""
    kind = spec.type if spec is not None else None
    if kind == "roles" and isinstance(value, dict):
        return LIST_SEPARATOR.join(
            f"{role}: {ids if isinstance(ids, str) else FIELD_SEPARATOR.join(ids)}"
            for role, ids in value.items()
        )
    if isinstance(value, list):
        items = spec.items if spec is not None else None
        separator = FIELD_SEPARATOR if nested else LIST_SEPARATOR
        return separator.join(_cell(items, item, nested) for item in value)
    if isinstance(value, dict):
        fields = spec.fields if spec is not None else {}
        return FIELD_SEPARATOR.join(
            f"{name}: {_cell(sub, value[name], True)}"
            for name, sub in fields.items()
            if name in value and name not in LEFT_OUT
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_files(kb: KnowledgeBase) -> dict[str, bytes]:
    files = {}
    for schema in kinds_in_order(kb):
        columns = [name for name in schema.fields if name != "citations"]
        out = io.StringIO()
        writer = csv.writer(out)  # excel dialect: quoting by the csv module's rules, CRLF
        writer.writerow(["id", *columns, "citation_count", "page", "json"])
        for record in kb.by_kind.get(schema.kind, []):
            row = [record.id]
            for name in columns:
                spec = schema.fields[name]
                if spec.type == "text" and name in record.data:
                    cell = kb.plain_text(record.text(name))
                    row.append(neutralize(cell))
                    continue
                value = record.values.get(name)
                cell = _cell(spec, value)
                number = isinstance(value, int | float) and not isinstance(value, bool)
                row.append(cell if number else neutralize(cell))
            row += [
                str(citation_count(record.data)),
                record.url,
                record_json_path(record),
            ]
            writer.writerow(row)
        files[f"{API_ROOT}/{schema.plural}.csv"] = out.getvalue().encode("utf-8-sig")
    return files
