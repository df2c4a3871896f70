"""Stage 2: check every fact file against its kind's schema, then the records against each other.

Two passes, both collecting rather than stopping:

1. Per file (`check_record`): unknown and missing fields, types, slugs, enum values, dates,
   URLs, text. Every reference (a `ref` field or a `[[link]]` in text) and every parsed date is
   noted on the way, so nothing is parsed twice.
2. Across files (`check_knowledge_base`): duplicate ids, colliding names and aliases, references
   to missing records or records of the wrong kind, citation rules, date logic, and sources no
   record cites.

The output, `CheckedFacts`, is what the model is built from.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .dates import DateError, PartialDate, parse_date
from .load import FactFile, FieldPath, format_field_path
from .problems import Problem, ProblemCollector
from .schema import FieldSpec, KindSchema, SchemaSet
from .suggest import closest, did_you_mean

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# [[id]] or [[id|label]]; the id part is checked as a slug afterwards, for a precise message.
LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
MAX_ID_LENGTH = 80
# Characters that can make text read differently from what it is (Trojan Source, CVE-2021-42574)
# or hide in it. They are reported, so a reviewer sees them in the YAML rather than not at all.
INVISIBLE_CHARACTERS = {
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\ufeff": "zero-width no-break space",
    "\u202a": "left-to-right embedding",
    "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override",
    "\u202e": "right-to-left override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Reference:
    """A pointer from one record to another, from a `ref` field or a `[[link]]` in text."""

    source_id: str
    path: FieldPath
    target: str
    kinds: tuple[str, ...]  # kinds the target may be
    in_text: bool = False
    label: str | None = None  # the link text of [[id|label]]


@dataclass
class CheckedRecord:
    """A fact file that passed its own checks, with what the checks found out on the way."""

    fact: FactFile
    schema: KindSchema
    references: list[Reference] = field(default_factory=list)
    dates: dict[FieldPath, PartialDate] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.fact.id

    @property
    def kind(self) -> str:
        return self.schema.kind


@dataclass
class CheckedFacts:
    """Everything validation learned: the records (those readable at all) and their links."""

    records: list[CheckedRecord]

    @property
    def by_id(self) -> dict[str, CheckedRecord]:
        return {record.id: record for record in self.records}


def _describe(value: Any) -> str:
    """How a value is named in messages: what YAML made of it."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def check_url(value: str) -> str | None:
    """Why `value` is not an acceptable URL, or None. Only http(s) with a host; https preferred."""
    if any(ch.isspace() for ch in value) or _CONTROL.search(value):
        return "URLs contain no spaces or control characters (encode a space as %20)"
    if value.startswith("//"):
        return "protocol-relative URL: write it in full, starting with https://"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"}:
        shown = f"'{scheme}:' URLs are" if scheme else "a URL without a scheme is"
        return f"{shown} not allowed: write a web address starting with https://"
    if not parts.hostname or "." not in parts.hostname:
        return "the URL has no host name: write it in full, like https://example.com/page"
    if parts.username or parts.password:
        return "URLs with a user name or password are not allowed"
    return None


class _RecordChecker:
    """Checks one record's fields against its schema (pass 1)."""

    def __init__(self, record: CheckedRecord, collector: ProblemCollector):
        self.record = record
        self.fact = record.fact
        self.collector = collector

    def error(self, path: FieldPath, message: str, code: str, at: str = "value") -> None:
        self.collector.add(self.fact.problem(path, message, code, at=at))

    def warning(self, path: FieldPath, message: str, code: str) -> None:
        self.collector.add(self.fact.problem(path, message, code, severity="warning"))

    def check_mapping(self, fields: dict[str, FieldSpec], data: dict, path: FieldPath) -> None:
        for key in data:
            if key not in fields:
                hint = did_you_mean(key, fields)
                if not hint:
                    hint = f"; allowed here: {', '.join(fields)}"
                self.error(path + (key,), f"unknown field{hint}", "unknown-field", at="key")
        for name, spec in fields.items():
            if name not in data:
                if spec.required:
                    self.missing(spec, path)
                continue
            self.check_value(spec, data[name], path + (name,))

    def missing(self, spec: FieldSpec, path: FieldPath) -> None:
        where = f"{format_field_path(path)}: " if path else ""
        if spec.name == "citations":
            message = (
                "no citations: every record needs at least one source "
                "(add 'citations:' with '- source: <source id>')"
            )
            code = "missing-citation"
        else:
            example = f" (for example: {spec.name}: {spec.example})" if spec.example else ""
            message = f"missing required field '{spec.name}'{example}"
            code = "missing-field"
        # Reported at the enclosing mapping: the field that is absent has no line of its own.
        line, column = self.fact.position(path, at="key") if path else (1, 1)
        self.collector.add(
            Problem(
                path=self.fact.rel,
                line=line,
                column=column,
                field="",
                message=where + message,
                code=code,
                source_line=self.fact.line_text(line),
            )
        )

    def check_value(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        check = getattr(self, f"check_{spec.type}")
        check(spec, value, path)

    # One method per field type; the names match FIELD_TYPES in schema.py.

    def check_string(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            quoted = f" (put it in quotes: '{value}')" if isinstance(value, int | float) else ""
            self.error(path, f"expected text, got {_describe(value)}{quoted}", "wrong-type")
            return
        if not value.strip():
            self.error(path, "empty text: write a value or leave the field out", "empty-value")
            return
        if spec.type == "string" and not spec.multiline and "\n" in value.strip():
            self.error(path, "must be one line (no line breaks)", "multiline-string")
        self.check_characters(value, path)

    def check_characters(self, value: str, path: FieldPath) -> None:
        control = _CONTROL.search(value)
        if control:
            self.error(
                path,
                f"control character U+{ord(control.group()):04X} in text: delete it",
                "control-character",
            )
        for char, name in INVISIBLE_CHARACTERS.items():
            if char in value:
                self.error(
                    path,
                    f"invisible character U+{ord(char):04X} ({name}) in text: delete it, "
                    "so the text reads as it is",
                    "invisible-character",
                )

    def check_text(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        self.check_string(spec, value, path)
        if not isinstance(value, str):
            return
        for match in LINK.finditer(value):
            target = match.group(1).strip()
            label = match.group(2)
            if not SLUG.match(target):
                self.error(
                    path,
                    f"link [[{match.group(1)}]]: '{target}' is not a record id "
                    "(ids are lower-case words joined by hyphens, like [[lei-jun]])",
                    "bad-link",
                )
                continue
            if label is not None and not label.strip():
                self.error(path, f"link [[{target}|]]: the label after '|' is empty", "bad-link")
                continue
            self.record.references.append(
                Reference(
                    source_id=self.record.id,
                    path=path,
                    target=target,
                    kinds=(),
                    in_text=True,
                    label=label.strip() if label else None,
                )
            )
        rest = LINK.sub("", value)
        if "[[" in rest or "]]" in rest:
            self.error(
                path,
                "unmatched '[[' or ']]': a link is written [[id]] or [[id|label]]",
                "bad-link",
            )

    def check_boolean(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {_describe(value)}", "wrong-type")

    def check_date(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        try:
            self.record.dates[path] = parse_date(value)
        except DateError as error:
            self.error(path, str(error), "bad-date")

    def check_url(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            self.error(path, f"expected a URL, got {_describe(value)}", "wrong-type")
            return
        reason = check_url(value.strip())
        if reason:
            self.error(path, reason, "bad-url")

    def check_enum(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str) or value not in spec.values:
            hint = did_you_mean(str(value), spec.values) if isinstance(value, str) else ""
            shown = f"'{value}'" if isinstance(value, str) else _describe(value)
            self.error(
                path,
                f"unknown value {shown}{hint}; choose one of {', '.join(spec.values)}",
                "unknown-value",
            )

    def check_ref(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            self.error(
                path,
                f"expected the id of {_kinds_phrase(spec.to)}, got {_describe(value)}",
                "wrong-type",
            )
            return
        self.record.references.append(
            Reference(source_id=self.record.id, path=path, target=value.strip(), kinds=spec.to)
        )

    def check_list(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, list):
            hint = ""
            if isinstance(value, str | int):
                hint = f" (write a list: [{value}], or one '- {value}' line per item)"
            self.error(path, f"expected a list, got {_describe(value)}{hint}", "wrong-type")
            return
        if len(value) < spec.min_items:
            items = "item" if spec.min_items == 1 else "items"
            self.error(path, f"needs at least {spec.min_items} {items}", "too-few-items")
        seen: dict[Any, int] = {}
        for index, item in enumerate(value):
            self.check_value(spec.items, item, path + (index,))
            if spec.unique and isinstance(item, str | int):
                if item in seen:
                    self.error(
                        path + (index,),
                        f"'{item}' is listed twice (first as item {seen[item] + 1}): "
                        "delete this one",
                        "duplicate-item",
                    )
                else:
                    seen[item] = index

    def check_object(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, dict):
            self.error(
                path,
                f"expected a mapping with {', '.join(spec.fields)}, got {_describe(value)}",
                "wrong-type",
            )
            return
        self.check_mapping(spec.fields, value, path)


def _kinds_phrase(kinds: tuple[str, ...]) -> str:
    articles = [("an " if kind[0] in "aeiou" else "a ") + kind for kind in kinds]
    if len(articles) <= 1:
        return "".join(articles)
    return ", ".join(articles[:-1]) + " or " + articles[-1]


def check_record(
    fact: FactFile, schemas: SchemaSet, collector: ProblemCollector
) -> CheckedRecord | None:
    """Pass 1 for one file. Returns None if the file could not be read at all."""
    if fact.data is None:
        return None
    schema = schemas.by_plural[fact.folder]
    record = CheckedRecord(fact=fact, schema=schema)
    checker = _RecordChecker(record, collector)
    if not SLUG.match(fact.id) or len(fact.id) > MAX_ID_LENGTH:
        suggestion = re.sub(r"[^a-z0-9]+", "-", fact.id.lower()).strip("-")
        fix = f" (rename the file to {suggestion}.yaml)" if SLUG.match(suggestion) else ""
        collector.add(
            fact.problem(
                (),
                f"'{fact.id}' is not a valid id: ids are lower-case letters and digits joined by "
                f"single hyphens, at most {MAX_ID_LENGTH} characters{fix}",
                "bad-id",
            )
        )
    if "id" in fact.data:
        collector.add(
            fact.problem(
                ("id",),
                "the id is the file name; delete this field (rename the file to change the id)",
                "id-field",
                at="key",
            )
        )
        data = {key: value for key, value in fact.data.items() if key != "id"}
    else:
        data = fact.data
    checker.check_mapping(schema.fields, data, ())
    return record


def _fold(text: str) -> str:
    """Names that differ only in case, accents' encoding or spacing are the same name."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class _KnowledgeBaseChecker:
    """Pass 2: checks that need every record at once."""

    def __init__(self, records: list[CheckedRecord], collector: ProblemCollector):
        self.records = records
        self.collector = collector
        self.by_id: dict[str, CheckedRecord] = {}
        self.names: dict[str, list[tuple[str, CheckedRecord]]] = defaultdict(list)

    def run(self) -> None:
        self.check_ids()
        self.index_names()
        for record in self.records:
            for reference in record.references:
                self.check_reference(record, reference)
        for record in self.records:
            self.check_citations(record)
            self.check_date_logic(record)
        self.check_unused_sources()

    def check_ids(self) -> None:
        folded: dict[str, CheckedRecord] = {}
        for record in self.records:
            key = _fold(record.id)
            first = folded.get(key)
            if first is None:
                folded[key] = record
                self.by_id[record.id] = record
                continue
            same = "the same id" if first.id == record.id else f"an id that differs only in case or Unicode form ('{first.id}')"
            self.collector.add(
                record.fact.problem(
                    (),
                    f"{first.fact.rel} already has {same}; ids are unique across all kinds "
                    "(rename one of the files)",
                    "duplicate-id",
                )
            )

    def index_names(self) -> None:
        for record in self.records:
            data = record.fact.data
            labels: list[tuple[FieldPath, str]] = []
            if isinstance(data.get("name"), str):
                labels.append((("name",), data["name"]))
            if isinstance(data.get("aliases"), list):
                labels += [
                    (("aliases", i), alias)
                    for i, alias in enumerate(data["aliases"])
                    if isinstance(alias, str)
                ]
            seen_here: set[str] = set()
            for path, label in labels:
                key = _fold(label)
                if not key or key in seen_here:
                    continue
                seen_here.add(key)
                others = [other for _, other in self.names[key] if other is not record]
                if others:
                    first = others[0]
                    self.collector.add(
                        record.fact.problem(
                            path,
                            f"'{label}' is already a name or alias of '{first.id}' "
                            f"({first.fact.rel}); names and aliases must tell records apart "
                            "(make it more specific)",
                            "duplicate-name",
                        )
                    )
                self.names[key].append((label, record))

    def suggestion_for(self, target: str, kinds: tuple[str, ...]) -> str:
        candidates = [
            r.id for r in self.by_id.values() if not kinds or r.kind in kinds
        ]
        named = [r for _, r in self.names.get(_fold(target.replace("-", " ")), [])]
        named += [r for _, r in self.names.get(_fold(target), [])]
        named = [r for r in named if not kinds or r.kind in kinds]
        if named:
            return f" (did you mean '{named[0].id}'? that is the id of '{target}')"
        return did_you_mean(target, candidates)

    def check_reference(self, record: CheckedRecord, reference: Reference) -> None:
        target = self.by_id.get(reference.target)
        shown = f"[[{reference.target}]]" if reference.in_text else f"'{reference.target}'"
        kinds = reference.kinds
        if target is None:
            what = _kinds_phrase(kinds).split(" ", 1)[1] if len(kinds) == 1 else "record"
            self.collector.add(
                self._problem_at_reference(
                    record,
                    reference,
                    f"unknown {what} {shown}{self.suggestion_for(reference.target, kinds)}",
                    "unknown-reference",
                )
            )
            return
        if kinds and target.kind not in kinds:
            self.collector.add(
                self._problem_at_reference(
                    record,
                    reference,
                    f"{shown} is {_kinds_phrase((target.kind,))} ({target.fact.rel}), expected "
                    f"{_kinds_phrase(kinds)}{self.suggestion_for(reference.target, kinds)}",
                    "wrong-kind-reference",
                )
            )
            return
        if target is record and not reference.in_text and reference.path[0] != "cites":
            self.collector.add(
                record.fact.problem(
                    reference.path, "a record cannot refer to itself here", "self-reference"
                )
            )
        if target is record and reference.path and reference.path[0] == "cites":
            self.collector.add(
                record.fact.problem(reference.path, "a source cannot cite itself", "self-reference")
            )

    def _problem_at_reference(self, record, reference, message, code):
        problem = record.fact.problem(reference.path, message, code)
        if not reference.in_text or problem.line is None:
            return problem
        # Point at the link itself, which may sit lines below where the text value starts.
        needle = f"[[{reference.target}"
        lines = record.fact.text.splitlines()
        for number in range(problem.line, len(lines) + 1):
            column = lines[number - 1].find(needle)
            if column >= 0:
                return Problem(
                    path=problem.path,
                    line=number,
                    column=column + 1,
                    field=problem.field,
                    message=message,
                    code=code,
                    source_line=lines[number - 1],
                )
        return problem

    def _citations(self, record: CheckedRecord):
        """Every citation in the record, with its field path: top level and nested ones."""

        def walk(value: Any, path: FieldPath):
            if isinstance(value, dict):
                for key, child in value.items():
                    if key == "citations" and isinstance(child, list):
                        for index, citation in enumerate(child):
                            if isinstance(citation, dict):
                                yield path + (key, index), citation
                    else:
                        yield from walk(child, path + (key,))
            elif isinstance(value, list):
                for index, child in enumerate(value):
                    yield from walk(child, path + (index,))

        yield from walk(record.fact.data, ())

    def check_citations(self, record: CheckedRecord) -> None:
        for path, citation in self._citations(record):
            source = self.by_id.get(citation.get("source"))
            via_id = citation.get("via")
            if via_id is None or source is None or source.kind != "source":
                continue
            via = self.by_id.get(via_id)
            if via is None or via.kind != "source":
                continue  # reported as an unknown or wrong-kind reference already
            if via is source:
                self.collector.add(
                    record.fact.problem(
                        path + ("via",),
                        "'via' names the cited source itself: leave 'via' out",
                        "bad-via",
                    )
                )
            elif source.id not in (via.fact.data.get("cites") or []):
                self.collector.add(
                    record.fact.problem(
                        path + ("via",),
                        f"'{via.id}' does not list '{source.id}' under 'cites': add it there "
                        f"({via.fact.rel}) or cite '{via.id}' directly",
                        "bad-via",
                    )
                )

    def check_date_logic(self, record: CheckedRecord) -> None:
        dates = record.dates
        # Ranges written as two fields: from/to in positions.
        for path, start in dates.items():
            if path[-1] != "from":
                continue
            end = dates.get(path[:-1] + ("to",))
            if end is not None and end.latest() < start.earliest():
                self.collector.add(
                    record.fact.problem(
                        path[:-1] + ("to",),
                        f"ends ({end.text}) before it starts ({start.text})",
                        "date-order",
                    )
                )
        # A status history runs oldest first.
        history = record.fact.data.get("status_history")
        if isinstance(history, list):
            previous: tuple[int, PartialDate] | None = None
            for index in range(len(history)):
                date = dates.get(("status_history", index, "date"))
                if date is None:
                    continue
                if previous and date.latest() < previous[1].earliest():
                    self.collector.add(
                        record.fact.problem(
                            ("status_history", index, "date"),
                            f"{date.text} is before step {previous[0] + 1}'s date "
                            f"({previous[1].text}): list the steps oldest first",
                            "date-order",
                        )
                    )
                previous = (index, date)
        # Nothing is said after the source that reports it was published.
        said = dates.get(("said",))
        if said is not None:
            for path, citation in self._citations(record):
                for key in ("via", "source"):
                    source = self.by_id.get(citation.get(key))
                    published = source.dates.get(("published",)) if source else None
                    if published is not None and said.earliest() > published.latest():
                        self.collector.add(
                            record.fact.problem(
                                ("said",),
                                f"said {said.text}, after '{source.id}' reporting it was "
                                f"published ({published.text}): check both dates",
                                "date-after-source",
                            )
                        )
        published = dates.get(("published",))
        accessed = dates.get(("accessed",))
        if published and accessed and accessed.latest() < published.earliest():
            self.collector.add(
                record.fact.problem(
                    ("accessed",),
                    f"accessed {accessed.text}, before it was published ({published.text})",
                    "date-order",
                )
            )

    def check_unused_sources(self) -> None:
        used: set[str] = set()
        for record in self.records:
            for reference in record.references:
                if not reference.in_text:
                    used.add(reference.target)
        for record in self.records:
            if record.kind == "source" and record.id not in used:
                self.collector.add(
                    record.fact.problem(
                        (),
                        f"source '{record.id}' is not cited by any record: cite it, or delete "
                        "the file",
                        "unused-source",
                        severity="warning",
                    )
                )


def check_knowledge_base(
    facts: list[FactFile], schemas: SchemaSet, collector: ProblemCollector
) -> CheckedFacts:
    """Run both passes over every readable fact file."""
    records = [r for r in (check_record(f, schemas, collector) for f in facts) if r is not None]
    _KnowledgeBaseChecker(records, collector).run()
    return CheckedFacts(records=records)
