"""Start a new fact file of a kind, with its required fields, then check it.

KIND is a kind of record (product, organization, person, quote, relationship, event, source;
the folder name, such as products, works too). ID is the new record's id, which becomes the
file name facts/<kind plural>/<ID>.yaml: lower-case letters and digits joined by hyphens,
unique across all kinds. An existing file is never overwritten.

The new file holds the kind's required fields (empty until filled in) and the fields given;
every field is described in schemas/reference.md and, through the JSON Schema the file's
first line names, by your editor.
--set FIELD=VALUE fills a field in (repeat it for more). FIELD is a field name or a path as
`kb check` shows them, such as citations[0].source; a list takes one item per --set, or a whole
YAML list ([xiaomi, att]). VALUE is taken as text (true/false for yes-or-no fields):

    kb new source SOURCE-ID --set title="THE TITLE AS PUBLISHED" --set kind=news-article
    kb new product PRODUCT-ID --set name="THE NAME" --set maker=xiaomi --set category=smartphone \\
        --set "citations[0].source=SOURCE-ID" --set "citations[0].locator=paragraph 1"

The new file is then checked as `kb check FILE` would: what is still missing is listed there.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..load import FACT_SUFFIX, FACTS_LINK_MESSAGE, KIND_FOLDER_LINK_MESSAGE, new_fact_yaml
from ..pipeline import Project, check_project, find_project_root
from ..problems import format_report, printable, with_article
from ..schema import FieldSpec, KindSchema, SchemaSet, default_schemas
from ..suggest import did_you_mean
from ..tools.format import FormatError
from ..tools.scaffold import render_template
from ..validate import RESERVED_IDS, bad_id, shown_id

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")


class NewFileError(Exception):
    """Why `kb new` wrote nothing; the message is shown as it is."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", metavar="KIND", help="the kind of record, such as product")
    parser.add_argument("id", metavar="ID", help="the new record's id, such as mi-8")
    parser.add_argument(
        "--set",
        "--from",
        dest="values",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="fill in a field (repeatable); FIELD may be a path such as citations[0].source",
    )


def run(args: argparse.Namespace) -> int:
    project = Project(find_project_root(Path.cwd()))
    schemas = default_schemas()
    try:
        schema = find_kind(args.kind, schemas)
        check_new_id(args.id, schema, project, schemas)
        data = fill_fields(schema, args.values)
        path = project.facts_dir / schema.plural / f"{args.id}{FACT_SUFFIX}"
        # Written through a linked facts/ or kind folder, the file would land anywhere.
        if project.facts_dir.is_symlink():
            raise NewFileError(f"facts: {FACTS_LINK_MESSAGE}")
        if path.parent.is_symlink():
            raise NewFileError(f"facts/{schema.plural}: {KIND_FOLDER_LINK_MESSAGE}")
        rel = path.relative_to(project.root).as_posix()
        try:
            text = render_template(schema, data, rel)
        except FormatError as error:  # a value the layout cannot keep exactly: say which
            raise NewFileError(f"cannot write the values given: {error.message}") from None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # 'x': create, never overwrite, even if the file appeared since the check above.
            with path.open("x", encoding="utf-8", newline="\n") as out:
                out.write(text)
        except FileExistsError:
            raise NewFileError(_exists_message(rel)) from None
    except NewFileError as error:
        print(f"kb new: {printable(str(error))}")
        return 1
    print(
        f"Wrote {rel}: {with_article(schema.kind)} with its required fields. Fill them in, and add "
        "the optional fields a source supports (schemas/reference.md)."
    )
    print(f"Checking it (kb check {rel}):")
    outcome = check_project(project)
    problems = [problem for problem in outcome.collector.sorted() if problem.path == rel]
    print(format_report(problems, "text", False, outcome.record_count))
    return 0


def find_kind(name: str, schemas: SchemaSet) -> KindSchema:
    """The kind named by its name (product) or its folder (products)."""
    schema = schemas.kinds.get(name) or schemas.by_plural.get(name)
    if schema is None:
        kinds = sorted(schemas.kinds)
        hint = did_you_mean(name, [*kinds, *schemas.by_plural])
        raise NewFileError(f"'{name}' is not a kind of record{hint}; kinds are {', '.join(kinds)}")
    return schema


def check_new_id(record_id: str, schema: KindSchema, project: Project, schemas: SchemaSet):
    """Refuse an id the validator would refuse, or one another record already has."""
    bad = bad_id(record_id)
    if bad is not None:
        why, written = bad
        raise NewFileError(why + (f" (try {written})" if written else ""))
    if record_id in RESERVED_IDS:
        raise NewFileError(
            f"'{record_id}' cannot be an id: {schema.plural}/{record_id} is "
            f"{RESERVED_IDS[record_id]}, which the site makes itself (choose another id)"
        )
    own = project.facts_dir / schema.plural / f"{record_id}{FACT_SUFFIX}"
    if own.exists() or own.is_symlink():
        raise NewFileError(_exists_message(own.relative_to(project.root).as_posix()))
    wanted = _fold(record_id)
    for folder in sorted(schemas.by_plural):
        directory = project.facts_dir / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob(f"*{FACT_SUFFIX}")):
            if _fold(path.stem) == wanted:
                rel = path.relative_to(project.root).as_posix()
                raise NewFileError(
                    f"id '{shown_id(record_id)}' is also the id of {rel}: ids are unique across "
                    "all kinds (choose another id)"
                )


def _exists_message(rel: str) -> str:
    return f"{rel} already exists: kb new never overwrites a file (edit it, or choose another id)"


def _fold(text: str) -> str:
    # The validator's rule: ids that differ only in case or Unicode form are the same id.
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class _Step:
    name: str
    index: int | None


def fill_fields(schema: KindSchema, assignments: list[str]) -> dict:
    """The data the --set options describe, checked against the kind's fields."""
    data: dict = {}
    for assignment in assignments:
        field_path, equals, raw = assignment.partition("=")
        if not equals:
            raise NewFileError(
                f'--set {assignment}: write FIELD=VALUE, for example --set name="Mi 8"'
            )
        try:
            _assign(schema, data, field_path.strip(), raw)
        except NewFileError as error:
            raise NewFileError(f"--set {assignment}: {error}") from None
    return data


def _parse_path(field_path: str) -> list[_Step]:
    steps = []
    for segment in field_path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise NewFileError(
                f"'{field_path}' is not a field path; write a field name, or a path such as "
                "citations[0].source"
            )
        index = match["index"]
        steps.append(_Step(match["name"], int(index) if index is not None else None))
    return steps


def _assign(schema: KindSchema, data: dict, field_path: str, raw: str) -> None:
    steps = _parse_path(field_path)
    fields = schema.fields
    container: dict = data
    where = f"{schema.kind} fields"
    for number, step in enumerate(steps):
        last = number == len(steps) - 1
        spec = fields.get(step.name)
        if spec is None:
            raise NewFileError(
                f"unknown field '{step.name}'{did_you_mean(step.name, fields)}; "
                f"{where} are {', '.join(fields)}"
            )
        object_items = (
            spec.type == "list" and spec.items is not None and spec.items.type == "object"
        )
        if step.index is not None:
            if spec.type != "list":
                raise NewFileError(f"'{step.name}' is not a list: write {step.name}=VALUE")
            items = container.setdefault(step.name, [])
            if step.index > len(items):
                raise NewFileError(
                    f"set {step.name}[{len(items)}] first: list items are numbered from 0"
                )
            if last:
                if object_items:
                    raise NewFileError(_set_fields_hint(step.name, spec, f"[{step.index}]"))
                value = _convert(spec.items, raw, f"{step.name}[{step.index}]")
                if step.index == len(items):
                    items.append(value)
                else:
                    items[step.index] = value
                return
            if not object_items:
                raise NewFileError(f"'{step.name}[{step.index}]' has no fields")
            if step.index == len(items):
                items.append({})
            container = items[step.index]
            fields = spec.items.fields
            where = f"the fields of {step.name}[{step.index}]"
            continue
        if spec.type == "roles":
            # Parties by role: `parties.carrier=att`, or `parties.issuer=[fbi, cia]`.
            role = steps[number + 1] if number == len(steps) - 2 else None
            if role is None or role.index is not None:
                raise NewFileError(
                    f"'{step.name}' names its parties by role: write {step.name}.ROLE=ID "
                    f"(or {step.name}.ROLE=[ID, ID])"
                )
            parties = container.setdefault(step.name, {})
            parties[role.name] = (
                [str(item) for item in _yaml_list(raw)]
                if raw.strip().startswith("[")
                else raw.strip()
            )
            return
        if last:
            if object_items or spec.type == "object":
                raise NewFileError(_set_fields_hint(step.name, spec, "[0]" if object_items else ""))
            if spec.type == "list":
                if raw.strip().startswith("["):
                    container[step.name] = [
                        _convert(spec.items, str(item), f"{step.name}[{index}]")
                        for index, item in enumerate(_yaml_list(raw))
                    ]
                else:
                    items = container.setdefault(step.name, [])
                    items.append(_convert(spec.items, raw, f"{step.name}[{len(items)}]"))
                return
            container[step.name] = _convert(spec, raw, step.name)
            return
        if spec.type == "object":
            container = container.setdefault(step.name, {})
            fields = spec.fields
            where = f"the fields of {step.name}"
        elif object_items:
            following = steps[number + 1].name
            raise NewFileError(
                f"'{step.name}' is a list: say which item, as in {step.name}[0].{following}"
            )
        else:
            raise NewFileError(f"'{step.name}' has no fields")


def _set_fields_hint(name: str, spec: FieldSpec, index: str) -> str:
    fields = spec.items.fields if spec.type == "list" else spec.fields
    first = next(iter(fields))
    return f"'{name}{index}' holds fields: set them one by one, as in {name}{index}.{first}=VALUE"


def _convert(spec: FieldSpec | None, raw: str, shown: str) -> Any:
    if spec is not None and spec.type == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise NewFileError(f"{shown}: expected true or false, got '{raw}'")
        return lowered == "true"
    return raw


def _yaml_list(raw: str) -> list:
    try:
        value = new_fact_yaml().load(raw)
    except Exception:  # noqa: BLE001 - any parse failure gets the same plain answer
        value = None
    if not isinstance(value, list) or any(isinstance(item, dict | list) for item in value):
        raise NewFileError(f"'{raw}' is not a list of values; write it as [a, b]")
    return list(value)
