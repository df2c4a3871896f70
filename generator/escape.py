"""Turning fact strings into Markdown that shows them as text, wherever they land.

Markdown passes raw HTML through, and Python-Markdown's extensions give meaning to many more
characters (tables split on `|`, attr_list reads `{: ...}`, footnotes read `[^1]`). Reviewers
read YAML, not the HTML it becomes, so every string from a fact goes through one of these
functions on its way into a page, and none of them lets markup through:

- `md_text`       inline text (paragraphs, headings, link text, list items, footnotes)
- `md_cell`       a table cell (also no line breaks, no pipes)
- `md_link`       a link whose text is fact data and whose target we made or validated
- `html_attr`     a value inside an HTML attribute we write ourselves
- `mermaid_label` a node or edge label inside a Mermaid diagram
- `front_matter`  the YAML front matter block of a page

The technique is the same throughout: every ASCII punctuation character that Markdown, HTML or an
enabled extension could read as syntax becomes a numeric character reference (`*` -> `&#42;`).
Python-Markdown leaves character references alone, browsers show them as the character, and the
search index (built from the HTML) holds the plain text again. Escaping everything rather than
"what is dangerous today" means a newly enabled extension cannot turn old data into markup.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import quote

# Punctuation kept as is: it has no meaning in Markdown, HTML or our extensions mid-text, and
# escaping it would make the Markdown unreadable for no gain. Everything else is referenced.
_KEEP = set(" ,;?'/%@$")
_SPECIAL = {
    ch for ch in map(chr, range(0x21, 0x7F)) if not ch.isalnum() and ch not in _KEEP
}
_SPECIAL |= {"\u00a0"}  # non-breaking space: kept visible but never read as indentation


def _reference(ch: str) -> str:
    return f"&#{ord(ch)};"


def _clean(text: str) -> str:
    """Drop characters that have no business on a page (controls; bidi and zero-width marks
    are rejected by validation already, this is a second line of defence)."""
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf"}
    )


def md_text(text: object) -> str:
    """Inline Markdown showing `text` literally. Line breaks become spaces."""
    cleaned = " ".join(_clean(str(text)).split())
    return "".join(_reference(ch) if ch in _SPECIAL else ch for ch in cleaned)


def md_paragraphs(text: object) -> str:
    """Multi-line text (a quote, an excerpt) as Markdown paragraphs, each escaped like md_text."""
    blocks = re.split(r"\n\s*\n", _clean(str(text)).strip())
    return "\n\n".join(md_text(block) for block in blocks if block.strip())


def md_cell(text: object) -> str:
    """A table cell: one line, pipes referenced (md_text already does both)."""
    return md_text(text) or "&nbsp;"


def md_url(url: str) -> str:
    """A link target: percent-encode what could end or break a Markdown link destination."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def md_link(label: object, url: str, title: str | None = None) -> str:
    """`[label](url)`: label escaped as text; url must be one we built or validated."""
    target = md_url(url)
    if title:
        return f'[{md_text(label)}](<{target}> "{html_attr(title)}")'
    return f"[{md_text(label)}](<{target}>)"


def html_text(text: object) -> str:
    """Text inside HTML we write ourselves (no Markdown processing inside raw HTML blocks)."""
    return md_text(text)


def html_attr(text: object) -> str:
    """A value for an HTML attribute in double quotes."""
    return md_text(text)


def mermaid_label(text: object) -> str:
    """A label inside a quoted Mermaid label ("..."): Mermaid's own #NN; codes, no markup."""
    cleaned = " ".join(_clean(str(text)).split())
    return "".join(
        f"#{ord(ch)};" if (not ch.isalnum() and ch != " ") else ch for ch in cleaned
    )


def mermaid_id(record_id: str) -> str:
    """A Mermaid node id for a record id (ids are slugs: letters, digits and hyphens)."""
    return "n_" + re.sub(r"[^a-z0-9]", "_", record_id)


def front_matter(values: dict) -> str:
    """A YAML front matter block. JSON is YAML, and json.dumps quotes every string, so no value
    can end the block or add keys."""
    lines = ["---"]
    for key, value in values.items():
        if not re.fullmatch(r"[a-z_]+", key):
            raise ValueError(f"front matter key {key!r} is not a plain name")
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=True)}")
    lines.append("---")
    return "\n".join(lines) + "\n"
