"""A knowledge base whose every string field is an attack, and a scanner for what it became.

Shared by tests/test_hostile_render.py (the built HTML and search index, parsed), the fuzz
tests and tests/browser/test_hostile_browser.py (the same site in Chromium).

Every record of every kind is here, linked to each other so that each string shows up on
several pages (its record's page, the indexes, the timeline, other records' lists, footnotes,
diagrams). Each payload that could run script sets `window.__pwned`, so a browser test can
tell whether any of it ran. Only valid data is used: characters the validator refuses
(bidi overrides, zero-width and control characters) are tested in tests/hostile/ instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# One-line payloads, for fields that must be one line (names, titles, locators, ...).
PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=1;alert(1)">',
    "[click me](javascript:window.__pwned=1)",
    "![pixel](https://evil.example/pixel.png)",
    '<a href="javascript:window.__pwned=1">link</a>',
    "<https://evil.example/autolink>",
    "{{ 7 * 7 }} {% raw %}{{ config }}{% endraw %} {# hidden #}",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62; &amp;amp;",
    '{: onclick="window.__pwned=1" }',
    "[^1] and [^1]: a footnote of our own",
    '"]; click A callback "javascript:window.__pwned=1"; A["',
    "| pipe | in | cells |",
    "`code` and ``more code``",
    "*emphasis* **strong** _under_ \\*escaped\\*",
    '<svg onload="window.__pwned=1"><iframe src="javascript:window.__pwned=1"></iframe>',
    "<style>body{display:none}</style><!-- unclosed comment",
    '<div markdown="1">*markdown inside html*</div>',
    "# not a heading > not a quote - not a list",
    '!!! danger "not an admonition"',
    "https://evil.example/bare-url",
]

# A multi-line payload for the fields that may hold several lines (summaries, notes, quotes,
# excerpts): block-level Markdown and front matter only work at the start of a line.
BLOCK_PAYLOAD = "\n".join(
    [
        "<script>window.__pwned=1;alert(1)</script>",
        "---",
        "title: pwned",
        "---",
        '# Heading <img src=x onerror="window.__pwned=1;alert(1)">',
        "[ref]: javascript:window.__pwned=1",
        "| col | col |",
        "|-----|-----|",
        "| <b>cell</b> | `code` |",
        "",
        '!!! danger "admonition"',
        '    indented <iframe src="javascript:window.__pwned=1"></iframe>',
        "",
        "```",
        "fenced code",
        "```",
        "",
        '<div markdown="1">',
        "*markdown in html*",
        "</div>",
        "",
        '> quoted <svg onload="window.__pwned=1">',
        "- list item {{ 7 * 7 }} {% raw %}",
        "1. numbered &lt;b&gt; &#60;i&#62;",
        "    indented code block",
        '{: onclick="window.__pwned=1" }',
        "[^x]: footnote definition",
        '"]; click A callback "javascript:window.__pwned=1"; A["',
    ]
)

# Markers that only the payloads contain: no page of a safe site holds them in script or in
# an attribute.
MARKERS = ("__pwned", "alert(1)", "evil.example")


def one_line(index: int, where: str) -> str:
    """The index-th payload, tagged with the field it is in (names must be unique)."""
    return f"{where} {PAYLOADS[index % len(PAYLOADS)]}"


def block(where: str) -> str:
    return f"{where}\n{BLOCK_PAYLOAD}"


def _yaml(value: object, indent: int = 0) -> str:
    """Plain data as YAML: mappings and lists in block style, every string JSON-quoted (JSON
    strings are YAML double-quoted scalars, so no payload can change the structure)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:\n{_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {_yaml(item)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict):
                inner = _yaml(item, indent + 1).lstrip()
                lines.append(f"{pad}- {inner}")
            else:
                lines.append(f"{pad}- {_yaml(item)}")
        return "\n".join(lines)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _citation(where: str, index: int) -> dict:
    return {
        "source": "hostile-source",
        "excerpt": block(f"{where} excerpt"),
        "locator": one_line(index, f"{where} locator"),
    }


def hostile_records() -> dict[str, dict]:
    """'<plural>/<id>' -> data for every record of the hostile knowledge base."""
    records = {
        "sources/hostile-source": {
            "title": one_line(0, "source title"),
            "kind": "news-article",
            "publisher": "hostile-org",
            "author": [one_line(1, "source author"), one_line(2, "source author")],
            "published": "2018-03",
            # Valid URLs (http(s), a host) that still carry characters an attribute must hold.
            "url": "https://example.com/report?q='onmouseover='x&lang=en#top",
            "archive_url": "https://web.archive.org/web/2018/https://example.com/report",
            "summary": block("source summary"),
            "note": block("source note"),
        },
        "organizations/hostile-org": {
            "name": one_line(0, "organization name"),
            "aliases": [one_line(i, "organization alias") for i in range(1, len(PAYLOADS))],
            "roles": ["manufacturer", "news-publisher"],
            "country": one_line(6, "organization country"),
            "summary": block("organization summary")
            + '\nSee [[hostile-person|<img src=x onerror="window.__pwned=1">]].',
            "note": block("organization note"),
            "citations": [_citation("organization", 2)],
        },
        "organizations/hostile-carrier": {
            "name": one_line(1, "carrier name"),
            "roles": ["carrier", "retailer"],
            "country": one_line(7, "carrier country"),
            "summary": block("carrier summary"),
            "citations": [_citation("carrier", 3)],
        },
        "people/hostile-person": {
            "name": one_line(2, "person name"),
            "aliases": [one_line(3, "person alias"), one_line(4, "person alias")],
            "positions": [
                {"organization": "hostile-org", "title": one_line(5, "position title")},
            ],
            "summary": block("person summary"),
            "note": block("person note"),
            "citations": [_citation("person", 4)],
        },
        "products/hostile-phone": {
            "name": one_line(3, "product name"),
            "aliases": [one_line(8, "product alias")],
            "maker": "hostile-org",
            "category": "smartphone",
            "announced": "2018-01",
            "sold_at": [
                {
                    "retailer": "hostile-carrier",
                    "market": one_line(9, "sold at market"),
                    "channel": "online",
                    "since": "2018-02",
                    "citations": [_citation("sold at", 5)],
                }
            ],
            "summary": block("product summary"),
            "note": block("product note"),
            "citations": [_citation("product", 6)],
        },
        "quotes/hostile-quote": {
            "text": block("quote text"),
            "speaker": "hostile-person",
            "said": "2018-02",
            "context": block("quote context"),
            "about": ["hostile-org", "hostile-phone"],
            "note": block("quote note"),
            "citations": [_citation("quote", 7)],
        },
        "relationships/hostile-deal": {
            "title": one_line(10, "relationship title"),
            "type": "carrier-launch-deal",
            "parties": {"carrier": "hostile-carrier", "maker": "hostile-org"},
            "products": ["hostile-phone"],
            "status_history": [
                {
                    "status": "announced",
                    "date": "2018-01",
                    "note": block("status note 1"),
                    "citations": [_citation("status 1", 8)],
                },
                {
                    "status": "cancelled",
                    "date": "2018-02",
                    "note": block("status note 2"),
                    "citations": [_citation("status 2", 9)],
                },
            ],
            "summary": block("relationship summary"),
            "note": block("relationship note"),
            "citations": [_citation("relationship", 10)],
        },
        "events/hostile-event": {
            "title": one_line(11, "event title"),
            "type": "cancellation",
            "date": "2018-02",
            "participants": ["hostile-org", "hostile-carrier", "hostile-person"],
            "products": ["hostile-phone"],
            "description": block("event description"),
            "note": block("event note"),
            "citations": [_citation("event", 11)],
        },
    }
    return records


def write_hostile_facts(facts_dir: Path) -> Path:
    """Write the hostile knowledge base's fact files into `facts_dir` (created)."""
    for name, data in hostile_records().items():
        path = facts_dir / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_yaml(data) + "\n", encoding="utf-8")
    return facts_dir


def hostile_strings() -> list[tuple[str, str, str]]:
    """(record page path, field path, string) for every payload-carrying string in the hostile
    facts (ids, enum values and dates are left out: they are not shown as written)."""
    found: list[tuple[str, str, str]] = []

    def walk(page: str, value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(page, item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(page, item, f"{path}[{index}]")
        elif isinstance(value, str) and ("\n" in value or any(p in value for p in PAYLOADS)):
            found.append((page, path, value))

    for name, data in hostile_records().items():
        walk(name, data, "")
    return found


def normalize_space(text: str) -> str:
    return " ".join(text.split())


_LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")


def shown_lines(value: str) -> list[str]:
    """The lines of a fact string as a reader sees them: [[id|label]] shows its label, runs of
    white space are one space (Markdown joins lines)."""
    shown = _LINK.sub(lambda match: match.group(2) or match.group(1), value)
    return [normalize_space(line) for line in shown.split("\n") if line.strip()]


# --- What a page became -----------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "xlink:href",
    "cite",
    "longdesc",
    "ping",
}
# Elements the theme never writes into a page's content and the generator never asks for.
FOREIGN_ELEMENTS = {"img", "iframe", "object", "embed", "frame", "frameset", "base", "applet"}
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
_RAW_TEXT = {"script", "style"}


JSON_LD_TYPE = "application/ld+json"


def json_ld_problems(text: str) -> list[str]:
    """A JSON-LD script may hold the data's words, as JSON that no character of can end the
    script or start markup (render/json_ld.py writes <, > and & as \\u escapes)."""
    if any(char in text for char in "<>&"):
        return [f"JSON-LD with a raw <, > or &: {text[:80]!r}"]
    try:
        value = json.loads(text)
    except ValueError:
        return [f"JSON-LD that is not JSON: {text[:80]!r}"]
    if not isinstance(value, dict) or value.get("@context") != "https://schema.org":
        return [f"JSON-LD without the schema.org context: {text[:80]!r}"]
    return []


@dataclass
class ScriptElement:
    attrs: dict[str, str | None]
    text: str = ""


@dataclass
class PageScan:
    """What html.parser found in one page (or one HTML fragment)."""

    scripts: list[ScriptElement] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    event_handlers: list[str] = field(default_factory=list)  # "tag onclick=..."
    dangerous_urls: list[str] = field(default_factory=list)  # "tag href=javascript:..."
    foreign_elements: list[str] = field(default_factory=list)
    marked_attributes: list[str] = field(default_factory=list)  # URLs or styles with a MARKER
    text_parts: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def text(self) -> str:
        return normalize_space("".join(self.text_parts))

    def problems(self, allowed_script_sources: tuple[str, ...] = ()) -> list[str]:
        """Everything that shows data became markup; empty for a safe page."""
        found = [f"event handler: {item}" for item in self.event_handlers]
        found += [f"dangerous URL: {item}" for item in self.dangerous_urls]
        found += [f"element from the data: <{tag}>" for tag in self.foreign_elements]
        found += [f"payload in an attribute: {item}" for item in self.marked_attributes]
        for script in self.scripts:
            source = script.attrs.get("src")
            if source is not None and not any(part in source for part in allowed_script_sources):
                found.append(f"script from elsewhere: {source}")
            if script.attrs.get("type") == JSON_LD_TYPE:
                found += json_ld_problems(script.text)
            elif any(marker in script.text for marker in MARKERS):
                found.append(f"script from the data: {script.text[:80]!r}")
        for style in self.styles:
            if "display:none" in style.replace(" ", ""):
                found.append(f"style from the data: {style[:80]!r}")
        return found


class PageScanner(HTMLParser):
    """Collects scripts, event handlers, URL attributes, foreign elements and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._raw: str | None = None  # inside <script> or <style>
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag in _RAW_TEXT:
            self._raw = tag
            if tag == "script":
                self.scan.scripts.append(ScriptElement(attrs=dict(attrs)))
            else:
                self.scan.styles.append("")
        elif tag == "title":
            self._in_title = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._raw == "script":
            self.scan.scripts[-1].text += data
        elif self._raw == "style":
            self.scan.styles[-1] += data
        else:
            self.scan.text_parts.append(data)
            if self._in_title:
                self.scan.title += data

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FOREIGN_ELEMENTS:
            self.scan.foreign_elements.append(tag)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.scan.event_handlers.append(f"<{tag} {name}={value[:60]!r}>")
            if name in URL_ATTRIBUTES:
                squeezed = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
                if squeezed.lower().startswith(DANGEROUS_SCHEMES):
                    self.scan.dangerous_urls.append(f"<{tag} {name}={value[:60]!r}>")
            # Payload text in a content attribute (a meta description) is fine, escaped; in a
            # URL or a style it means the data chose where a link goes or how the page looks.
            # (Heading anchors, `#...`, are slugs of the text and point nowhere else.)
            if (
                (name in URL_ATTRIBUTES or name == "style")
                and not value.startswith("#")
                and any(marker in value for marker in MARKERS)
            ):
                self.scan.marked_attributes.append(f"<{tag} {name}={value[:80]!r}>")


def scan_html(html: str) -> PageScan:
    scanner = PageScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.scan
