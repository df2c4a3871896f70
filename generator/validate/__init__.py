"""Stage 2: check every fact file against its kind's schema, then the records against each other.

Two passes, both collecting rather than stopping:

1. Per file (`check_files`): unknown and missing fields, types, slugs, enum values, dates,
   URLs, text. Every reference (a `ref` field or a `[[link]]` in text) and every parsed date is
   noted on the way, so nothing is parsed twice.
2. Across files (`check_across_files`): duplicate ids, colliding names and aliases, references
   to missing records or records of the wrong kind, citation rules, date logic, and sources no
   record cites.

The output, `CheckedFacts`, is what the model is built from.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from ..dates import DateError, PartialDate, parse_date
from ..load import FactFile, FieldPath
from ..problems import Problem, ProblemCollector, describe, or_list, with_article
from ..schema import FieldSpec, KindSchema, RoleSet, SchemaSet, yaml_inline
from ..suggest import closest, did_you_mean, likely_typo
from .duplicate_quotes import check_duplicate_quotes
from .plain_comments import check_comments_cutting_values

# \Z, not $: `$` also matches before a final newline, and "acme\n" is not an id.
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
# [[id]] or [[id|label]]; the id part is checked as a slug afterwards, for a precise message.
LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
MAX_ID_LENGTH = 80
# Ids that name a page the site makes itself in a kind's folder (render.render_kind_indexes:
# <plural>/index.md), with what that page is. A record page of that name would clash with it.
RESERVED_IDS = {"index": "the index of the kind, the page listing all its records"}
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
# C0 controls but tab and newline, DEL, and the C1 controls (U+0085 is a line break to some).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BOOLEAN_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n"}
# Characters a URL never holds as is (RFC 3986); `<`, `>` and `"` could end the HTML around it.
_URL_FORBIDDEN = '<>"\\^`{|}'
_URL_HOST = re.compile(r"[a-z0-9._-]+")


def _unusual_characters(value: str) -> list[str]:
    """Invisible (Unicode format) characters and lone surrogates (a YAML escape such as
    "\\ud800" makes one; no file can hold it as UTF-8), sorted."""
    if value.isascii():
        return []
    return sorted(
        ch
        for ch in set(value)  # unique characters first: the check stays fast on long texts
        if unicodedata.category(ch) in {"Cf", "Cs"}
    )


def _describe_character(ch: str) -> str:
    if unicodedata.category(ch) == "Cs":
        return f"U+{ord(ch):04X} (half of a UTF-16 surrogate pair, not a character)"
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'format character').lower()})"


def shown_id(record_id: str) -> str:
    """An id as messages show it: non-ASCII characters escaped, so ids that differ only in
    Unicode form ('caf\\xe9', 'cafe\\u0301') do not look the same in the report."""
    return record_id if record_id.isascii() and record_id.isprintable() else ascii(record_id)[1:-1]


def bad_id(record_id: str) -> tuple[str, str | None] | None:
    """None for a valid id; else why it is not one, and the id it would be written as
    ('Mi 8' -> 'mi-8'), if any: for kb check, kb new and kb mv alike."""
    if SLUG.match(record_id) and len(record_id) <= MAX_ID_LENGTH:
        return None
    written = re.sub(r"[^a-z0-9]+", "-", record_id.lower()).strip("-")[:MAX_ID_LENGTH].rstrip("-")
    why = (
        f"'{shown_id(record_id)}' is not a valid id: ids are lower-case letters and digits "
        f"joined by single hyphens, at most {MAX_ID_LENGTH} characters"
    )
    return why, written if SLUG.match(written) else None


@dataclass(frozen=True)
class Reference:
    """A pointer from one record to another, from a `ref` field or a `[[link]]` in text."""

    source_id: str
    path: FieldPath
    target: str
    kinds: tuple[str, ...]  # kinds the target may be
    in_text: bool = False
    label: str | None = None  # the link text of [[id|label]]
    # Which link of its text this is (0 for the first): lets a problem point at it.
    ordinal: int = field(default=0, compare=False)


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


def _file_problem(fact: FactFile, message: str, code: str, severity: str = "error") -> Problem:
    """A problem with the file as a whole (its name, its place): no line to point at."""
    return fact.problem_at(None, None, message, code, severity=severity)


def _problem_in_text(
    fact: FactFile, path: FieldPath, needle: str, occurrence: int, message: str, code: str
) -> Problem:
    """A problem about a piece of a text value (a [[link]]), pointing at that piece.

    The piece may sit lines below where the value starts (block scalars), so the file is
    searched from the value's first line for the `occurrence`-th appearance of `needle`.
    """
    problem = fact.problem(path, message, code)
    if problem.line is None:
        return problem
    place = _needle_places(fact.text, problem.line, problem.column, needle).get(occurrence)
    if place is None:
        return problem
    number, column = place
    return fact.problem_at(number, column, message, code, path, problem.severity)


class _NeedlePlaces:
    """Where a needle appears in a text from some (line, column) on, found as far as asked:
    a value with thousands of bad links is searched once, not once per link."""

    def __init__(self, text: str, line: int, column: int, needle: str):
        self.found: list[tuple[int, int]] = []
        self._search = self._places(text.splitlines(), line, column, needle)

    @staticmethod
    def _places(lines: list[str], line: int, column: int, needle: str):
        for number in range(line, len(lines) + 1):
            start = (column or 1) - 1 if number == line else 0
            found = lines[number - 1].find(needle, start)
            while found >= 0:
                yield (number, found + 1)
                found = lines[number - 1].find(needle, found + 1)

    def get(self, occurrence: int) -> tuple[int, int] | None:
        while len(self.found) <= occurrence:
            place = next(self._search, None)
            if place is None:
                return None
            self.found.append(place)
        return self.found[occurrence]


@functools.lru_cache(maxsize=64)
def _needle_places(text: str, line: int, column: int | None, needle: str) -> _NeedlePlaces:
    return _NeedlePlaces(text, line, column, needle)


def _occurrences(text: str, needle: str) -> list[int]:
    """Where `needle` starts in `text`, overlaps included ('[[[' holds '[[' twice)."""
    found = []
    start = text.find(needle)
    while start >= 0:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def check_url(value: str) -> str | None:
    """Why `value` is not an acceptable URL, or None. Only http(s) with a host; https preferred.

    Everything else is refused, whatever its case or disguise: `javascript:`, `JaVaScRiPt:`,
    `data:`, `vbscript:`, protocol-relative `//host`, spaces and control characters (browsers
    drop some of them, so `java\\tscript:` would run), invisible characters, and host names a
    reader could misread (non-ASCII look-alikes, `user@` prefixes).
    """
    if any(ch.isspace() for ch in value) or _CONTROL.search(value):
        return "URLs contain no spaces or control characters (encode a space as %20)"
    if value.startswith("//"):
        return "protocol-relative URL: write it in full, starting with https://"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it checks it: urlsplit is lazy about ports
    except ValueError as error:
        return f"malformed URL ({error}): write it in full, like https://example.com/page"
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"}:
        shown = f"'{scheme}:' URLs are" if scheme else "a URL without a scheme is"
        return f"{shown} not allowed: write a web address starting with https://"
    unusual = _unusual_characters(value)
    if unusual:
        return f"invisible character {_describe_character(unusual[0])} in the URL: delete it"
    forbidden = [ch for ch in _URL_FORBIDDEN if ch in value]
    if forbidden:
        return (
            f"'{forbidden[0]}' cannot appear in a URL as is: percent-encode it "
            f"({quote(forbidden[0], safe='')})"
        )
    if not parts.hostname or "." not in parts.hostname:
        return "the URL has no host name: write it in full, like https://example.com/page"
    if parts.username is not None or parts.password is not None:
        return "URLs with a user name or password are not allowed"
    if not _URL_HOST.fullmatch(parts.hostname):
        return (
            "the host name has characters other than ASCII letters, digits, '-' and '.': "
            "write an international name in its xn-- form"
        )
    return None


class _RecordChecker:
    """Checks one record's fields against its schema (pass 1)."""

    def __init__(self, record: CheckedRecord, collector: ProblemCollector):
        self.record = record
        self.fact = record.fact
        self.collector = collector

    def error(self, path: FieldPath, message: str, code: str, at: str = "value") -> None:
        self.collector.add(self.fact.problem(path, message, code, at=at))

    def check_mapping(self, fields: dict[str, FieldSpec], data: dict, path: FieldPath) -> None:
        # A misspelt required field is one mistake: report the spelling, not also the absence.
        meant: set[str] = set()
        for key in data:
            if key not in fields:
                match = closest(key, fields)
                if match is not None:
                    meant.add(match)
                    hint = f" (did you mean '{match}'?)"
                else:
                    hint = f"; allowed here: {', '.join(fields)}"
                self.error(path + (key,), f"unknown field{hint}", "unknown-field", at="key")
        for name, spec in fields.items():
            if name not in data:
                if spec.required and name not in meant:
                    self.missing(spec, path)
                continue
            if data[name] is None:
                self.no_value(spec, path + (name,))
                continue
            if spec.type == "roles":
                # The roles a party may have depend on the record's type, its sibling field.
                kind_of = data.get(spec.roles_from)
                # A type that is not text (a list, say) is reported where it is checked; the
                # roles are then checked as if the type were unknown.
                role_set = (
                    fields[spec.roles_from].value_roles.get(kind_of)
                    if isinstance(kind_of, str)
                    else None
                )
                self.check_roles(spec, data[name], path + (name,), kind_of, role_set)
                continue
            self.check_value(spec, data[name], path + (name,))

    def missing(self, spec: FieldSpec, path: FieldPath) -> None:
        if spec.name == "citations":
            message, code = _no_citations_message(path), "missing-citation"
        else:
            message = f"missing required field '{spec.name}'{_for_example(spec)}"
            code = "missing-field"
        # Reported where the enclosing mapping starts: an absent field has no line of its own.
        line, column = self.fact.position(path) if path else (1, 1)
        self.collector.add(self.fact.problem_at(line, column, message, code, path))

    def no_value(self, spec: FieldSpec, path: FieldPath) -> None:
        """`field:` with nothing after it. Pointed at the key: an empty value has no place."""
        if spec.name == "citations":
            message = _no_citations_message(path[:-1], listed=True)
            self.error(path, message, "missing-citation", at="key")
        elif spec.required:
            message = f"no value: this field is required{_for_example(spec)}"
            self.error(path, message, "empty-value", at="key")
        else:
            message = "no value: write one after the ':', or delete the line"
            self.error(path, message, "empty-value", at="key")

    def check_value(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if spec.claim and _written_as_claims(spec, value):
            self.check_claims(spec, value, path)
            return
        check = getattr(self, f"check_{spec.type}")
        check(spec, value, path)

    def check_claims(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        """A key fact written as one claim (`value:` with its citations) or a list of them."""
        if isinstance(value, dict):
            self.check_claim(spec, value, path)
            return
        preferred: list[int] = []
        for index, item in enumerate(value):
            if not _is_claim(item):
                self.error(
                    path + (index,),
                    f"expected a claim ('- value: ...' with its citations), got "
                    f"{describe(item)}: where sources differ, write every value as a claim",
                    "wrong-type",
                )
                continue
            self.check_claim(spec, item, path + (index,))
            if item.get("rank") == "preferred":
                preferred.append(index)
        for index in preferred[1:]:
            self.error(
                path + (index, "rank"),
                f"a second preferred value (item {preferred[0] + 1} is preferred too): at most "
                "one value is preferred; mark this one normal, or delete its rank",
                "two-preferred",
            )

    def check_claim(self, spec: FieldSpec, claim: dict, path: FieldPath) -> None:
        self.check_mapping(spec.claim_fields, claim, path)
        if claim.get("rank") == "deprecated" and claim.get("reason") is None:
            self.error(
                path + ("rank",),
                "a deprecated value says why: add 'reason:' (for example: reason: later "
                "sources correct it)",
                "missing-reason",
            )

    def check_roles(
        self, spec: FieldSpec, value: Any, path: FieldPath, kind_of: Any, role_set: RoleSet | None
    ) -> None:
        """Parties by role: `role: id` or `role: [id, ...]`, each role one the type defines."""
        roles = role_set.roles if role_set else {}
        example = ", ".join(f"{role}: <id>" for role in roles) or "role: <id>"
        if isinstance(value, list):
            self.error(
                path,
                f"a plain list of parties (the format before party roles): each party now has "
                f"a role ({example}); run `kb migrate {self.fact.rel}`, which writes them",
                "old-format",
                at="key",
            )
            return
        if not isinstance(value, dict):
            self.error(
                path, f"expected parties by role ({example}), got {describe(value)}", "wrong-type"
            )
            return
        role_of: dict[str, str] = {}
        for role, members in value.items():
            if role_set is not None and role not in roles:
                if isinstance(role, str) and SLUG.match(role) and members is None:
                    self.error(
                        path + (role,),
                        f"'{role}' is a party without a role: a {kind_of} names its parties "
                        f"under {_or_words(roles)} (write '{next(iter(roles))}: {role}')",
                        "party-without-role",
                        at="key",
                    )
                    continue
                hint = did_you_mean(str(role), roles) if isinstance(role, str) else ""
                self.error(
                    path + (role,),
                    f"'{role}' is not a role of a {kind_of}{hint}; its roles are "
                    f"{_or_words(roles)}",
                    "unknown-role",
                    at="key",
                )
                continue
            ids = members if isinstance(members, list) else [members]
            if members is None or ids == []:
                self.error(
                    path + (role,),
                    f"no party in the role '{role}': write the id of {_kinds_phrase(spec.to)}",
                    "empty-value",
                    at="key",
                )
                continue
            for index, member in enumerate(ids):
                where = path + ((role, index) if isinstance(members, list) else (role,))
                if not isinstance(member, str):
                    self.error(
                        where,
                        f"expected the id of {_kinds_phrase(spec.to)}, got {describe(member)}",
                        "wrong-type",
                    )
                    continue
                if member in role_of:
                    self.error(
                        where,
                        f"'{member}' is already a party as {role_of[member]}: a party has one "
                        "role (keep the one the source supports)",
                        "duplicate-party",
                    )
                    continue
                role_of[member] = role
                self.record.references.append(
                    Reference(source_id=self.record.id, path=where, target=member, kinds=spec.to)
                )
        # No roles without a type that has them (a missing or unknown type is reported there).
        for role in roles:
            if role not in value:
                self.error(
                    path,
                    f"no party in the role '{role}' ({roles[role].rstrip('.').lower()}): "
                    f"add '{role}: <id>'",
                    "missing-role",
                    at="key",
                )

    def check_number(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = ""
            if isinstance(value, str):
                hint = (
                    " (write the number alone, like 799 or 0.5, without a currency or % sign "
                    "or commas; the unit goes under 'unit')"
                )
            self.error(path, f"expected a number, got {describe(value)}{hint}", "wrong-type")
        elif value != value or value in (float("inf"), float("-inf")):
            self.error(path, "expected a number, got a value that is not one", "wrong-type")

    # One method per field type; the names match FIELD_TYPES in schema.py.

    def check_string(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            quoted = f" (put it in quotes: '{value}')" if isinstance(value, int | float) else ""
            self.error(path, f"expected text, got {describe(value)}{quoted}", "wrong-type")
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
        for char in _unusual_characters(value):
            if unicodedata.category(char) == "Cs":
                self.error(
                    path,
                    f"{_describe_character(char)} in text: delete it (or write the character "
                    "itself instead of its escape)",
                    "control-character",
                )
                continue
            # The characters that hide or reorder text by their common names.
            name = INVISIBLE_CHARACTERS.get(char)
            shown = f"U+{ord(char):04X} ({name})" if name else _describe_character(char)
            self.error(
                path,
                f"invisible character {shown} in text: delete it, so the text reads as it is",
                "invisible-character",
            )

    def check_text(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        self.check_string(spec, value, path)
        if not isinstance(value, str):
            return

        def bad_link(needle: str, ordinal: int, message: str) -> None:
            # At the link: the n-th `needle` of the text (see _problem_in_text).
            self.collector.add(
                _problem_in_text(self.fact, path, needle, ordinal, message, "bad-link")
            )

        opens = _occurrences(value, "[[")
        links = list(LINK.finditer(value))
        # Targets that are not ids are reported in pass 2, where names can suggest the id.
        for match in links:
            ordinal = opens.index(match.start())
            target = match.group(1).strip()
            label = match.group(2)
            if label is not None and not label.strip():
                message = (
                    f"link {match.group(0)}: the label after '|' is empty "
                    f"(write [[{target}]], or a label after the '|')"
                )
                bad_link("[[", ordinal, message)
                continue
            self.record.references.append(
                Reference(
                    source_id=self.record.id,
                    path=path,
                    target=target,
                    kinds=(),
                    in_text=True,
                    label=label.strip() if label else None,
                    ordinal=ordinal,
                )
            )
        # Where brackets inside a link start: LINK's groups hold no bracket, so within a link
        # '[[' starts only at its start and ']]' only at its last two characters (sets: linear
        # in the links, where testing every link's span for every bracket was quadratic).
        own = {
            "[[": {m.start() for m in links},
            "]]": {m.end() - 2 for m in links} | {m.end() - 1 for m in links},
        }
        for bracket, other in (("[[", "]]"), ("]]", "[[")):
            for ordinal, start in enumerate(_occurrences(value, bracket)):
                if start not in own[bracket]:
                    message = (
                        f"'{bracket}' without its '{other}': a link is written [[id]] or "
                        "[[id|label]] (write both brackets, or neither)"
                    )
                    bad_link(bracket, ordinal, message)
                    break

    def check_boolean(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, bool):
            hint = ""
            if isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS:
                hint = " (write true or false, without quotes)"
            self.error(path, f"expected true or false, got {describe(value)}{hint}", "wrong-type")

    def check_date(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        try:
            self.record.dates[path] = parse_date(value)
        except DateError as error:
            self.error(path, str(error), "bad-date")

    def check_url(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            self.error(path, f"expected a URL, got {describe(value)}", "wrong-type")
            return
        reason = check_url(value)
        if reason:
            self.error(path, reason, "bad-url")

    def check_enum(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str) or value not in spec.values:
            hint = did_you_mean(str(value), spec.values) if isinstance(value, str) else ""
            shown = f"'{value}'" if isinstance(value, str) else describe(value)
            self.error(
                path,
                f"unknown value {shown}{hint}; choose one of {', '.join(spec.values)}",
                "unknown-value",
            )

    def check_ref(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, str):
            self.error(
                path,
                f"expected the id of {_kinds_phrase(spec.to)}, got {describe(value)}",
                "wrong-type",
            )
            return
        self.record.references.append(
            Reference(source_id=self.record.id, path=path, target=value.strip(), kinds=spec.to)
        )

    def check_list(self, spec: FieldSpec, value: Any, path: FieldPath) -> None:
        if not isinstance(value, list):
            hint = ""
            if isinstance(value, str | int) and spec.items.type == "object":
                first = next(iter(spec.items.fields))
                hint = f" (write each entry as a list item: '- {first}: {value}')"
            elif isinstance(value, str | int):
                hint = f" (write a list: [{value}], or one '- {value}' line per item)"
            self.error(path, f"expected a list, got {describe(value)}{hint}", "wrong-type")
            return
        if len(value) < spec.min_items:
            if spec.name == "citations":
                self.error(path, _no_citations_message(path[:-1], listed=True), "missing-citation")
            else:
                items = "item" if spec.min_items == 1 else "items"
                self.error(
                    path,
                    f"has {len(value)}, needs at least {spec.min_items} {items}",
                    "too-few-items",
                )
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
            required = [name for name, sub in spec.fields.items() if sub.required]
            hint = ""
            if isinstance(value, str | int) and required:
                hint = f" (write '{required[0]}: {value}')"
            self.error(
                path,
                f"expected a mapping with {', '.join(spec.fields)}, got {describe(value)}{hint}",
                "wrong-type",
            )
            return
        self.check_mapping(spec.fields, value, path)


def citations_in(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, dict]]:
    """Every citation in loaded data, however deeply nested (a claim's, a status step's), with
    its field path."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "citations" and isinstance(child, list):
                for index, citation in enumerate(child):
                    if isinstance(citation, dict):
                        yield path + (key, index), citation
            else:
                yield from citations_in(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from citations_in(child, path + (index,))


def _is_claim(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value


def _written_as_claims(spec: FieldSpec, value: Any) -> bool:
    """Whether a key fact is written as claims: a mapping (one claim; a claim field is never
    an object, so a mapping can be nothing else), or a list holding at least one claim."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_is_claim(item) for item in value)


def _or_words(words: Any) -> str:
    return or_list(f"'{word}'" for word in words)


def _for_example(spec: FieldSpec) -> str:
    """' (for example: maker: xiaomi)', from the schema's example; '' without one."""
    if spec.example is None:
        return ""
    return f" (for example: {spec.name}: {yaml_inline(spec.example)})"


def _no_citations_message(mapping_path: FieldPath, listed: bool = False) -> str:
    """For a record (or a nested entry) without citations; `listed`: `citations:` is there,
    but empty."""
    who = "every record" if not mapping_path else "each entry here"
    if listed:
        return f"empty: {who} cites at least one source (add a '- source: <source id>' line)"
    return (
        f"no citations: {who} cites at least one source "
        "(add 'citations:' with a '- source: <source id>' line)"
    )


def _escaped(text: str) -> str:
    """Text with every character but printable ASCII as its code (U+3164 as \\u3164)."""
    return "".join(
        ch
        if ch.isascii() and ch.isprintable()
        else (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        for ch in text
    )


def _is_plain(label: str) -> bool:
    return all(_shows(ch) and not unicodedata.combining(ch) for ch in label)


def _has_unusual_name(record: CheckedRecord) -> bool:
    data = record.fact.data
    names = [data.get("name"), *(data.get("aliases") or [])] if isinstance(data, dict) else []
    return any(isinstance(name, str) and not _is_plain(name) for name in names)


def _shown_name(label: str) -> str:
    """A name as a message shows it, quoted: as written, and escaped too when it holds characters a
    reader cannot see or tell apart (blanks, combining marks), so two look-alikes differ."""
    if _is_plain(label):
        return f"'{label}'"
    return f"'{label}' (written '{_escaped(label)}')"


def _listed(value: Any) -> list:
    """A field that should be a list, as one: any other value (a number where a list of ids
    goes, reported by the field's own check) lists nothing, rather than crash a check."""
    return value if isinstance(value, list) else []


def _kinds_phrase(kinds: tuple[str, ...]) -> str:
    return or_list(with_article(kind) for kind in kinds)


def check_record(
    fact: FactFile, schemas: SchemaSet, collector: ProblemCollector
) -> CheckedRecord | None:
    """Pass 1 for one file. Returns None if the file could not be read at all."""
    # The id is the file's name, so it is checked even when the file's content is unreadable.
    bad = bad_id(fact.id)
    if bad is not None:
        why, written = bad
        fix = f" (rename the file to {written}.yaml)" if written else ""
        collector.add(_file_problem(fact, why + fix, "bad-id"))
    if fact.id in RESERVED_IDS:
        collector.add(
            _file_problem(
                fact,
                f"'{fact.id}' cannot be an id: {fact.folder}/{fact.id} is {RESERVED_IDS[fact.id]}, "
                "which the site makes itself (rename the file)",
                "reserved-id",
            )
        )
    if fact.data is None:
        return None
    schema = schemas.by_plural[fact.folder]
    record = CheckedRecord(fact=fact, schema=schema)
    checker = _RecordChecker(record, collector)
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
    check_comments_cutting_values(fact, schema, collector)
    return record


def _fold(text: str) -> str:
    """Names that differ only in case, accents' encoding or spacing are the same name."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# Characters that show as nothing though Unicode counts them as letters, symbols or marks
# (so the check of invisible format characters lets them through): Hangul fillers, the blank
# Braille pattern, the combining grapheme joiner, Khmer and Mongolian invisible signs, and the
# variation selectors. A name of them alone looks empty; in a name, they make a look-alike.
BLANK_CHARACTERS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def _shows(ch: str) -> bool:
    return ch not in BLANK_CHARACTERS and unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}


def _has_visible_letter(text: str) -> bool:
    """Whether a name has a letter or digit that shows (not only blanks, symbols or marks)."""
    return any(ch.isalnum() and _shows(ch) for ch in text)


def _name_key(text: str) -> str:
    """What tells names apart for a reader: case, Unicode form, spacing, invisible characters
    and combining marks on Latin letters do not ('Xiaomi' with a dot above its dotted i is
    'Xiaomi'; 'Crédit' and 'Credit' are the same name to a reader who skims)."""
    shown = "".join(ch for ch in unicodedata.normalize("NFKC", text) if _shows(ch))
    kept: list[str] = []
    for ch in unicodedata.normalize("NFD", shown):
        if unicodedata.combining(ch) and kept and kept[-1].isascii():
            continue  # a mark on a Latin letter (marks are essential in other scripts)
        kept.append(ch)
    return _fold("".join(kept))


def _slugify(text: str) -> str:
    """'Xiaomi Inc.' -> 'xiaomi-inc': how a name would look if someone typed it as an id."""
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-")


@dataclass(frozen=True)
class _Name:
    """A name or alias of a record, as written, for collisions and did-you-mean."""

    label: str
    record: CheckedRecord
    path: FieldPath

    @property
    def is_alias(self) -> bool:
        return self.path[0] == "aliases"


class _KnowledgeBaseChecker:
    """Pass 2: checks that need every record at once."""

    def __init__(
        self,
        records: list[CheckedRecord],
        collector: ProblemCollector,
        schemas: SchemaSet,
        unreadable: set[str],
    ):
        self.records = records
        self.collector = collector
        self.schemas = schemas
        # Ids of fact files that could not be read: their own problem is reported, so
        # references to them are not reported again as unknown.
        self.unreadable = unreadable
        self.by_id: dict[str, CheckedRecord] = {}
        self.duplicates: dict[str, list[CheckedRecord]] = defaultdict(list)
        self.names: dict[str, list[_Name]] = defaultdict(list)  # by folded label
        self.name_slugs: dict[str, list[_Name]] = defaultdict(list)  # by slugified label
        self.titles: dict[str, list[_Name]] = defaultdict(list)  # by folded and slugified title

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
        check_duplicate_quotes(self.records, self.collector)

    def check_ids(self) -> None:
        folded: dict[str, CheckedRecord] = {}
        for record in self.records:
            key = _fold(record.id)
            first = folded.get(key)
            if first is None:
                folded[key] = record
                self.by_id[record.id] = record
                continue
            if first.id == record.id:
                self.duplicates[record.id].append(record)
                same = f"id '{shown_id(record.id)}' is also the id of {first.fact.rel}"
            else:
                same = (
                    f"id '{shown_id(record.id)}' differs only in case or Unicode form from the "
                    f"id of {first.fact.rel} ('{shown_id(first.id)}')"
                )
            self.collector.add(
                _file_problem(
                    record.fact,
                    f"{same}: ids are unique across all kinds (rename one of the files)",
                    "duplicate-id",
                )
            )

    def index_names(self) -> None:
        # Records whose names hold blanks or combining marks come last, so that a look-alike
        # of a plain name is reported on the look-alike, not on the record it imitates.
        for record in sorted(self.records, key=_has_unusual_name):
            data = record.fact.data
            names: list[_Name] = []
            if isinstance(data.get("name"), str):
                names.append(_Name(data["name"], record, ("name",)))
            if isinstance(data.get("aliases"), list):
                names += [
                    _Name(alias, record, ("aliases", index))
                    for index, alias in enumerate(data["aliases"])
                    if isinstance(alias, str)
                ]
            seen_here: dict[str, _Name] = {}
            for name in names:
                if name.label.strip() and not _has_visible_letter(name.label):
                    self.collector.add(
                        record.fact.problem(
                            name.path,
                            f"'{_escaped(name.label)}' has no visible letter (only blank or "
                            "invisible characters, symbols or marks): write the name in letters",
                            "invisible-name",
                        )
                    )
                    continue
                key = _name_key(name.label)
                if not key:
                    continue
                earlier = seen_here.get(key)
                if earlier is not None:
                    # Exact repeats within `aliases` are reported by the list check already.
                    if earlier.label != name.label or not earlier.is_alias:
                        what = "the name" if not earlier.is_alias else "an earlier alias"
                        self.collector.add(
                            record.fact.problem(
                                name.path,
                                f"{_shown_name(name.label)} repeats {what} "
                                f"{_shown_name(earlier.label)} (names that differ only in "
                                "case, spacing, invisible characters or accents are the same): "
                                "delete it",
                                "duplicate-name",
                            )
                        )
                    continue
                seen_here[key] = name
                others = [other for other in self.names[key] if other.record is not record]
                if others:
                    first = others[0]
                    what = "an alias" if first.is_alias else "the name"
                    self.collector.add(
                        record.fact.problem(
                            name.path,
                            f"{_shown_name(name.label)} is already {what} of "
                            f"'{first.record.id}' "
                            f"({first.record.fact.rel}): names and aliases must tell records "
                            "apart (make one of them more specific)",
                            "duplicate-name",
                        )
                    )
                self.names[key].append(name)
                self.name_slugs[_slugify(name.label)].append(name)
            # Titles (of events, sources, ...) may repeat, but still help a did-you-mean.
            title_field = record.schema.label_field
            title = data.get(title_field) if title_field not in (None, "name") else None
            if isinstance(title, str) and _fold(title):
                title_name = _Name(title, record, (title_field,))
                self.titles[_fold(title)].append(title_name)
                self.titles[_slugify(title)].append(title_name)

    def suggestion_for(self, target: str, kinds: tuple[str, ...], label: str | None = None) -> str:
        """' (did you mean ...?)' for a reference that names no record of the right kind:
        a record whose name or alias is what was written (or the link's label), else the
        nearest id by spelling."""
        for probe in (target, label):
            if not probe:
                continue
            found = self.names.get(_name_key(probe), [])
            found += self.name_slugs.get(_slugify(probe), [])
            found += self.titles.get(_fold(probe), []) + self.titles.get(_slugify(probe), [])
            for name in found:
                record = name.record
                if record.id == target or (kinds and record.kind not in kinds):
                    continue
                known = {"name": "named", "aliases": "also known as"}.get(name.path[0], "titled")
                return (
                    f" (did you mean '{record.id}'? that is the id of the {record.kind} {known} "
                    f"'{name.label}')"
                )
        candidates = [r.id for r in self.by_id.values() if not kinds or r.kind in kinds]
        match = likely_typo(target, candidates)
        return f" (did you mean '{match}'?)" if match is not None else ""

    def resolve(self, target: str, kinds: tuple[str, ...]) -> CheckedRecord | None:
        """The record an id names; of duplicates (reported already), one of the right kind."""
        found = self.by_id.get(target)
        if found is not None and kinds and found.kind not in kinds:
            for other in self.duplicates.get(target, []):
                if other.kind in kinds:
                    return other
        return found

    def check_reference(self, record: CheckedRecord, reference: Reference) -> None:
        kinds = reference.kinds
        if reference.in_text:
            written = reference.target + (f"|{reference.label}" if reference.label else "")
            shown = f"[[{written}]]"
        else:
            shown = f"'{reference.target}'"
        if reference.in_text and not SLUG.match(reference.target):
            hint = self.suggestion_for(reference.target, kinds, reference.label) or (
                " (ids are lower-case words joined by hyphens, like [[lei-jun]])"
            )
            what = f"'{reference.target}'" if reference.target else "the id"
            message = f"link {shown}: {what} is not a record id{hint}"
            self.collector.add(self._problem_at_reference(record, reference, message, "bad-link"))
            return
        target = self.resolve(reference.target, kinds)
        if target is None:
            if reference.target in self.unreadable:
                return
            hint = self.suggestion_for(reference.target, kinds, reference.label)
            what = kinds[0] if len(kinds) == 1 else "record"
            if hint:
                message = f"unknown {what} {shown}{hint}"
            else:  # most likely a record not written yet
                kind = kinds[0] if len(kinds) == 1 else "KIND"
                among = f" (KIND: {', '.join(kinds)})" if len(kinds) > 1 else ""
                message = (
                    f"no {what} {shown}: create it with `kb new {kind} {reference.target}`"
                    f"{among}, or correct the id"
                )
            self.collector.add(
                self._problem_at_reference(record, reference, message, "unknown-reference")
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
        # A figure an organization gives about itself (its own shipments) may name it.
        if (
            target is record
            and not reference.in_text
            and reference.path[0] != "cites"
            and reference.path[-1] != "measured_by"
        ):
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
        if not reference.in_text:
            return record.fact.problem(reference.path, message, code)
        # Point at the link itself, which may sit lines below where the text value starts.
        return _problem_in_text(record.fact, reference.path, "[[", reference.ordinal, message, code)

    def _source(self, source_id: Any) -> CheckedRecord | None:
        if not isinstance(source_id, str):
            return None
        found = self.resolve(source_id, ("source",))
        return found if found is not None and found.kind == "source" else None

    def check_citations(self, record: CheckedRecord) -> None:
        for path, citation in citations_in(record.fact.data):
            source = self._source(citation.get("source"))
            via_id = citation.get("via")
            if via_id is None or source is None:
                continue
            via = self._source(via_id)
            if via is None:
                continue  # reported as an unknown or wrong-kind reference already
            if via is source:
                self.collector.add(
                    record.fact.problem(
                        path + ("via",),
                        "'via' names the cited source itself: leave 'via' out",
                        "bad-via",
                    )
                )
            elif source.id not in _listed(via.fact.data.get("cites")):
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
        # Spans written as two fields (a position's from/to): the end comes after the start.
        for path, start in dates.items():
            if path[-1] != "from":
                continue
            end = dates.get(path[:-1] + ("to",))
            if end is not None and end.latest() < start.earliest():
                self.collector.add(
                    record.fact.problem(
                        path[:-1] + ("to",),
                        f"{end.text} is before the start (from: {start.text}): "
                        "correct one of the dates",
                        "date-order",
                    )
                )
        # A status history runs oldest first: no step may lie wholly before an earlier one.
        history = record.fact.data.get("status_history")
        if isinstance(history, list):
            latest_start: tuple[int, PartialDate] | None = None
            for index in range(len(history)):
                date = dates.get(("status_history", index, "date"))
                if date is None:
                    continue
                if latest_start and date.latest() < latest_start[1].earliest():
                    self.collector.add(
                        record.fact.problem(
                            ("status_history", index, "date"),
                            f"{date.text} is before the date of step {latest_start[0] + 1} "
                            f"({latest_start[1].text}): list the steps oldest first, or "
                            "correct the date",
                            "date-order",
                        )
                    )
                if latest_start is None or date.earliest() > latest_start[1].earliest():
                    latest_start = (index, date)
        # Nothing is said after the source that reports it was published. A citation read
        # through another source ('via') is checked against the original, then the go-between.
        said = dates.get(("said",)) or dates.get(("said", "value"))
        if said is not None:
            reported: set[str] = set()
            for _, citation in citations_in(record.fact.data):
                for key in ("source", "via"):
                    source = self._source(citation.get(key))
                    published = source.dates.get(("published",)) if source else None
                    if published is None or said.earliest() <= published.latest():
                        continue
                    if source.id not in reported:
                        reported.add(source.id)
                        self.collector.add(
                            record.fact.problem(
                                ("said",),
                                f"{said.text} is after '{source.id}' was published "
                                f"({published.text}), yet that source reports it: correct one "
                                "of the dates",
                                "date-after-source",
                            )
                        )
                    break
        published = dates.get(("published",))
        accessed = dates.get(("accessed",))
        if published and accessed and accessed.latest() < published.earliest():
            self.collector.add(
                record.fact.problem(
                    ("accessed",),
                    f"{accessed.text} is before the source was published "
                    f"(published: {published.text}): correct one of the dates",
                    "date-order",
                )
            )

    def check_unused_sources(self) -> None:
        if self.unreadable:
            return  # a file that could not be read may be the one citing it: say nothing yet
        cited: set[str] = set()
        linked: set[str] = set()
        for record in self.records:
            for reference in record.references:
                (linked if reference.in_text else cited).add(reference.target)
        for record in self.records:
            if record.kind == "source" and record.id not in cited:
                linked_only = record.id in linked
                hint = " (a [[link]] to it in text is not a citation)" if linked_only else ""
                self.collector.add(
                    _file_problem(
                        record.fact,
                        f"source '{record.id}' is not cited by any record{hint}: cite it where "
                        "its claims are used, or delete the file",
                        "unused-source",
                        severity="warning",
                    )
                )


def check_files(
    facts: list[FactFile], schemas: SchemaSet, collector: ProblemCollector
) -> CheckedFacts:
    """Pass 1 over every readable fact file."""
    records = []
    for fact in facts:
        record = check_record(fact, schemas, collector)
        if record is not None:
            records.append(record)
    return CheckedFacts(records=records)


def check_across_files(
    checked: CheckedFacts, facts: list[FactFile], schemas: SchemaSet, collector: ProblemCollector
) -> None:
    """Pass 2, on the whole knowledge base (always: any edit can break a check across files).
    It changes nothing it is given but the collector."""
    unreadable = {fact.id for fact in facts if fact.data is None}
    _KnowledgeBaseChecker(checked.records, collector, schemas, unreadable).run()
