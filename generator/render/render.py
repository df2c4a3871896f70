"""Stage 4: the model rendered into pages (Markdown and HTML), through Jinja templates.

A page kind is a function from the site (the model plus the template environment) to
`(path, text)` pairs, registered in the ordered list `PAGE_KINDS` at the bottom. Paths are
POSIX paths inside the build folder (`organizations/xiaomi.md`); texts are whole Markdown files
with front matter. Nothing here writes files: `write.py` does, once every page has rendered.

A page is Markdown with blocks of HTML in it. Headings are Markdown, so that mkdocs builds the
table of contents; everything else (the contributors' prose, key facts, tables, relationship
lines, quotes, lists, the numbered notes, the diagram) is HTML, written by the templates under
`blocks/` (`*.html.j2`), so that Python-Markdown passes it through without processing it (most
of mkdocs' time was Python-Markdown reading link-heavy tables), and a site that overrides a
template changes the table. Links in HTML are final hrefs relative to the page's URL
(`relative_url`): mkdocs rewrites links in Markdown only.

Escaping. Every fact string reaches a page escaped. In an HTML template, Jinja's autoescape
escapes whatever is printed; in a Markdown template, the `md` filter and the helpers of
`PageContext` escape it as Markdown (escape.py), and the environment's `finalize` refuses to
print any string that was not (HTML escaping is the wrong escaping there). Helpers that build
HTML in Python (a link, a claim's values with their notes) escape with markupsafe and return
`Markup`.

Templates are looked up first in the knowledge base's `templates/` folder, then in the
package's `generator/render/templates/`, so a site can override one template at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import jinja2.runtime
from markdown.extensions.toc import slugify as _TOC_SLUG
from markupsafe import Markup

from ..dates import APPROXIMATE, UNCERTAIN, PartialDate
from ..export.api import record_json_path
from ..model import (
    CitationUse,
    Claim,
    KnowledgeBase,
    Link,
    Record,
    date_order,
    sources_differ,
)
from ..project import BuildError
from . import escape, home
from .json_ld import page_json_ld

_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
NOT_RECORDED = "not recorded"

# Kinds with a page of their own and an index, in the order the site lists them.
KIND_ORDER = [
    "organization",
    "person",
    "product",
    "relationship",
    "quote",
    "event",
    "source",
]
# Relationship types listed first on the relationships page: the carrier deals.
CARRIER_TYPES = ("carrier-partnership", "carrier-launch-deal")
# What the marks of a date mean, said on the pages that show them (date_legend).
DATE_LEGEND = [
    ("approximate", f"“c.” before a date means {APPROXIMATE}."),
    ("uncertain", f"“?” after a date means {UNCERTAIN}."),
]
# Edges shown in one record's diagram at most; a diagram is a glance, the lists are the record.
DIAGRAM_EDGE_LIMIT = 24

# Enum values and field names whose readable form is not just "hyphens become spaces".
VALUE_LABELS = {
    "tv-set-top-box": "TV set-top box",
    "in-store": "in store",
}
FIELD_LABELS = {
    "aliases": "Also known as",
    "url": "Link",
    "archive_url": "Archived copy",
    "cites": "Cites",
    "said": "Said",
    "author": "Author",
    "published": "Published",
    "accessed": "Accessed",
    "kind": "Kind of source",
    "type": "Type",
    "group": "Group",
    "variant_of": "Version of",
    "market_shares": "Market share",
    "on_behalf_of": "Speaking for",
}
# How a quantity's number is written, by its unit: (before, after).
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "CN¥"}
# Fields the infobox leaves out: prose and notes (the page's own paragraphs), citations (the
# notes), the status history (a section of its own) and flags the header says in words.
INFOBOX_SKIPPED = {
    "summary",
    "note",
    "citations",
    "description",
    "context",
    "text",
    "status_history",
    "title_supplied",
    "group",
}
# What a source's page says once when the source does not give it (its notes elsewhere never
# repeat it).
SOURCE_EXPECTED = ("publisher", "author", "published", "url")
NOT_RECORDED_LABELS = {"published": "date of publication", "url": "address (URL)"}
INDEX_TITLES = {"relationship": "Carrier deals and other relationships"}
# How a record refers to the one whose page lists it, said of the listed one: Huawei is the
# "Maker of" the Mate 10 Pro. In the order "Referenced by" lists them; text links last.
REFERENCE_PHRASES = {
    ("organization", "parent"): "Parent of",
    ("product", "maker"): "Maker of",
    ("product", "variant_of"): "Base model of",
    ("product", "sold_at"): "Seller of",
    ("person", "positions"): "Employer of",
    ("quote", "speaker"): "Quoted in",
    ("quote", "on_behalf_of"): "Spoken for in",
    ("quote", "about"): "Subject of",
    ("relationship", "products"): "Subject of",
    ("event", "participants"): "Participant in",
    ("event", "products"): "Subject of",
    ("event", "venue"): "Venue of",
    ("source", "publisher"): "Publisher of",
    ("source", "cites"): "Reported in",
    ("organization", "market_shares"): "Measured the figures of",
    ("organization", "shipments"): "Measured the figures of",
    ("product", "prices"): "Gave the prices of",
    ("text", "link"): "Mentioned in",
}


class TemplateUsageError(Exception):
    """A template printed something that was not escaped, or asked for a missing template."""


def humanize(value: object) -> str:
    """An enum value or field name as readers see it: 'carrier-launch-deal' -> 'carrier launch
    deal'. The result is still fact-adjacent text and goes through escape like any other."""
    text = str(value)
    return VALUE_LABELS.get(text, text.replace("-", " ").replace("_", " "))


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name, humanize(name))
    return label[:1].upper() + label[1:]


def relative_href(from_page: str, to_page: str) -> str:
    """The relative Markdown link from one page of the build folder to another."""
    from_dir = from_page.rpartition("/")[0]
    to_dir, _, to_name = to_page.rpartition("/")
    if to_dir == from_dir:
        return to_name
    if not from_dir:
        return to_page
    if "/" not in from_dir:  # every record page and index is one folder deep
        return "../" + to_page
    return posixpath.relpath(to_page, from_dir)


def page_url(page: str) -> str:
    """A page's URL in the site, relative to its root (directory URLs, as mkdocs.yml sets):
    'organizations/huawei.md' -> 'organizations/huawei/', 'organizations/index.md' ->
    'organizations/', 'index.md' -> ''."""
    stem = page.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


def relative_url(from_page: str, to_page: str) -> str:
    """The href, in HTML, from one page of the build folder to another: relative to the page's
    URL, since mkdocs rewrites links in Markdown but not in HTML. A page at
    organizations/huawei.md is served at organizations/huawei/, so its link to
    people/richard-yu.md is '../../people/richard-yu/'. It depends only on the page's folder
    and on whether the page is the folder's index, so links are shared by a folder's pages."""
    folder, _, name = from_page.rpartition("/")
    here = folder.split("/") if folder else []
    there = page_url(to_page).split("/")[:-1]
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    relative = "../" * (len(here) - common) + "".join(part + "/" for part in there[common:])
    if name != "index.md":  # served one level deeper, at <folder>/<name>/
        relative = "../" + relative
    return relative or "./"


def anchor_id(record: Record) -> str:
    """The stable HTML id of a record wherever it is listed: '<kind>-<id>' (ids are slugs)."""
    return f"{record.kind}-{record.id}"


_SLUG_ID = re.compile(r"[a-z]+-[a-z0-9]+(?:-[a-z0-9]+)*")


def html_id(name: str) -> str:
    """An id for an HTML attribute. Record ids are validated slugs and need no escaping;
    anything else is HTML-escaped."""
    return name if _SLUG_ID.fullmatch(name) else escape.html_text(name)


def _safe(text: str) -> Markup:
    """Mark text that escape.py produced (or that we wrote from slugs and literals) as printable.

    str.__new__ rather than Markup(text): the same Markup, without Markup.__new__'s checks for
    an __html__ method and an encoding (text here is always a str)."""
    return _new_str(Markup, text)


_new_str = str.__new__


def _join(*parts: object, sep: str = "") -> Markup:
    """Concatenate escaped pieces. Never `+` a str and a Markup: Markup's __radd__ would
    HTML-escape the str, escaping escaped output a second time."""
    return Markup(sep.join(str(part) for part in parts))


@lru_cache(maxsize=1 << 16)
def _md_cached(text: str) -> Markup:
    return _safe(escape.md_text(text))


def _md(value: object) -> Markup:
    """Escaped inline Markdown. Short values repeat on many pages, so their escaped form is kept."""
    if isinstance(value, str) and len(value) <= 200:
        return _md_cached(value)
    return _safe(escape.md_text(value))


@lru_cache(maxsize=1 << 16)
def _h_cached(text: str) -> Markup:
    return _safe(escape.html_text(text))


def _h(value: object) -> Markup:
    """Escaped HTML text. Short values (labels, enum values, dates, 'not recorded') repeat on
    many pages, so their escaped form is kept."""
    if isinstance(value, str) and len(value) <= 200:
        return _h_cached(value)
    return _safe(escape.html_text(value))


def _human(value: object) -> Markup:
    """An enum value or field name in readable form, as HTML text."""
    return _h(humanize(value))


def _letter(index: int) -> str:
    """a, b, ... z, aa, ab ...: the letters of a note's several ways back."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[index] if index < 26 else _letter(index // 26 - 1) + letters[index % 26]


def _with_edge_spaces(original: str, escaped: str) -> str:
    """The escape functions trim; a run of text between two links must keep its edge spaces."""
    lead = " " if original[:1].isspace() else ""
    trail = " " if original[-1:].isspace() and escaped else ""
    return lead + escaped + trail


@dataclass
class Passage:
    """A passage of a source that a page relies on, listed under the source's note: its id on
    the page (`fn:1-2`), its text, and the ids of the marks citing it."""

    id: str
    text: Markup
    refs: list[str]


@dataclass
class Note:
    """One numbered note of a page: one source (Wikipedia's named reference), reused by every
    claim citing it, with the passages of it the page relies on; `refs` are the marks that
    cite the source as a whole."""

    number: int
    text: Markup
    refs: list[str]
    passages: list[Passage] = field(default_factory=list)
    by_key: dict[tuple, Passage] = field(default_factory=dict, repr=False)


def passage_anchor(citation: dict) -> str:
    """The stable id of a cited passage on its source's page: the same citation (source, via,
    locator, excerpt) gets the same id on every build and from every page that cites it."""
    key = "\0".join(
        str(citation.get(name) or "") for name in ("source", "via", "locator", "excerpt")
    )
    return "passage-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


@dataclass
class Site:
    """What every page kind renders from: the model, the templates and what is carried in."""

    kb: KnowledgeBase
    env: jinja2.Environment
    # Pages copied from content/, by build-folder path (the home page renders content/index.md)
    carried: Mapping[str, bytes] = field(default_factory=dict)
    # When each fact file last changed, by path (facts/...): git's history (load/history.py)
    last_changed: Mapping[str, str] = field(default_factory=dict)
    # Links and notes depend only on where the page is (its folder, and whether it is the
    # folder's index), so each is built once per place, not once per page (most pages link to
    # the same few records).
    link_cache: dict[tuple, Markup] = field(default_factory=dict)
    note_cache: dict[tuple, Markup] = field(default_factory=dict)

    def render(self, template_name: str, page_path: str, **values: Any) -> str:
        context = PageContext(self, page_path)
        template = self.env.get_template(template_name)
        text = template.render(p=context, kb=self.kb, **values)
        # Templates leave runs of blank lines where optional sections were skipped; one blank
        # line means the same to Markdown and keeps the output readable in review.
        return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


class PageContext:
    """Helpers for one page being rendered: links relative to it, its notes, its anchors.

    Most return escaped HTML (`Markup`, built with markupsafe from fact strings) for the
    templates' HTML blocks; `section`, `page_link`, `source_heading` and `date_legend` return
    Markdown, for the headings and sentences between them.
    """

    def __init__(self, site: Site, path: str):
        self.site = site
        self.kb = site.kb
        self.path = path
        # Where links start from: every page of a folder but its index is one level deeper.
        self.place = (path.rpartition("/")[0], path.endswith("index.md"))
        self._link_cache = site.link_cache
        self._note_cache = site.note_cache
        self._note_numbers: dict[str, Note] = {}
        self._notes: list[Note] = []
        self._marks = 0
        self._anchors: set[str] = set()
        # Records linked from the page so far: "Referenced by" lists the others only.
        self.linked: set[str] = set()
        # The page's section headings, in order, for its table of contents on a phone.
        self._sections: list[tuple[str, str]] = []
        self._date_marks: set[str] = set()

    # Links -------------------------------------------------------------------------------

    def url(self, record: Record | str, anchor: str | None = None) -> str:
        """The href of a record's page (or of an anchor on it), relative to this page's URL."""
        if isinstance(record, str):
            record = self.kb[record]
        target = relative_url(self.path, record.page)
        return f"{target}#{anchor}" if anchor else target

    def a(self, record: Record | str, label: str | None = None, anchor: bool = False) -> Markup:
        """An HTML link to a record's page (or to its anchor on that page); the label defaults
        to the record's label."""
        if isinstance(record, str):
            record = self.kb[record]
        self.linked.add(record.id)
        key = ("a", *self.place, record.id, label, anchor)
        cached = self._link_cache.get(key)
        if cached is None:
            href = self.url(record, anchor_id(record) if anchor else None)
            text = record.label if label is None else label
            # The href is made of record ids (slugs) and folder names: nothing to escape.
            cached = self._link_cache[key] = _safe(f'<a href="{href}">{_h(text)}</a>')
        return cached

    def page_href(self, page: str) -> str:
        """The href, in HTML, of a generated page that is not a record's (an index)."""
        return relative_url(self.path, page)

    def page_link(self, label: str, page: str) -> Markup:
        """A Markdown link to a generated page that is not a record's (an index, the timeline)."""
        return _safe(escape.md_link(label, relative_href(self.path, page)))

    def links(self, ids: Iterable[str] | None, empty: str = NOT_RECORDED) -> Markup:
        ids = list(ids or [])
        if not ids:
            return _h(empty)
        return _safe(", ".join(self.a(record_id) for record_id in ids))

    def external(self, label: str, url: str) -> Markup:
        """A link out of the site; `url` is a validated URL field (the label alone otherwise)."""
        href = escape.html_url(url)
        if href is None:
            return _h(label)
        return Markup('<a href="{}">{}</a>').format(href, _h(label))

    # Text ----------------------------------------------------------------------------------

    def text_html(self, record: Record, *path: str | int, empty: str = "") -> Markup:
        """A text field for inside an HTML block: its [[links]] as <a>, every plain run
        escaped."""
        text = record.text(*path)
        if not text:
            return _h(empty)
        out = []
        for piece in text:
            if isinstance(piece, Link):
                target = self.kb.get(piece.target)
                if target is None:  # validation rejects this; never print a raw id
                    out.append(escape.html_text(piece.label or piece.target))
                else:
                    out.append(self.a(target, piece.label))
            else:
                out.append(_with_edge_spaces(piece, escape.html_text(piece)))
        return _safe("".join(out))

    def paragraphs(self, text: object) -> list[str]:
        """Multi-line text (a quote's words) as its paragraphs, each one line of plain text."""
        return escape.paragraphs(text) or [""]

    def date(self, date: PartialDate | None, empty: str = NOT_RECORDED) -> Markup:
        if date is None:
            return _h(empty)
        return _h(self.shown(date))

    def shown(self, date: PartialDate | None) -> str | None:
        """A date as shown, its marks noted for the page's legend (date_legend)."""
        if date is None:
            return None
        self._date_marks.update(date.marks)
        return date.display()

    def date_legend(self) -> Markup:
        """What the marks of the dates shown so far mean ('c.', '?'), as Markdown sentences
        after a space, to follow a sentence; empty when no date shown had one. A template that
        wants it above its dates renders them into a variable first."""
        said = [text for mark, text in DATE_LEGEND if mark in self._date_marks]
        return _safe(" " + escape.md_text(" ".join(said))) if said else _safe("")

    def record_date(self, record: Record, *path: str | int, empty: str = NOT_RECORDED) -> Markup:
        return self.date(record.date(*path), empty)

    def date_cell(self, date: PartialDate | None, empty: str = NOT_RECORDED) -> Markup:
        """A date for a table cell: as `date` shows it, with the key the sortable tables sort
        it by (content/assets/sortable-tables.js), so that 'Nov 2017?' sorts before '2018'
        and 'not recorded' last, whatever the words."""
        return _safe(f'<span data-sort="{date_sort_key(date)}">{self.date(date, empty)}</span>')

    def record_date_cell(
        self, record: Record, *path: str | int, empty: str = NOT_RECORDED
    ) -> Markup:
        return self.date_cell(record.date(*path), empty)

    def value(self, value: object) -> Markup:
        return _human(value)

    # Data for machines --------------------------------------------------------------------

    def api_href(self, record: Record) -> Markup:
        """The href of the record's JSON document (export/api.py), relative to this page."""
        root = relative_url(self.path, "index.md")
        # Made of folder names and the record's id (a slug): nothing to escape.
        return _safe(("" if root == "./" else root) + record_json_path(record))

    def json_ld(self, record: Record) -> Markup:
        """The record's schema.org JSON-LD, safe inside <script> (json_ld.py escapes it)."""
        return _safe(page_json_ld(self.kb, record, self.url))

    # Anchors -------------------------------------------------------------------------------

    def anchor(self, record: Record) -> Markup:
        """An empty element carrying the record's stable id, the first time it is listed on
        this page (an id must be unique on a page)."""
        attribute = self.id_attribute(record)
        return _join("<span", attribute, "></span>") if attribute else attribute

    def id_attribute(self, record: Record) -> Markup:
        """' id="quote-x"' for the element listing a record, the first time it is listed on
        this page (an id must be unique on a page); nothing after."""
        name = anchor_id(record)
        if name in self._anchors:
            return _safe("")
        self._anchors.add(name)
        return _safe(f' id="{html_id(name)}"')

    def li(self, record: Record) -> Markup:
        """The opening tag of a list item listing a record, with its anchor."""
        return _join("<li", self.id_attribute(record), ">")

    def record_links(self, records: list[Record]) -> Markup:
        """Links to records, comma-separated (a source by its title)."""
        return _join(
            *(self.source_title(r) if r.kind == "source" else self.a(r) for r in records),
            sep=", ",
        )

    # Citations as numbered notes ---------------------------------------------------------

    def cite(self, citations: list[dict] | None, whole: bool = False) -> Markup:
        """The citation marks of one claim: one mark per source, numbered by the source's note
        (one note per source per page, reused by every claim citing it). A mark leads to the
        passage it rests on, listed under the note, or to the note itself when the claim rests
        on the source as a whole or on several of its passages. Each mark has its own id
        (`r:1`, `r:2`...), for the way back from the note. `whole`: the claim rests on these
        sources as a whole (a fact written without sources of its own rests on the record's):
        the mark leads to the note, whose passages are listed all the same."""
        by_source: dict[str, list[dict]] = {}
        for citation in citations or []:
            by_source.setdefault(citation["source"], []).append(citation)
        marks = []
        for source_id, group in by_source.items():
            note = self._note(source_id)
            self._marks += 1
            ref = f"r:{self._marks}"
            targets = []
            for citation in group:
                passage = self._passage(note, citation)
                if passage is None or whole:
                    if ref not in note.refs:
                        note.refs.append(ref)
                    targets.append(f"fn:{note.number}")
                elif ref not in passage.refs:
                    passage.refs.append(ref)
                    targets.append(passage.id)
            target = targets[0] if len(set(targets)) == 1 else f"fn:{note.number}"
            marks.append(
                f'<sup id="{ref}"><a class="footnote-ref" href="#{target}">'
                f"[{note.number}]</a></sup>"
            )
        return _safe("".join(marks))

    def _note(self, source_id: str) -> Note:
        note = self._note_numbers.get(source_id)
        if note is None:
            text = self.source_reference(self.kb[source_id])
            note = self._note_numbers[source_id] = Note(len(self._notes) + 1, text, [])
            self._notes.append(note)
            published = self.kb[source_id].date("published")
            if published is not None:  # the note shows it (kept per place: not through date)
                self._date_marks.update(published.marks)
        return note

    def _passage(self, note: Note, citation: dict) -> Passage | None:
        """The passage a citation points at, listed under its note; None for a citation that
        names only the source."""
        key = (citation.get("via"), citation.get("locator"), citation.get("excerpt"))
        if key == (None, None, None):
            return None
        passage = note.by_key.get(key)
        if passage is None:
            cache_key = ("passage", *self.place, citation["source"], *key)
            text = self._note_cache.get(cache_key)
            if text is None:
                text = self._note_cache[cache_key] = self._passage_text(citation)
            passage = Passage(f"fn:{note.number}-{len(note.passages) + 1}", text, [])
            note.by_key[key] = passage
            note.passages.append(passage)
        return passage

    def _passage_text(self, citation: dict) -> Markup:
        """'Paragraph 3: “words”', its locator linked to the passage on the source's page (the
        page of the source whose words they are: the one it was read in, for `via`)."""
        via = citation.get("via")
        href = self.url(via or citation["source"], passage_anchor(citation))
        locator = citation.get("locator")
        label = locator[:1].upper() + locator[1:] if locator else "Passage"
        pieces = [f'<a href="{href}">{escape.html_text(label)}</a>']
        excerpt = citation.get("excerpt")
        if excerpt:
            pieces += [":", self.quoted(excerpt)]
        if via:
            pieces += [", as cited in ", self.source_title(self.kb[via])]
        return _join(*pieces)

    def quoted(self, excerpt: str) -> Markup:
        """' “words”': a verbatim excerpt in quotation marks, unless it opens with its own (a
        quote in the source), which would read ““words””."""
        if excerpt.lstrip()[:1] in OPENING_QUOTE_MARKS:
            return _join(" ", escape.html_text(excerpt))
        return _join(" “", escape.html_text(excerpt), "”")

    def notes(self) -> list[Note]:
        """The page's notes, in the order they were first cited.

        NOTE: call it last: it lists the citations the page's other blocks have made."""
        return self._notes

    def back_links(self, refs: list[str]) -> Markup:
        """The way back from a note or passage to each mark citing it: '↑' for one, '↑ a b c'
        for several (as Wikipedia's)."""
        if not refs:
            return _safe("")
        if len(refs) == 1:
            return _safe(f' <a class="kb-back" href="#{refs[0]}" title="Back to the claim">↑</a>')
        letters = " ".join(
            f'<a href="#{ref}">{_letter(index)}</a>' for index, ref in enumerate(refs)
        )
        return _safe(f' <span class="kb-back" title="Back to the claims">↑ {letters}</span>')

    def source_title(self, source: Record) -> Markup:
        """A source's title linked to its page; a title we supplied shows in [brackets]."""
        title = source.label
        if source.get("title_supplied"):
            title = f"[{title}]"
        return self.a(source, title)

    def source_reference(self, source: Record) -> Markup:
        """Title, publisher, date and link of a source, as a note or a source list shows it.

        Kept per place like notes: every note citing the source starts with it."""
        key = ("source reference", *self.place, source.id)
        reference = self._note_cache.get(key)
        if reference is None:
            reference = self._note_cache[key] = self._source_reference(source)
        return reference

    def _source_reference(self, source: Record) -> Markup:
        """Title, publisher and date, those the source gives: its own page says, once, what
        it does not give."""
        parts = [self.source_title(source)]
        publisher = self.kb.get(source.get("publisher") or "")
        if publisher is not None:
            parts.append(_h(publisher.label))
        published = source.date("published")
        if published is not None:
            parts.append(_h(published.display()))
        return _join(_join(*parts, sep=", "), ".")

    # The record's header and infobox -----------------------------------------------------

    def index_url(self, record: Record) -> str:
        """The href of the index of the record's kind."""
        return relative_url(self.path, f"{record.schema.plural}/index.md")

    def index_title(self, record: Record) -> str:
        return INDEX_TITLES.get(record.kind, record.schema.plural.capitalize())

    def what_it_is(self, record: Record) -> list[Markup]:
        """What the record is, in a few words for under its title, after its kind:
        'manufacturer', 'China' for an organization; 'CEO, Huawei' for a person;
        'smartphone', 'Huawei' for a product."""
        kind = record.kind
        parts: list[object] = []
        if kind == "organization":
            if record.get("group"):
                parts.append("group")
            if record.get("roles"):
                parts.append(", ".join(humanize(role) for role in record.get("roles")))
            parts.append(record.get("country"))
        elif kind == "person":
            positions = record.get("positions") or []
            current = [position for position in positions if not position.get("to")]
            for position in (current or positions)[:2]:
                organization = self.kb.get(position.get("organization", ""))
                title = position.get("title") or ""
                parts.append(f"{title}, {organization.label}" if organization else title)
        elif kind == "product":
            parts.append(humanize(record.get("category")) if record.get("category") else None)
            maker = self.kb.get(record.get("maker") or "")
            parts.append(maker.label if maker else None)
        elif kind == "relationship":
            parts.append(humanize(record.get("type")))
            parts.append(humanize(record.current_status) if record.current_status else None)
        elif kind == "quote":
            speaker = self.kb.get(record.get("speaker") or "")
            parts.append(speaker.label if speaker else None)
            parts.append(self.shown(record.date("said")))
        elif kind == "event":
            parts.append(humanize(record.get("type")))
            parts.append(self.shown(record.date("date")))
        elif kind == "source":
            parts.append(humanize(record.get("kind")) if record.get("kind") else None)
            publisher = self.kb.get(record.get("publisher") or "")
            parts.append(publisher.label if publisher else None)
            parts.append(self.shown(record.date("published")))
        return [_h(part) for part in parts if part]

    def infobox(self, record: Record) -> list[tuple[Markup, Markup]]:
        """(label, value) rows of the record's key facts, in its kind's order, each value with
        the marks of its sources; a fact with nothing recorded has no row (`not_recorded`
        names them). Then what other records say of this one (an organization's products and
        people, a product's versions, a relationship's current status)."""
        rows = []
        for name, spec in record.schema.fields.items():
            if name in INFOBOX_SKIPPED or name == record.schema.label_field:
                continue
            if not record.claims_of(name) and record.get(name) in (None, [], False, ""):
                continue
            rows.append((_h(field_label(name)), self.field_value(record, name, spec)))
        return rows + self._related_rows(record)

    def _related_rows(self, record: Record) -> list[tuple[Markup, Markup]]:
        kb, rows = self.kb, []

        def add(label: str, value: Markup) -> None:
            if value:
                rows.append((_h(label), value))

        if record.kind == "organization":
            add("Includes", self.record_links(kb.referring(record, "organization", "parent")))
            add("Products", self.record_links(kb.referring(record, "product", "maker")))
            add("Sells", self._lines(self._sold(p, i, s) for p, i, s in self.sold_here(record)))
            held = (self._held(person, i, True) for person, i, _ in self.positions_at(record))
            add("People", self._lines(held))
            add("Published", self.record_links(kb.referring(record, "source", "publisher")))
        elif record.kind == "product":
            add("Versions", self.record_links(kb.referring(record, "product", "variant_of")))
        elif record.kind == "relationship":
            add("Current status", self.status_line(record))
        elif record.kind == "source":
            add("Reported in", self.record_links(kb.referring(record, "source", "cites")))
        return rows

    @staticmethod
    def _lines(items: Iterable[Markup]) -> Markup:
        return _join(*items, sep="<br>")

    def not_recorded(self, record: Record) -> list[str]:
        """The key facts a record leaves out (and, for a source, what it does not say of
        itself), for one short line under its infobox."""
        expected = SOURCE_EXPECTED if record.kind == "source" else ()
        return [
            NOT_RECORDED_LABELS.get(name, humanize(name))
            for name, spec in record.schema.fields.items()
            if name not in INFOBOX_SKIPPED
            and name != record.schema.label_field
            and (spec.claim or name in expected)
            and not record.claims_of(name)
            and record.get(name) in (None, [])
        ]

    def field_value(self, record: Record, name: str, spec) -> Markup:
        """An infobox row's value (the infobox leaves out what is not recorded)."""
        if spec.claim:
            return self.claim_values(record, (name,), spec, record.get("citations"))
        value = record.get(name)
        if name == "positions":
            return self._lines(self._held(record, index) for index in range(len(value)))
        if name == "sold_at":
            return self._lines(
                self._sold(record, index, place, at_retailer=False)
                for index, place in enumerate(value)
            )
        if name == "aliases":
            return self.optional(value)
        return self._value_of(record, (name,), spec, value)

    def claim_values(
        self, record: Record, path: tuple, spec, fallback: list[dict] | None = None
    ) -> Markup:
        """A key fact's values, each with the marks of its own sources (a value without any
        rests on `fallback`, the citations of what holds it); where the sources give different
        values, all of them, the preferred first, and a word that they differ. A deprecated
        value is shown struck through, with the reason it is kept."""
        claims = record.claims_of(*path)
        if not claims:
            return _h(NOT_RECORDED)
        shown = sorted(claims, key=lambda claim: claim.rank != "preferred")
        parts = [self._claim(record, claim, spec, fallback) for claim in shown]
        out = _join(*parts, sep=" · ")
        if sources_differ(claims):
            out = _join(out, ": ", _h("sources differ"))
        return out

    def _claim(self, record: Record, claim: Claim, spec, fallback: list[dict] | None) -> Markup:
        value = self._value_of(record, claim.path, spec, claim.value, claim.date)
        cited = self.cite(claim.citations) if claim.citations else self.cite(fallback, True)
        if claim.rank == "deprecated":
            reason = self.text_html(record, *claim.path[:-1], "reason") if claim.reason else ""
            said = _join(" (deprecated: ", reason, ")") if reason else _safe(" (deprecated)")
            return _join("<del>", value, "</del>", cited, said)
        return _join(value, cited)

    def _held(self, person: Record, index: int, at_organization: bool = False) -> Markup:
        """A position: 'CEO[1], Huawei (Mar 2015 – 2018)' on the person's page, 'Richard Yu,
        CEO[1] (...)' on the organization's."""
        position = person.get("positions")[index]
        spec = person.schema.fields["positions"].items.fields["title"]
        own = person.data["positions"][index].get("citations")
        title = self.claim_values(
            person, ("positions", index, "title"), spec, own or person.get("citations")
        )
        if at_organization:
            out = _join(self.a(person), ", ", title)
        else:
            organization = self.kb.get(position.get("organization", ""))
            out = _join(title, ", ", self.a(organization)) if organization else title
        start = person.date("positions", index, "from")
        end = person.date("positions", index, "to")
        if start and end:
            out = _join(out, " (", self.date(start), " – ", self.date(end), ")")
        elif start or end:
            out = _join(out, " (", "from " if start else "until ", self.date(start or end), ")")
        return out

    def _sold(self, product: Record, index: int, place: dict, at_retailer: bool = True) -> Markup:
        """Where a product is sold: 'Walmart (United States, online, since 2018)[2]' on the
        product's page, the product first on the retailer's."""
        details = [_h(place["market"])] if place.get("market") else []
        if place.get("channel"):
            details.append(self.value(place["channel"]))
        since = product.date("sold_at", index, "since")
        if since:
            details.append(_join("since ", self.date(since)))
        who = self.a(product) if at_retailer else self.a(place["retailer"])
        out = _join(who, " (", _join(*details, sep=", "), ")") if details else who
        return _join(out, self.cite(place.get("citations")))

    def quantity(self, record: Record, path: tuple, item: dict) -> Markup:
        """'$799 (unlocked, United States, 2018; measured by Canalys)' and its notes."""
        number = item.get("value")
        written = f"{number:,}" if isinstance(number, int) else f"{number:,.10g}"
        unit = item.get("unit")
        if unit in CURRENCY_SIGNS:
            amount = f"{CURRENCY_SIGNS[unit]}{written}"
        elif unit == "percent":
            amount = f"{written}%"
        else:
            amount = f"{written} {humanize(unit)}"
        details = [_h(item[key]) for key in ("of", "market") if item.get(key)]
        if record.date(*path, "date"):
            details.append(self.record_date(record, *path, "date"))
        if item.get("measured_by"):
            details.append(_join("measured by ", self.a(item["measured_by"])))
        out = _h(amount)
        if details:
            out = _join(out, " (", _join(*details, sep=", "), ")")
        if item.get("citations"):
            out = _join(out, self.cite(item["citations"]))
        return out

    def _value_of(self, record: Record, path: tuple, spec, value, date=None) -> Markup:
        kind = spec.type
        if kind == "ref":
            target = self.kb.get(value)
            if target is None:
                return _h(value)
            return self.source_title(target) if target.kind == "source" else self.a(target)
        if kind == "date":
            return self.date(date or record.date(*path))
        if kind == "enum":
            return self.value(value)
        if kind == "url":
            return self.external(value, value)
        if kind == "text":
            return self.text_html(record, *path)
        if kind == "roles":
            return self.parties(record)
        if kind == "object" and spec.definition == "quantity" and isinstance(value, dict):
            return self.quantity(record, path, value)
        if kind == "list":
            separator = "<br>" if spec.items.type == "object" else ", "
            return _safe(
                separator.join(
                    self._value_of(record, path + (index,), spec.items, item)
                    for index, item in enumerate(value)
                )
            )
        if kind == "boolean":
            return _h("yes" if value else "no")
        return _h(value)

    def optional(self, value: object, empty: str = NOT_RECORDED) -> Markup:
        """A plain field value, or `empty`; a list shows comma-separated (an item that is a
        claim object by its value)."""
        if value is None or value == [] or value == "":
            return _h(empty)
        if isinstance(value, list):
            return _h(
                ", ".join(
                    str(item.get("value") if isinstance(item, dict) else item) for item in value
                )
            )
        return _h(value)

    def optional_value(self, value: object, empty: str = NOT_RECORDED) -> Markup:
        """An enum value in readable form, or `empty`."""
        return _h(empty) if value is None else self.value(value)

    def values(self, values: list | None, empty: str = NOT_RECORDED) -> Markup:
        if not values:
            return _h(empty)
        return _h(", ".join(humanize(value) for value in values))

    # Relationships and quotes ------------------------------------------------------------

    def status(self, relationship: Record) -> Markup:
        """'<strong>cancelled</strong> (2019-03)': a relationship's current status and date."""
        status = relationship.current_status
        if status:
            date = self.date(relationship.current_status_date, "date not recorded")
            return _safe(f"<strong>{_human(status)}</strong> ({date})")
        return _h(NOT_RECORDED)

    def status_line(self, relationship: Record) -> Markup:
        """'cancelled (1 Dec 2017)[3]': the current status, its date, and the marks of the
        sources of that step of the history."""
        history = relationship.get("status_history") or []
        if not history:
            return _h(NOT_RECORDED)
        date = self.date(relationship.current_status_date, "date not recorded")
        cited = self.cite(history[-1].get("citations"))
        return _join(_human(history[-1]["status"]), " (", date, ")", cited)

    def relationship_line(self, relationship: Record, record: Record) -> Markup:
        """A relationship in one line on a page that lists it: its type, the other parties
        with their roles, and its current status ('carrier launch deal · carrier: AT&T ·
        cancelled (date not recorded)[3]'); the link to its page comes before."""
        parts = [_human(relationship.get("type"))]
        for role, ids in relationship.parties():
            others = [party for party in ids if party != record.id]
            if not others:
                continue
            also = "also " if record.id in ids else ""
            parts.append(_join(_h(f"{also}{humanize(role)}"), ": ", self.listing(others)))
        if relationship.get("products") and record.kind != "product":
            parts.append(_join("about ", self.listing(relationship.get("products"))))
        parts.append(self.status_line(relationship))
        return _join(*parts, sep=" · ")

    def parties(self, relationship: Record) -> Markup:
        """'FBI, CIA and NSA (issuer); Huawei and ZTE (target)': each party with its role."""
        return _join(
            *(
                _join(self.listing(ids), " (", _human(role), ")")
                for role, ids in relationship.parties()
            ),
            sep="; ",
        ) or _h(NOT_RECORDED)

    def listing(self, ids: list[str]) -> Markup:
        """Links to records in running text: 'A', 'A and B', 'A, B and C'."""
        links = [self.a(record_id) for record_id in ids]
        if len(links) <= 2:
            return _join(*links, sep=" and ")
        return _join(_join(*links[:-1], sep=", "), " and ", links[-1])

    def relationship_sentence(self, relationship: Record) -> Markup:
        """The relationship told by its type's sentence: 'FBI, CIA and NSA warning against
        Huawei and ZTE'. Empty for a type without one."""
        role_set = relationship.role_set
        if role_set is None:
            return _safe("")
        by_role = dict(relationship.parties())
        pieces = re.split(r"\{([a-z-]+)\}", role_set.sentence)
        out = []
        for index, piece in enumerate(pieces):
            if index % 2:
                out.append(self.listing(by_role.get(piece, [])))
            elif piece:
                out.append(_with_edge_spaces(piece, escape.html_text(piece)))
        return _join(*out)

    def said_link(self, quote: Record) -> Markup:
        """When a quote was said, linked to the quote's page."""
        return self.a(quote, self.shown(quote.date("said")) or "date not recorded")

    def speaker(self, quote: Record) -> Markup:
        """Who said a quote: 'Lei Jun', or 'Jane Doe, for Huawei' for a spokesperson."""
        speaker = self.a(quote.get("speaker"))
        if quote.get("on_behalf_of"):
            return _join(speaker, ", for ", self.a(quote.get("on_behalf_of")))
        return speaker

    def referenced_by(self, record: Record) -> list[tuple[str, list[Record]]]:
        """The records that refer to this one and that the page has not linked to yet, by how
        they refer to it, in words ('Maker of', 'Participant in', 'Mentioned in'): the same
        record is listed once on a page. A source's citations are its passages, not here.

        NOTE: call it after the page's other sections: it leaves out what they linked."""
        order = {phrase: index for index, phrase in enumerate(REFERENCE_PHRASES.values())}
        phrases: dict[str, tuple[str, Record]] = {}
        for backlink in record.backlinks:
            referrer = backlink.record
            if referrer.id in self.linked or referrer is record or "citations" in backlink.path:
                continue
            phrase = self._reference_phrase(backlink)
            known = phrases.get(referrer.id)
            # A record referring in several ways is listed once, by the first of them.
            if known is None or order.get(phrase, len(order)) < order.get(known[0], len(order)):
                phrases[referrer.id] = (phrase, referrer)
        groups: dict[str, list[Record]] = {}
        for phrase, referrer in phrases.values():
            groups.setdefault(phrase, []).append(referrer)
        self.linked.update(phrases)
        return sorted(groups.items(), key=lambda group: order.get(group[0], len(order)))

    def _reference_phrase(self, backlink) -> str:
        if backlink.in_text:
            return "Mentioned in"
        referrer, field_name = backlink.record, backlink.path[0]
        if field_name == "parties" and len(backlink.path) > 1:
            role = humanize(backlink.path[1])
            return "Target of" if role == "target" else f"{role.capitalize()} in"
        return REFERENCE_PHRASES.get((referrer.kind, field_name), "Referred to in")

    def sold_here(self, retailer: Record) -> list[tuple[Record, int, dict]]:
        """(product, index, sold_at entry) for every product sold by this retailer."""
        return [
            (product, index, place)
            for product in self.kb.referring(retailer, "product", "sold_at")
            for index, place in enumerate(product.get("sold_at", []))
            if place.get("retailer") == retailer.id
        ]

    def positions_at(self, organization: Record) -> list[tuple[Record, int, dict]]:
        """(person, index, position) for every position held at this organization."""
        return [
            (person, index, position)
            for person in self.kb.referring(organization, "person", "positions")
            for index, position in enumerate(person.get("positions", []))
            if position.get("organization") == organization.id
        ]

    def positions(self, person: Record) -> Markup:
        """'Chairman, Xiaomi; ...' for an index row."""
        items = []
        for position in person.get("positions", []):
            organization = self.kb.get(position.get("organization", ""))
            title = escape.html_text(position.get("title", ""))
            items.append(_join(title, self.a(organization), sep=", ") if organization else title)
        return _join(*items, sep="; ") if items else _h(NOT_RECORDED)

    def source_heading(self, source: Record) -> Markup:
        """A source's title for its page's Markdown heading; a supplied one in [brackets]."""
        title = source.label
        return _md(f"[{title}]" if source.get("title_supplied") else title)

    def passages(self, source: Record) -> list[tuple[str, dict, list[CitationUse]]]:
        """The passages of a source that records cite, each once with its stable anchor
        (`passage_anchor`, what notes on other pages link to) and the claims resting on it,
        in the source's order (by locator: paragraph 2 before paragraph 10), the citations
        of the source as a whole last."""
        groups: dict[str, tuple[str, dict, list[CitationUse]]] = {}
        for use in self.kb.citations_of_source.get(source.id, []):
            anchor = passage_anchor(use.citation)
            groups.setdefault(anchor, (anchor, use.citation, []))[2].append(use)
        return sorted(groups.values(), key=lambda group: _locator_order(group[1]))

    def passage(self, source: Record, citation: dict) -> Markup:
        """A passage as its source's page shows it: 'Paragraph 3: “words”', and how it reaches
        this source when it was read second-hand."""
        locator, excerpt = citation.get("locator"), citation.get("excerpt")
        pieces: list[object] = []
        if locator:
            pieces.append(_h(locator[:1].upper() + locator[1:]))
            if excerpt:
                pieces.append(":")
        if excerpt:
            pieces.append(self.quoted(excerpt) if locator else self.quoted(excerpt).lstrip())
        if not pieces:
            pieces.append("The source as a whole")
        via = citation.get("via")
        if via and citation.get("source") == source.id:
            pieces += [", as cited in ", self.source_title(self.kb[via])]
        elif via:
            pieces += [", reporting ", self.source_title(self.kb[citation["source"]])]
        return _join(*pieces)

    def cited_for(self, uses: list[CitationUse]) -> Markup:
        """The claims resting on a passage, by record: 'Huawei (the record; country), ZTE'."""
        by_record: dict[str, tuple[Record, list[str]]] = {}
        for use in uses:
            owner = use.path[:-2] if use.path[-2:-1] == ("citations",) else use.path
            where = self._where(use.record, owner)  # 'the record' for the record's own
            places = by_record.setdefault(use.record.id, (use.record, []))[1]
            if where not in places:
                places.append(where)
        out = []
        for record, places in by_record.values():
            link = self.a(record)
            out.append(
                link if places == ["the record"] else _join(link, " (", _h("; ".join(places)), ")")
            )
        return _join(*out, sep=", ")

    def relationship_groups(self, records: list[Record]) -> list[tuple[str, list[Record]]]:
        """Carrier relationships first, then the rest."""
        carrier = [r for r in records if r.get("type") in CARRIER_TYPES]
        other = [r for r in records if r.get("type") not in CARRIER_TYPES]
        groups = [("Carrier relationships", carrier), ("Other relationships", other)]
        return [(title, group) for title, group in groups if group]

    def quotes_by_speaker(self, quotes: list[Record]) -> list[tuple[Record, list[Record]]]:
        by_speaker: dict[str, list[Record]] = {}
        for quote in quotes:
            by_speaker.setdefault(quote.get("speaker"), []).append(quote)
        speakers = sorted((self.kb[s] for s in by_speaker), key=lambda r: r.sort_key)
        return [(speaker, sorted(by_speaker[speaker.id], key=date_order)) for speaker in speakers]

    def timeline_what(self, entry) -> Markup:
        """What a timeline line dates: 'Event: ban', 'Status: cancelled', 'Quote said'."""
        record = entry.record
        if entry.path == ("date",) and record.kind == "event":
            return _h(f"Event ({humanize(record.get('type'))})")
        if entry.path and entry.path[0] == "status_history":
            step = record.get("status_history")[entry.path[1]]
            return _h(f"Relationship status: {humanize(step['status'])}")
        if record.kind == "quote" and entry.path == ("said",):
            return _h("Quote said")
        if entry.path in (("announced",), ("released",)):
            return _h(humanize(entry.path[0]).capitalize())
        if len(entry.path) == 3 and entry.path[0] == "sold_at":
            retailer = self.kb.get(record.get("sold_at")[entry.path[1]].get("retailer", ""))
            return _join("On sale at ", self.a(retailer) if retailer else _h(NOT_RECORDED))
        if len(entry.path) == 3 and entry.path[0] == "positions":
            position = record.get("positions")[entry.path[1]]
            organization = self.kb.get(position.get("organization", ""))
            verb = "Starts as" if entry.path[2] == "from" else "Leaves as"
            return _join(
                _h(f"{verb} {position.get('title', '')} at"),
                self.a(organization) if organization else _h(NOT_RECORDED),
                sep=" ",
            )
        return _join(_h(record.schema.title), ": ", self.where(record, entry.path))

    # Where in a record ---------------------------------------------------------------------

    def where(self, record: Record, path: tuple) -> Markup:
        """A field path told for readers: 'status history, step 2 (cancelled)'."""
        return _h(self._where(record, path))

    def _where(self, record: Record, path: tuple) -> str:
        words = []
        # Through `get`, so that a page recording what it reads field by field sees the read.
        data: Any = {path[0]: record.get(path[0])} if path else record.data
        for step in path:
            if isinstance(step, int):
                item = data[step] if isinstance(data, list) and step < len(data) else None
                detail = ""
                if isinstance(item, dict):
                    if "status" in item:
                        detail = f" ({humanize(item['status'])})"
                    elif "retailer" in item or "organization" in item:
                        target = self.kb.get(item.get("retailer") or item.get("organization"))
                        detail = f" ({target.label})" if target else ""
                noun = "step" if words and words[-1] == "status history" else "item"
                words.append(f"{noun} {step + 1}{detail}")
                data = item
            else:
                words.append(humanize(step))
                data = data.get(step) if isinstance(data, dict) else None
        return ", ".join(words) if words else "the record"

    # Diagram -------------------------------------------------------------------------------

    def diagram(self, record: Record, edges: list[Edge] | None = None) -> Diagram | None:
        """The record's relationship map (None without neighbours): the records that act on it,
        those it acts on, and its partners, each as arrows whose edges share a label and a
        relationship grouped into one ("FBI, CIA, NSA -government warning (active)-> Huawei").
        Written as HTML by blocks/diagram.html.j2: links and text, no script."""
        edges = neighbour_edges(self.kb, record) if edges is None else edges
        if not edges:
            return None
        shown = edges[:DIAGRAM_EDGE_LIMIT]
        sides: dict[str, dict[tuple, Arrow]] = {"incoming": {}, "outgoing": {}, "partners": {}}
        for edge in shown:
            if not edge.directed:
                side, end = "partners", edge.right if edge.left is record else edge.left
            elif edge.right is record:
                side, end = "incoming", edge.left
            else:
                side, end = "outgoing", edge.right
            via = edge.via.id if edge.via else None
            arrow = sides[side].setdefault((edge.label, via), Arrow([], edge.label, edge.via))
            arrow.ends.append(end)
        return Diagram(
            record,
            *(list(arrows.values()) for arrows in sides.values()),
            shown=len(shown),
            found=len(edges),
        )

    # Sections and prose ------------------------------------------------------------------

    def section(self, title: str) -> Markup:
        """A section's Markdown heading (a fixed title: the table of contents and the phone's
        'On this page' line link to it by the id Python-Markdown's toc gives it)."""
        self._sections.append((title, toc_slug(title)))
        return _safe(f"## {title}")

    def sections(self) -> list[tuple[str, str]]:
        """(title, id) of the page's sections so far."""
        return list(self._sections)

    def prose(self, record: Record, name: str = "summary") -> Markup:
        """A text field as an HTML paragraph ([[links]] as links), with the marks of the
        record's sources when it is the record's summary or description."""
        text = self.text_html(record, name)
        if not text:
            return _safe("")
        cited = self.cite(record.get("citations")) if name in ("summary", "description") else ""
        return _join("<p>", text, cited, "</p>")

    def editorial_note(self, record: Record) -> Markup:
        """The record's editorial note, as an admonition (the theme's markup, as HTML)."""
        if not record.text("note"):
            return _safe("")
        return _join(
            '<div class="admonition note"><p class="admonition-title">Editorial note</p><p>',
            self.text_html(record, "note"),
            "</p></div>",
        )

    def in_date_order(self, records: Iterable[Record]) -> list[Record]:
        """Records in the order of their date (an event's, a quote's, a relationship's
        current status), undated last; a date open at the start ('until 2018') by its end."""
        return sorted(records, key=_reading_order)


class Edge(NamedTuple):
    """A connection of a record's diagram: from `left` to `right` (both ways unless
    `directed`), its label, and the relationship it stands for (`via`), if any."""

    left: Record
    label: str
    right: Record
    directed: bool = True
    via: Record | None = None


@dataclass
class Arrow:
    """One arrow of a record's diagram: the records at its other end, its label, and the
    relationship its label links to (None where the edge is a field of a record)."""

    ends: list[Record]
    label: str
    via: Record | None


@dataclass
class Diagram:
    """A record's diagram: the arrows pointing at the record, those leaving it, the partners'
    (both ways), and how many connections it shows of those found."""

    record: Record
    incoming: list[Arrow]
    outgoing: list[Arrow]
    partners: list[Arrow]
    shown: int
    found: int


def toc_slug(title: str) -> str:
    """The id Python-Markdown's toc extension gives a heading with this (fixed) title."""
    return _TOC_SLUG(title, "-")


def _reading_order(record: Record) -> tuple:
    date = record.date("date") or record.date("said") or record.current_status_date
    if date is None:
        return (1, dt.date.max, 0, record.sort_key)
    first = date.latest() if date.start is None else date.earliest()
    return (0, first, -(date.latest() - date.earliest()).days, record.sort_key)


_DIGITS = re.compile(r"(\d+)")


def _locator_order(citation: dict) -> tuple:
    """Citations in their source's order: by locator, its numbers as numbers; without one
    after, by excerpt; the source as a whole last."""
    locator, excerpt = citation.get("locator"), citation.get("excerpt")
    if not locator and not excerpt:
        return (2, (), "")
    words = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _DIGITS.split(locator or "")
        if part
    )
    return (0 if locator else 1, words, excerpt or "")


def neighbour_edges(kb: KnowledgeBase, record: Record) -> list[Edge]:
    """(from, label, to, directed) for a record's direct neighbours, from its fields and its
    backlinks (never by scanning other records), sorted and without duplicates.

    Relationships are drawn by their parties' roles: from the first role (who acts: the
    issuer of a warning) to the others, or as a plain line where the type is undirected (a
    carrier and a maker).
    """
    edges: dict[tuple[str, str, str], Edge] = {}

    def add(
        left: Record | None,
        label: str,
        right: Record | None,
        directed: bool = True,
        via: Record | None = None,
    ) -> None:
        if left is None or right is None or left is right:
            return
        edges.setdefault((left.id, label, right.id), Edge(left, label, right, directed, via))

    if record.kind == "organization":
        add(record, "part of", kb.get(record.get("parent") or ""))
        for relationship in kb.referring(record, "relationship", "parties"):
            status = relationship.current_status
            label = humanize(relationship.get("type")) + (f" ({status})" if status else "")
            directed = _directed(relationship)
            roles = relationship.parties()
            for index, (_, ids) in enumerate(roles):
                for other_index, (_, others) in enumerate(roles):
                    # An arrow runs from each party of the first role to each of the others.
                    if other_index <= index or (directed and index != 0):
                        continue
                    for left in ids:
                        for right in others:
                            if record.id in (left, right):
                                add(kb.get(left), label, kb.get(right), directed, relationship)
        for product in kb.referring(record, "product", "maker"):
            add(record, "makes", product)
        for product in kb.referring(record, "product", "sold_at"):
            add(record, "sells", product)
        for person in kb.referring(record, "person", "positions"):
            for position in person.get("positions", []):
                if position.get("organization") == record.id:
                    add(person, position.get("title", ""), record)
    elif record.kind == "person":
        for position in record.get("positions", []):
            add(record, position.get("title", ""), kb.get(position.get("organization", "")))
    elif record.kind == "product":
        add(kb.get(record.get("maker", "")), "makes", record)
        add(record, "version of", kb.get(record.get("variant_of") or ""))
        for place in record.get("sold_at", []):
            add(kb.get(place.get("retailer", "")), "sells", record)
    elif record.kind == "relationship":
        # The record sits between its parties: the first role's parties point at it, and it
        # points at the others ("FBI -issuer-> warning -target-> Huawei").
        directed = _directed(record)
        for index, (role, ids) in enumerate(record.parties()):
            for party in ids:
                if index == 0:
                    add(kb.get(party), humanize(role), record, directed)
                else:
                    add(record, humanize(role), kb.get(party), directed)
        for product in record.get("products", []):
            add(record, "about", kb.get(product))
    return sorted(edges.values(), key=lambda e: (e.left.sort_key, e.label, e.right.sort_key))


def _directed(relationship: Record) -> bool:
    role_set = relationship.role_set
    return role_set.directed if role_set else True


# The environment -------------------------------------------------------------------------


HTML_TEMPLATE_SUFFIX = ".html.j2"


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Any:
    """What a template may print (see the module docstring). In an HTML template, a string is
    made one line (escape.one_line) for autoescape to escape; in a Markdown template, a string
    no escape function produced is refused. Numbers and escaped values (`Markup`) print."""
    if isinstance(value, Markup) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return value
    html = (context.name or "").endswith(HTML_TEMPLATE_SUFFIX)
    if html and isinstance(value, str):
        return escape.one_line(value)
    where = "an HTML template" if html else "a Markdown template"
    raise TemplateUsageError(
        f"{context.name}: {where} printed {type(value).__name__} {str(value)[:60]!r} without "
        "escaping it; in Markdown, pass fact strings through the md filter or a p.* helper; "
        "print only text, numbers and p.* helpers' results"
    )


class _SearchPathLoader(jinja2.ChoiceLoader):
    """ChoiceLoader whose 'not found' error names every folder it looked in."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        super().__init__([jinja2.FileSystemLoader(str(folder)) for folder in folders])

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            looked = ", ".join(str(folder) for folder in self.folders)
            raise jinja2.TemplateNotFound(f"{template} (looked in: {looked})") from None


def make_environment(override_dir: Path | None) -> jinja2.Environment:
    """The Jinja environment: site overrides first, then the package's templates.

    Autoescape is on for every template: in an HTML template (`*.html.j2`) it escapes every
    fact string printed; in a Markdown template, where HTML escaping is the wrong escaping,
    `_finalize` refuses any string it would escape, so only values marked as escaped print."""
    folders = [override_dir] if override_dir is not None and override_dir.is_dir() else []
    folders.append(PACKAGE_TEMPLATES)
    env = jinja2.Environment(
        loader=_SearchPathLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(md=_md, front_matter=lambda value: _safe(escape.front_matter(value)))
    env.globals["GENERATED_HTML_BLOCKS"] = _safe(escape.GENERATED_HTML_BLOCKS)
    return env


# Page kinds ------------------------------------------------------------------------------

Page = tuple[str, str]


# Quotation marks an excerpt may open with: straight, curly, low-9, guillemets.
OPENING_QUOTE_MARKS = frozenset("\"“„«'‘")


def date_sort_key(date: PartialDate | None) -> str:
    """The text a sortable table orders a date cell by: the first day it could mean, then the
    wider span first (as the timeline orders them); dates not recorded after every date."""
    if date is None:
        return "zzzz"
    span = min((date.latest() - date.earliest()).days, 9_999_999)
    if date.start is None:  # open at the start ('until 2018'): by the end, as sort_key does
        return f"{date.earliest().isoformat()}-{span:07d}"
    return f"{date.earliest().isoformat()}-{9_999_999 - span:07d}"


def _front(title: str, description: str, record: Record | None = None) -> dict:
    values: dict[str, Any] = {"title": title, "description": description}
    if record is not None:
        # What search reads (overrides/main.html turns these into Pagefind's attributes): a
        # record page is indexed, labelled and filtered by its kind, its aliases weighted as
        # its name is.
        values["kind"] = record.schema.title
        aliases = record.get("aliases") or []
        if aliases:
            # An alias may be a claim ({value: ..., citations: ...}): its value is the name.
            values["aliases"] = [a.get("value") if isinstance(a, dict) else a for a in aliases]
    return values


def _describe(site: Site, record: Record) -> str:
    for name in ("summary", "description", "context"):
        text = site.kb.plain_text(record.text(name))
        if text:
            return text
    if record.kind == "quote":
        speaker = site.kb.get(record.get("speaker", ""))
        return f"{record.get('text')} ({speaker.label if speaker else 'unknown speaker'})"
    return f"{record.schema.title}: {record.label}"


def render_record_pages(site: Site, records: Iterable[Record] | None = None) -> Iterator[Page]:
    """One page per record, every kind, at <plural>/<id>.md (or only for `records`: a build
    after an edit renders just the pages it can change, see after_edit.py)."""
    if records is None:
        records = (record for kind in KIND_ORDER for record in site.kb.by_kind.get(kind, []))
    for record in records:
        front = _front(record.label, _describe(site, record), record)
        # Where the record's facts are (the theme's "Edit" link, when mkdocs.yml names the
        # repository) and when git last saw them change.
        front["fact_file"] = record.fact_path
        if front["fact_file"] in site.last_changed:
            front["updated"] = site.last_changed[front["fact_file"]]
        edges = neighbour_edges(site.kb, record)
        yield (
            record.page,
            site.render(
                f"{record.kind}.md.j2", record.page, record=record, front=front, edges=edges
            ),
        )


def render_kind_indexes(site: Site, kinds: Iterable[str] | None = None) -> Iterator[Page]:
    """One index per kind, at <plural>/index.md (a table, sorted as the model sorts); or only
    the indexes of `kinds`."""
    for kind in KIND_ORDER if kinds is None else kinds:
        schema = site.kb.schemas.kinds[kind]
        path = f"{schema.plural}/index.md"
        records = site.kb.by_kind.get(kind, [])
        if kind == "event":
            records = sorted(records, key=date_order)
        title = INDEX_TITLES.get(kind, schema.plural.capitalize())
        front = _front(title, schema.description)
        yield (
            path,
            site.render(
                f"index_{kind}.md.j2",
                path,
                schema=schema,
                records=records,
                front=front,
                title=title,
            ),
        )


def render_timeline(site: Site) -> Iterator[Page]:
    """Everything dated, in date order, grouped by year."""
    path = "timeline.md"
    # Dates open at the start ("until 2018") have no year to file them under: they come first,
    # in a group of their own ordered by their end. The rest keep the model's order, by year.
    open_start = [entry for entry in site.kb.timeline if entry.date.start is None]
    open_start.sort(key=lambda entry: (entry.date.latest(), entry.record.sort_key, entry.path))
    groups: list[tuple[str, list]] = [("Before a date", open_start)] if open_start else []
    for entry in site.kb.timeline:
        if entry.date.start is None:
            continue
        heading = str(entry.date.start.year)
        if not groups or groups[-1][0] != heading:
            groups.append((heading, []))
        groups[-1][1].append(entry)
    front = _front("Timeline", "Everything in the knowledge base that has a date, in order.")
    yield path, site.render("timeline.md.j2", path, groups=groups, front=front)


HOME_PAGE = "index.md"


def render_home(site: Site) -> Iterator[Page]:
    """The home page: content/index.md, the knowledge base's introduction if it has one,
    around the ways in the model gives (see home.py)."""
    front: Markup | None = None
    intro: Markup | None = None
    rest = _safe("")
    written = site.carried.get(HOME_PAGE)
    if written is not None:
        try:
            text = written.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BuildError(f"content/{HOME_PAGE}: not UTF-8 text ({error.reason})") from None
        block, intro_text, rest_text = home.split_home_text(text)
        # The maintainers' Markdown, published as they wrote it, as every page of content/ is.
        front = _safe(block) if block else None
        intro, rest = _safe(intro_text.strip("\n")), _safe(rest_text.strip("\n"))
    if front is None:
        front = _safe(escape.front_matter(_front("Home", "The knowledge base's home page.")))
    yield (
        HOME_PAGE,
        site.render(
            "home.md.j2",
            HOME_PAGE,
            front_block=front,
            intro=intro,
            rest=rest,
            kinds=home.kind_counts(site.kb, KIND_ORDER),
            events=home.latest_events(site.kb),
            event_count=len(site.kb.by_kind.get("event", [])),
            referenced=home.most_referenced(site.kb),
        ),
    )


def render_fallback_pages(site: Site) -> Iterator[Page]:
    """The pages the nav names that the knowledge base did not supply: the contributing pages
    (CONTRIBUTING.md and the schema reference are written elsewhere)."""
    fallbacks = [
        ("contributing/index.md", "contributing.md.j2", "Contributing"),
        ("contributing/schema-reference.md", "schema_reference.md.j2", "Schema reference"),
        ("data.md", "data.md.j2", "Data"),
    ]
    for path, template, title in fallbacks:
        if path not in site.carried:
            front = _front(title, f"{title} of this knowledge base.")
            yield path, site.render(template, path, front=front, schemas=site.kb.schemas)


# NOTE: order is the order pages render in; it matters only for error messages, since every
# page kind reads the finished model and none reads another's output.
PAGE_KINDS: list[tuple[str, Callable[[Site], Iterable[Page]]]] = [
    ("records", render_record_pages),
    ("indexes", render_kind_indexes),
    ("timeline", render_timeline),
    ("home", render_home),
    ("fallbacks", render_fallback_pages),
]


class DuplicatePageError(Exception):
    """Two page kinds (or a page kind and content/) produced the same path."""


def render_pages(
    kb: KnowledgeBase,
    override_dir: Path | None = None,
    carried: Mapping[str, bytes] | None = None,
    env: jinja2.Environment | None = None,
    last_changed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every generated page, by path in the build folder. `carried` are the pages content/
    supplies: a generated page may not take one, but the home page, which renders
    content/index.md into itself. `last_changed`: the date each fact file last changed, by
    its path (facts/...), from git; a record page says it."""
    carried = carried or {}
    site = Site(
        kb=kb,
        env=env or make_environment(override_dir),
        carried=carried,
        last_changed=last_changed or {},
    )
    pages: dict[str, str] = {}
    for kind_name, page_kind in PAGE_KINDS:
        for path, text in page_kind(site):
            if path in pages or (path in carried and path != HOME_PAGE):
                where = "content/" if path in carried else "another page kind"
                raise DuplicatePageError(
                    f"page kind '{kind_name}' renders {path}, which {where} already supplies"
                )
            pages[path] = text
    return pages
