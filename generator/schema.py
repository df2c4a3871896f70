"""Record kinds, read from the schema files in `generator/schemas/`.

The schema files are data, and the single source of truth: the validator, the editor JSON
Schema (`schemas/json/`), the schema reference page and `kb new` templates are all derived from
the objects built here, so they cannot drift apart.

Loading takes two passes, as followthemoney's model does: first every file is read (kinds and
shared definitions), then `use:` references to shared definitions and `to:` references between
kinds are resolved, so kinds may refer to each other in any order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

SCHEMA_DIR = Path(__file__).parent / "schemas"
DEFINITIONS_FILE = "_definitions.yaml"

FIELD_TYPES = {
    "string": "One line of plain text.",
    "text": "Plain text in our own words; may link to records with [[id]] or [[id|label]].",
    "boolean": "true or false.",
    "number": "A plain number: 799, 0.5, 12000000 (no currency sign, no % sign, no commas).",
    "date": "A partial date: 2018, 2018-11, 2018-11-02, 'early 2019', '2017-11~', or a range A/B.",
    "url": "An https:// address (http:// only where the source has no https address).",
    "enum": "One of a fixed list of values.",
    "ref": "The id of another record.",
    "list": "A YAML list.",
    "object": "A YAML mapping with its own fields.",
    "roles": (
        "A mapping from each role the record's type defines to the id (or a list of ids) of the "
        "records in that role: `issuer: [fbi, cia]`."
    ),
}
# The definition in _definitions.yaml that gives every claim its fields besides `value`.
CLAIM_DEFINITION = "claim"
# How text fields link to records, by example: (as written, what it does). The validator reads
# these forms (validate.LINK) and the schema reference documents them from here.
TEXT_LINK_FORMS = [
    ("[[lei-jun]]", "a link to the record with the id lei-jun, shown as its name or title"),
    ("[[wsj|The Wall Street Journal]]", "a link to the record wsj, shown as the text after '|'"),
]
FIELD_KEYS = {
    "type",
    "use",
    "required",
    "description",
    "example",
    "values",
    "to",
    "items",
    "fields",
    "min_items",
    "unique",
    "multiline",
    "claim",
    "roles_from",
}
# What an enum value may say besides its meaning: the roles of the parties of a record of
# that type, how a sentence names them, and whether the first role acts on the others.
VALUE_KEYS = {"description", "roles", "sentence", "directed"}
KIND_KEYS = {"kind", "plural", "title", "description", "label_field", "fields", "cited"}


class SchemaError(Exception):
    """A mistake in the schema files themselves (a developer's error, not a contributor's)."""


@dataclass(frozen=True)
class RoleSet:
    """The roles that records of one type give their parties (an enum value's `roles`).

    `sentence` words the record with a `{role}` placeholder per role ("{issuer} warned against
    {target}"); `directed`: the first role acts on the others, so a diagram draws arrows from
    it, where an undirected tie (a carrier and a maker) is drawn as a plain line.
    """

    roles: dict[str, str]  # role -> what a party in it is, in order
    sentence: str
    directed: bool = True


@dataclass(eq=False)
class FieldSpec:
    """What one field may hold. Objects and lists nest further FieldSpecs.

    Compared and hashed as itself (eq=False), so that what is derived from a spec can be
    remembered per spec (model._holds_text)."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    example: Any = None
    values: dict[str, str] = field(default_factory=dict)  # enum value -> its meaning
    to: tuple[str, ...] = ()  # ref: kinds the id may name
    items: FieldSpec | None = None  # list: the spec of each item
    fields: dict[str, FieldSpec] = field(default_factory=dict)  # object: its fields, in order
    min_items: int = 0
    unique: bool = False
    multiline: bool = False  # string: may span lines (quotes, excerpts)
    # A key fact: the value may also be written as a claim with its own citations and rank
    # (`{value: ..., citations: [...]}`), or as a list of such claims where sources differ.
    claim: bool = False
    claim_fields: dict[str, FieldSpec] = field(default_factory=dict)  # value, rank, reason...
    value_roles: dict[str, RoleSet] = field(default_factory=dict)  # enum value -> its roles
    roles_from: str | None = None  # roles: the sibling enum field whose value has the roles
    definition: str | None = None  # the shared definition it was made from (`use:`)


@dataclass
class KindSchema:
    """One record kind: its names, documentation and fields (in canonical order)."""

    kind: str
    plural: str
    title: str
    description: str
    fields: dict[str, FieldSpec]
    label_field: str | None = None
    cited: bool = True  # records of this kind must carry citations (all but sources)

    @property
    def required_fields(self) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.required]


@dataclass
class SchemaSet:
    """Every record kind, by kind name and by folder (plural) name."""

    kinds: dict[str, KindSchema]

    @property
    def by_plural(self) -> dict[str, KindSchema]:
        return {schema.plural: schema for schema in self.kinds.values()}

    def __iter__(self):
        return iter(self.kinds.values())


def yaml_inline(value: Any) -> str:
    """A value as a contributor would type it in a fact file: `[a, b]`, plain words, and
    quotes only where YAML needs them. Used to show schema examples in messages and docs."""
    if isinstance(value, list):
        return "[" + ", ".join(yaml_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.search(r"^[-?:,\[\]{}#&*!|>'\"%@`\s]|: | #|\s$", text):
        return json.dumps(text, ensure_ascii=False)
    return text


def _read_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _build_field(name: str, raw: dict, definitions: dict, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: field '{name}' must be a mapping")
    unknown = set(raw) - FIELD_KEYS
    if unknown:
        raise SchemaError(f"{where}: field '{name}' has unknown keys {sorted(unknown)}")
    definition = raw.get("use")
    if "use" in raw:
        shared = definitions.get(raw["use"])
        if shared is None:
            raise SchemaError(f"{where}: field '{name}' uses unknown definition '{raw['use']}'")
        # The field's own keys (required, description, example) win over the shared ones.
        raw = {**shared, **{k: v for k, v in raw.items() if k != "use"}}
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise SchemaError(f"{where}: field '{name}' has unknown type {kind!r}")
    spec = FieldSpec(
        name=name,
        type=kind,
        description=" ".join(str(raw.get("description", "")).split()),
        required=bool(raw.get("required", False)),
        example=raw.get("example"),
        values={str(k): _value_meaning(v) for k, v in (raw.get("values") or {}).items()},
        to=tuple(raw.get("to") or ()),
        min_items=int(raw.get("min_items", 0)),
        unique=bool(raw.get("unique", False)),
        multiline=bool(raw.get("multiline", False)),
        roles_from=raw.get("roles_from"),
        definition=definition,
    )
    spec.value_roles = {
        str(value): _role_set(value, meaning, f"{where}: field '{name}'")
        for value, meaning in (raw.get("values") or {}).items()
        if isinstance(meaning, dict) and "roles" in meaning
    }
    if kind == "roles" and not (spec.roles_from and spec.to):
        raise SchemaError(f"{where}: roles field '{name}' needs 'roles_from' and 'to'")
    if kind == "list":
        if "items" not in raw:
            raise SchemaError(f"{where}: list field '{name}' needs 'items'")
        spec.items = _build_field(f"{name}[]", raw["items"], definitions, where)
    if kind == "object":
        spec.fields = {
            sub: _build_field(sub, sub_raw, definitions, f"{where}: {name}")
            for sub, sub_raw in (raw.get("fields") or {}).items()
        }
    if kind == "enum" and not spec.values:
        raise SchemaError(f"{where}: enum field '{name}' needs 'values'")
    if kind == "ref" and not spec.to:
        raise SchemaError(f"{where}: ref field '{name}' needs 'to'")
    if raw.get("claim"):
        if kind == "object":
            raise SchemaError(f"{where}: field '{name}': an object cannot be a claim")
        claim = definitions.get(CLAIM_DEFINITION)
        if claim is None:
            raise SchemaError(f"{where}: field '{name}' is a claim, but no '{CLAIM_DEFINITION}'")
        spec.claim = True
        value = replace(spec, name="value", required=True, claim=False)
        value.description = "The value, as the cited sources give it."
        claim_spec = _build_field(name, claim, definitions, where)
        spec.claim_fields = {"value": value, **claim_spec.fields}
    return spec


def _value_meaning(raw: Any) -> str:
    """An enum value's meaning: its text, or the `description` of a value that says more."""
    if isinstance(raw, dict):
        raw = raw.get("description", "")
    return " ".join(str(raw).split())


def _role_set(value: Any, raw: dict, where: str) -> RoleSet:
    unknown = set(raw) - VALUE_KEYS
    if unknown:
        raise SchemaError(f"{where}: value '{value}' has unknown keys {sorted(unknown)}")
    roles = {str(role): " ".join(str(text).split()) for role, text in raw["roles"].items()}
    sentence = str(raw.get("sentence", ""))
    named = set(re.findall(r"\{([a-z-]+)\}", sentence))
    if not roles or named != set(roles):
        raise SchemaError(
            f"{where}: value '{value}': its sentence must name each of its roles once, "
            f"as {{role}} ({', '.join(roles)})"
        )
    return RoleSet(roles=roles, sentence=sentence, directed=bool(raw.get("directed", True)))


def walk_specs(spec: FieldSpec):
    """The spec and every spec nested in it (items, fields, a claim's fields)."""
    yield spec
    if spec.items:
        yield from walk_specs(spec.items)
    for sub in spec.fields.values():
        yield from walk_specs(sub)
    for sub in spec.claim_fields.values():
        if sub.name != "value":
            yield from walk_specs(sub)


def load_schemas(schema_dir: Path = SCHEMA_DIR) -> SchemaSet:
    """Read every schema file, then resolve references between them (the second pass)."""
    definitions = _read_yaml(schema_dir / DEFINITIONS_FILE) or {}
    raw_kinds = {}
    for path in sorted(schema_dir.glob("*.yaml")):
        if path.name == DEFINITIONS_FILE:
            continue
        raw = _read_yaml(path)
        unknown = set(raw) - KIND_KEYS
        if unknown:
            raise SchemaError(f"{path.name}: unknown keys {sorted(unknown)}")
        if raw.get("kind") != path.stem:
            raise SchemaError(f"{path.name}: 'kind' must be '{path.stem}'")
        raw_kinds[raw["kind"]] = raw

    kinds = {}
    for name, raw in raw_kinds.items():
        fields = {
            field_name: _build_field(field_name, field_raw, definitions, f"{name}.yaml")
            for field_name, field_raw in raw["fields"].items()
        }
        kinds[name] = KindSchema(
            kind=name,
            plural=raw["plural"],
            title=raw["title"],
            description=" ".join(str(raw.get("description", "")).split()),
            fields=fields,
            label_field=raw.get("label_field"),
            cited=bool(raw.get("cited", True)),
        )

    # Second pass: every `to:` must name a kind that exists.
    for schema in kinds.values():
        for spec in schema.fields.values():
            for sub in walk_specs(spec):
                for target in sub.to:
                    if target not in kinds:
                        raise SchemaError(
                            f"{schema.kind}.yaml: field '{sub.name}' refers to unknown kind "
                            f"'{target}'"
                        )
            if spec.type == "roles":
                source = schema.fields.get(spec.roles_from)
                if source is None or not source.value_roles:
                    raise SchemaError(
                        f"{schema.kind}.yaml: field '{spec.name}' takes its roles from "
                        f"'{spec.roles_from}', which defines none"
                    )
        if schema.cited and "citations" not in schema.fields:
            raise SchemaError(f"{schema.kind}.yaml: cited kinds need a 'citations' field")
    return SchemaSet(kinds=kinds)


@cache
def default_schemas() -> SchemaSet:
    """The package's schemas, read once per process."""
    return load_schemas()
