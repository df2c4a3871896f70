"""schema.org JSON-LD for a record's page: what search engines and linked-data tools read.

A page describes itself as a `WebPage` whose `about` is the record as a schema.org thing
(Organization, Person, Product, Quotation, Event; a source is a CreativeWork, a relationship is
about its parties) and whose `citation` lists the sources the record cites, each a CreativeWork.
URLs are relative to the page (no site address is configured, so none is invented); a JSON-LD
processor resolves them against the page's own address. Dates are given only where they are
ISO 8601 as written (2018, 2018-11, 2018-11-02, or a range of those): "early 2019" is not.

The JSON is printed inside `<script type="application/ld+json">`, so `<`, `>` and `&` are
written as \\u003c, \\u003e and \\u0026: no fact string can end the script or start markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..model import KnowledgeBase, Record

SCHEMA_ORG = "https://schema.org"
TYPES = {
    "organization": "Organization",
    "person": "Person",
    "product": "Product",
    "quote": "Quotation",
    "event": "Event",
    "source": "CreativeWork",
}
CURRENCIES = ("USD", "EUR", "GBP", "CNY")
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# In a <script>, these are the characters that could end it or be read as markup.
_SCRIPT_UNSAFE = {char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")

Url = Callable[[Record], str]


def script_json(value: Any) -> str:
    """JSON that is safe as the text of a <script> element (see the module docstring)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE_RE.sub(lambda match: _SCRIPT_UNSAFE[match.group()], text)


def _iso(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if _ISO_DATE.fullmatch(text) else None


def _iso_range(value: Any) -> tuple[str | None, str | None]:
    """A date or a range of two ISO dates, as (start, end); (None, None) otherwise."""
    text = str(value).strip() if value is not None else ""
    first, slash, last = text.partition("/")
    if not slash:
        return _iso(text), None
    start, end = _iso(first.strip()), _iso(last.strip())
    return (start, end) if start and end else (None, None)


def _names(values: Any) -> list[str]:
    return [str(value) for value in values or [] if value is not None]


def _put(node: dict, key: str, value: Any) -> None:
    if value not in (None, "", [], {}):
        node[key] = value


class _Builder:
    def __init__(self, kb: KnowledgeBase, url: Url):
        self.kb = kb
        self.url = url

    def ref(self, record_id: Any) -> dict | None:
        """A short node for another record: its type, name and page."""
        record = self.kb.get(record_id) if isinstance(record_id, str) else None
        if record is None:
            return None
        node = {"@type": TYPES.get(record.kind, "Thing"), "name": record.label}
        node["url"] = self.url(record)
        return node

    def refs(self, ids: Any) -> list[dict]:
        return [node for node in (self.ref(i) for i in ids or []) if node is not None]

    def source(self, record: Record) -> dict:
        node: dict[str, Any] = {"@type": "CreativeWork", "name": record.label}
        node["url"] = self.url(record)
        _put(node, "sameAs", record.get("url"))
        return node

    def entity(self, record: Record) -> dict:
        get = record.get
        node: dict[str, Any] = {"@type": TYPES.get(record.kind, "Thing")}
        if record.kind != "quote":
            node["name"] = record.label
        node["url"] = self.url(record)
        _put(node, "alternateName", _names(get("aliases")))
        description = (
            self.kb.plain_text(record.text("summary"))
            or self.kb.plain_text(record.text("description"))
            or self.kb.plain_text(record.text("context"))
            or None
        )
        _put(node, "description", description)
        builder = getattr(self, f"_{record.kind}", None)
        if builder is not None:
            builder(record, node)
        return node

    def _organization(self, record: Record, node: dict) -> None:
        if record.get("country"):
            node["address"] = {"@type": "PostalAddress", "addressCountry": record.get("country")}
        _put(node, "parentOrganization", self.ref(record.get("parent")))

    def _person(self, record: Record, node: dict) -> None:
        positions = record.get("positions") or []
        _put(node, "jobTitle", _names(p.get("title") for p in positions))
        _put(node, "worksFor", self.refs(p.get("organization") for p in positions))

    def _product(self, record: Record, node: dict) -> None:
        _put(node, "category", record.get("category"))
        _put(node, "manufacturer", self.ref(record.get("maker")))
        _put(node, "releaseDate", _iso(record.get("released")))
        _put(node, "isRelatedTo", self.ref(record.get("variant_of")))
        offers = []
        for price in record.get("prices") or []:
            if price.get("unit") in CURRENCIES:
                offer = {"@type": "Offer", "price": price.get("value")}
                offer["priceCurrency"] = price["unit"]
                _put(offer, "areaServed", price.get("market"))
                _put(offer, "description", price.get("of"))
                offers.append(offer)
        _put(node, "offers", offers)

    def _quote(self, record: Record, node: dict) -> None:
        node["text"] = record.get("text")
        _put(node, "spokenByCharacter", self.ref(record.get("speaker")))
        _put(node, "dateCreated", _iso(record.get("said")))
        _put(node, "about", self.refs(record.get("about")))

    def _event(self, record: Record, node: dict) -> None:
        start, end = _iso_range(record.get("date"))
        _put(node, "startDate", start)
        _put(node, "endDate", end)
        if record.get("location"):
            node["location"] = {"@type": "Place", "name": record.get("location")}
        _put(node, "about", self.refs(record.get("participants")))

    def _source(self, record: Record, node: dict) -> None:
        node["url"] = record.get("url") or self.url(record)
        _put(node, "author", _names(record.get("author")))
        _put(node, "publisher", self.ref(record.get("publisher")))
        _put(node, "datePublished", _iso(record.get("published")))
        _put(node, "citation", [self.source(self.kb[i]) for i in record.get("cites") or []])

    def page(self, record: Record) -> dict:
        node: dict[str, Any] = {"@context": SCHEMA_ORG, "@type": "WebPage", "name": record.label}
        node["url"] = self.url(record)
        if record.kind == "relationship":
            parties = [i for _, ids in record.parties() for i in ids]
            _put(node, "about", self.refs(parties))
            _put(node, "description", self.kb.plain_text(record.text("summary")) or None)
        else:
            node["about"] = self.entity(record)
        cited = {}
        for use_source in _cited_sources(record):
            if use_source in self.kb.records and use_source != record.id:
                cited.setdefault(use_source, self.source(self.kb[use_source]))
        _put(node, "citation", list(cited.values()))
        return node


def _cited_sources(record: Record) -> list[str]:
    """The sources the record cites, in the order its references name them."""
    return [
        reference.target
        for reference in record.references
        if not reference.in_text and reference.path[-1] in ("source", "via")
    ]


def page_json_ld(kb: KnowledgeBase, record: Record, url: Url) -> str:
    """The JSON-LD of a record's page, ready to print inside its <script> element."""
    return script_json(_Builder(kb, url).page(record))
