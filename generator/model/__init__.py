"""Stage 3: the linked graph of records that every page is rendered from.

Built once from `CheckedFacts` after validation found no errors; nothing is re-read or
re-parsed here. Loaded data (`Record.data`) is never mutated. Everything else on a `Record` is
derived, computed here and nowhere else:

- `label`          the display name (the kind's label field, or a quote's opening words)
- `page`, `url`    where its page is in the build folder, and its link from the site root
- `dates`          every date field, parsed (`PartialDate`), by field path
- `texts`          every text field, split into plain runs and `Link`s, by field path
- `values`         the data with every key fact (a claim field) as its value to show: the
                   preferred claim's, else the first normal one's (`get` reads these)
- `role_set`       (relationships) the roles, sentence and direction its type gives its parties
- `claims`         every key fact's claims (`Claim`: value, rank, reason, own citations), by
                   field path, in the order written; a bare value is one claim without citations
- `references`     outgoing references (fields and [[links]])
- `backlinks`      incoming references: every record that refers to this one, and where
- `sort_key`       case- and accent-insensitive label, for stable alphabetical lists
- `current_status` (relationships) the status of the last step of the status history
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from ..dates import PartialDate
from ..load import FieldPath
from ..schema import FieldSpec, KindSchema, RoleSet, SchemaSet
from ..validate import LINK, CheckedFacts, CheckedRecord, Reference

QUOTE_LABEL_WORDS = 10


@dataclass(frozen=True)
class Link:
    """A [[target]] or [[target|label]] inside text."""

    target: str
    label: str | None = None


RichText = list[str | Link]


def parse_rich_text(text: str) -> RichText:
    """Split text into plain runs and links; the validator has already checked every link."""
    pieces: RichText = []
    position = 0
    for match in LINK.finditer(text):
        if match.start() > position:
            pieces.append(text[position : match.start()])
        label = match.group(2)
        pieces.append(Link(target=match.group(1).strip(), label=label.strip() if label else None))
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return pieces


RANKS = ("preferred", "normal", "deprecated")


@dataclass(frozen=True)
class Claim:
    """One value of a key fact, as one or more sources give it (Wikidata's statement).

    `citations` None: written bare, so it rests on the record's own citations. `path` is where
    the value sits in the data, for its parsed date (`date`) and its [[links]].
    """

    value: Any
    path: FieldPath
    rank: str = "normal"
    reason: str | None = None
    citations: list[dict] | None = None
    date: PartialDate | None = None


def best_claim(claims: list[Claim]) -> Claim | None:
    """The value to show where one is needed: the preferred one, else the first normal one.
    A fact whose every value is deprecated has none."""
    shown = [claim for claim in claims if claim.rank != "deprecated"]
    return min(shown, key=lambda claim: RANKS.index(claim.rank), default=None)


def sources_differ(claims: list[Claim]) -> bool:
    """Whether more than one value stands (not deprecated), so the page must say they differ."""
    return len({repr(c.value) for c in claims if c.rank != "deprecated"}) > 1


@dataclass(frozen=True)
class Backlink:
    """`record` refers to the record holding this backlink, at `path`."""

    record: Record
    path: FieldPath
    in_text: bool


@dataclass(eq=False)
class Record:
    """One record of the knowledge base: raw data plus the derived fields listed above."""

    id: str
    kind: str
    schema: KindSchema
    data: dict[str, Any]  # as loaded; never mutated
    fact_path: str  # the fact file, relative to the knowledge base root
    label: str = ""
    dates: dict[FieldPath, PartialDate] = field(default_factory=dict)
    texts: dict[FieldPath, RichText] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    backlinks: list[Backlink] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    claims: dict[FieldPath, list[Claim]] = field(default_factory=dict)

    @property
    def page(self) -> str:
        """The Markdown file in the build folder: '<plural>/<id>.md'."""
        return f"{self.schema.plural}/{self.id}.md"

    @property
    def url(self) -> str:
        """The page's address from the site root, with MkDocs' directory URLs."""
        return f"{self.schema.plural}/{self.id}/"

    @cached_property
    def sort_key(self) -> tuple[str, str]:
        # Cached: every sorted list compares it, and the label never changes once built.
        folded = unicodedata.normalize("NFKD", self.label).casefold()
        return ("".join(ch for ch in folded if not unicodedata.combining(ch)), self.id)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def claims_of(self, *path: str | int) -> list[Claim]:
        return self.claims.get(tuple(path), [])

    @property
    def role_set(self) -> RoleSet | None:
        """The roles, sentence and direction its type gives its parties (a relationship's);
        None for a record whose kind or type has none."""
        spec = self.schema.fields.get("parties")
        if spec is None or spec.type != "roles":
            return None
        return self.schema.fields[spec.roles_from].value_roles.get(self.get(spec.roles_from))

    def parties(self) -> list[tuple[str, list[str]]]:
        """(role, ids) for a record whose parties have roles, in the order its type lists the
        roles; [] for a record without parties."""
        by_role = self.values.get("parties")
        if not isinstance(by_role, dict):
            return []
        role_set = self.role_set
        order = list(role_set.roles) if role_set else list(by_role)
        return [
            (role, [by_role[role]] if isinstance(by_role[role], str) else list(by_role[role]))
            for role in order
            if role in by_role
        ]

    def date(self, *path: str | int) -> PartialDate | None:
        return self.dates.get(tuple(path))

    def text(self, *path: str | int) -> RichText | None:
        return self.texts.get(tuple(path))

    @property
    def current_status(self) -> str | None:
        history = self.get("status_history") or []
        return history[-1]["status"] if history else None

    @property
    def current_status_date(self) -> PartialDate | None:
        history = self.data.get("status_history") or []
        return self.date("status_history", len(history) - 1, "date") if history else None

    def __repr__(self) -> str:
        return f"<Record {self.kind}:{self.id}>"


@dataclass(frozen=True)
class CitationUse:
    """One place a source is cited: which record, where in it, and the citation itself."""

    record: Record
    path: FieldPath
    citation: dict[str, Any]


@dataclass(frozen=True)
class DatedEntry:
    """A line of the timeline: a date in some record, and what it dates."""

    date: PartialDate
    record: Record
    path: FieldPath


@dataclass
class KnowledgeBase:
    """All records, linked. Lists are sorted once here so every page lists in the same order."""

    schemas: SchemaSet
    records: dict[str, Record]
    by_kind: dict[str, list[Record]]
    citations_of_source: dict[str, list[CitationUse]]
    timeline: list[DatedEntry]
    # `referring`'s answers: a page asks for the same list more than once (its sections and
    # its diagram). Valid as long as the model, which never changes once built.
    _referring: dict[tuple, list[Record]] = field(default_factory=dict, repr=False)

    def get(self, record_id: str) -> Record | None:
        return self.records.get(record_id)

    def plain_text(self, text: RichText | None) -> str:
        """Rich text as plain words, each [[link]] as its label (the record's name unless the
        link gives one), spaces run together: for front matter, JSON-LD and CSV."""
        words = []
        for piece in text or []:
            if isinstance(piece, Link):
                target = self.records.get(piece.target)
                words.append(piece.label or (target.label if target else piece.target))
            else:
                words.append(piece)
        return " ".join("".join(words).split())

    def __getitem__(self, record_id: str) -> Record:
        return self.records[record_id]

    def referring(self, record: Record, kind: str, field_name: str | None = None) -> list[Record]:
        """Records of `kind` that refer to `record` (through `field_name`, if given), sorted."""
        key = (record.id, kind, field_name)
        known = self._referring.get(key)
        if known is not None:
            return list(known)
        found = {
            backlink.record.id: backlink.record
            for backlink in record.backlinks
            if backlink.record.kind == kind
            and not backlink.in_text
            and (field_name is None or backlink.path[0] == field_name)
        }
        known = self._referring[key] = sorted(found.values(), key=date_order)
        return list(known)


def date_order(record: Record) -> tuple:
    """Records in the order of their date (an event's, a quote's, a relationship's current
    status), then by label; undated last."""
    date = record.date("date") or record.date("said") or record.current_status_date
    return (0, date.sort_key, record.sort_key) if date else (1, (), record.sort_key)


@cache
def _holds_text(spec: FieldSpec) -> bool:
    """Whether a field can hold text anywhere inside it. Remembered per spec: most values
    (citations, dates, ids) hold none, and walking them was most of the model's time."""
    return (
        spec.type == "text"
        or (spec.items is not None and _holds_text(spec.items))
        or any(_holds_text(field_spec) for field_spec in spec.fields.values())
        or any(_holds_text(field_spec) for field_spec in spec.claim_fields.values())
    )


def _walk_texts(spec_fields: dict[str, FieldSpec], data: Any, path: FieldPath):
    """Every (path, string) of a text-typed field in `data`."""
    if not isinstance(data, dict):
        return
    for name, spec in spec_fields.items():
        if name not in data or not _holds_text(spec):
            continue
        yield from _walk_value(spec, data[name], path + (name,))


def _walk_value(spec: FieldSpec, value: Any, path: FieldPath):
    if spec.claim and isinstance(value, dict):
        yield from _walk_texts(spec.claim_fields, value, path)
    elif spec.claim and isinstance(value, list) and any(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from _walk_texts(spec.claim_fields, item, path + (index,))
    elif spec.type == "text" and isinstance(value, str):
        yield path, value
    elif spec.type == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_value(spec.items, item, path + (index,))
    elif spec.type == "object":
        yield from _walk_texts(spec.fields, value, path)


@cache
def _holds_claims(spec: FieldSpec) -> bool:
    return (
        spec.claim
        or (spec.items is not None and _holds_claims(spec.items))
        or any(_holds_claims(sub) for sub in spec.fields.values())
    )


class _ClaimResolver:
    """Splits a record's key facts into their claims and the value each shows (see `Record`).

    Dates of claims move onto their claim; the date of the value shown takes the field's own
    path, so `record.date("released")` reads the same however the fact was written.
    """

    def __init__(self, dates: dict[FieldPath, PartialDate]):
        self.dates = dict(dates)
        self.claims: dict[FieldPath, list[Claim]] = {}

    def mapping(self, fields: dict[str, FieldSpec], data: dict, path: FieldPath) -> dict:
        out = dict(data)
        for name, spec in fields.items():
            if name in data and _holds_claims(spec):
                out[name] = self.value(spec, data[name], path + (name,))
        return out

    def value(self, spec: FieldSpec, value: Any, path: FieldPath) -> Any:
        if spec.claim:
            claims = [self.claim(item, item_path) for item, item_path in _claim_items(value, path)]
            self.claims[path] = claims
            best = best_claim(claims)
            if best is not None and best.date is not None:
                self.dates[path] = best.date
            return best.value if best is not None else None
        if spec.type == "list" and isinstance(value, list):
            return [self.value(spec.items, item, path + (i,)) for i, item in enumerate(value)]
        if spec.type == "object" and isinstance(value, dict):
            return self.mapping(spec.fields, value, path)
        return value

    def claim(self, item: Any, path: FieldPath) -> Claim:
        if isinstance(item, dict):
            value_path = path + ("value",)
            return Claim(
                value=item.get("value"),
                path=value_path,
                rank=item.get("rank") or "normal",
                reason=item.get("reason"),
                citations=item.get("citations"),
                date=self.dates.pop(value_path, None),
            )
        return Claim(value=item, path=path, date=self.dates.get(path))


def _claim_items(value: Any, path: FieldPath) -> list[tuple[Any, FieldPath]]:
    """A key fact's claims with their paths: one bare value, one claim, or a list of claims."""
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return [(item, path + (index,)) for index, item in enumerate(value)]
    return [(value, path)]


def _label(schema: KindSchema, data: dict[str, Any]) -> str:
    if schema.label_field:
        return str(data[schema.label_field])
    if schema.kind == "quote":
        words = str(data["text"]).split()
        shown = " ".join(words[:QUOTE_LABEL_WORDS])
        return f"“{shown}{'…' if len(words) > QUOTE_LABEL_WORDS else ''}”"
    return schema.title


def build_model(checked: CheckedFacts, schemas: SchemaSet) -> KnowledgeBase:
    """Link the checked records into one graph. Call only when validation found no errors."""
    records: dict[str, Record] = {}
    for checked_record in checked.records:
        data = checked_record.fact.data
        record = Record(
            id=checked_record.id,
            kind=checked_record.kind,
            schema=checked_record.schema,
            data=data,
            fact_path=checked_record.fact.rel,
            label=_label(checked_record.schema, data),
            references=list(checked_record.references),
        )
        _derive_from_data(record, checked_record)
        records[record.id] = record

    for record in records.values():
        for reference in record.references:
            target = records.get(reference.target)
            if target is not None:
                target.backlinks.append(
                    Backlink(record=record, path=reference.path, in_text=reference.in_text)
                )

    by_kind: dict[str, list[Record]] = defaultdict(list)
    for record in records.values():
        by_kind[record.kind].append(record)
    for kind in schemas.kinds:
        by_kind[kind] = sorted(by_kind.get(kind, []), key=lambda r: r.sort_key)
    for record in records.values():
        record.backlinks.sort(key=lambda b: (b.record.kind, b.record.sort_key, b.path))

    citations_of_source: dict[str, list[CitationUse]] = defaultdict(list)
    for record in records.values():
        for reference in record.references:
            if reference.in_text or reference.path[-1] not in ("source", "via"):
                continue
            citation_path = reference.path[:-1]
            citation = value_at(record.data, citation_path)
            citations_of_source[reference.target].append(
                CitationUse(record=record, path=citation_path, citation=citation)
            )
    for uses in citations_of_source.values():
        uses.sort(key=lambda use: (use.record.kind, use.record.sort_key, use.path))

    timeline = sorted(
        (
            DatedEntry(date=date, record=record, path=path)
            for record in records.values()
            if record.kind != "source"
            for path, date in record.dates.items()
        ),
        key=lambda entry: (entry.date.sort_key, entry.record.sort_key, entry.path),
    )
    return KnowledgeBase(
        schemas=schemas,
        records=records,
        by_kind=dict(by_kind),
        citations_of_source=dict(citations_of_source),
        timeline=timeline,
    )


def _derive_from_data(record: Record, checked: CheckedRecord) -> None:
    """The fields of `record` that follow from its data alone: values, claims, dates, texts."""
    resolver = _ClaimResolver(checked.dates)
    record.values = resolver.mapping(checked.schema.fields, checked.fact.data, ())
    record.claims = resolver.claims
    record.dates = resolver.dates
    record.texts = {
        path: parse_rich_text(text)
        for path, text in _walk_texts(checked.schema.fields, checked.fact.data, ())
    }


def value_at(data: Any, path: FieldPath) -> Any:
    """The value at a field path in loaded data."""
    for step in path:
        data = data[step]
    return data
