"""Turning fact strings into text that shows as text, wherever it lands on a page.

A page is Markdown with blocks of HTML in it. The structured parts (tables, lists, quotes, notes)
are HTML written by Jinja templates, whose autoescape escapes every fact string; Python-Markdown
passes those blocks through untouched. The prose (summaries, notes, context) is Markdown, and
Markdown passes raw HTML through while its extensions give meaning to many more characters
(tables split on `|`, footnotes read `[^1]`). Reviewers read YAML, not the HTML it becomes, so
every string from a fact goes through one of these functions (or autoescape) on its way into a
page, and none of them lets markup through:

- `md_text`       inline Markdown text (paragraphs, headings, link text)
- `md_cell`       a Markdown table cell (also no line breaks, no pipes; `kb diff` writes tables)
- `md_link`       a Markdown link whose text is fact data and whose target we made or validated
- `one_line`      text for HTML, before autoescape: one line, no control characters
- `html_text`     the same, HTML-escaped (for HTML built in Python)
- `html_url`      a link target for an `href`: a validated web URL, never `javascript:`
- `front_matter`  the YAML front matter block of a page (its strings through `html_escape`)

NOTE: front matter is the exception to the technique below. The theme prints `title` and
`description` from it into the page's HTML *without escaping* (Material's base.html and
header.html: `<title>`, `<meta name="description" content="...">`, the header's topic), so
front matter strings are HTML-escaped instead, which those places show as the text it was.

NOTE: HTML text is kept on one line (`one_line`) so that no fact string starts a line of a page:
Python-Markdown's preprocessors (pymdownx.superfences' fences) read lines before the HTML blocks
are set aside, and a line of a quote starting with ``` would otherwise open a code block.

The Markdown technique is the same throughout: every ASCII punctuation character that Markdown,
HTML or an enabled extension could read as syntax becomes a numeric character reference (`*` ->
`&#X2A;`). Python-Markdown leaves character references alone, browsers show them as the
character, and the search index (built from the HTML) holds the plain text again. Escaping
everything rather than "what is dangerous today" means a newly enabled extension cannot turn
old data into markup.

NOTE: the references are hexadecimal with a capital X on purpose, so that the work stays linear.
Python-Markdown's entity pattern matches `&#42;` and `&#x2a;` (not `&#X2A;`) and stashes each
match, rebuilding the whole text around it: quadratic in the references of one text (a 200 KB
quote of `&<&` took over a minute). No inline pattern matches `&#X2A;`, and the HTML serializer
passes it through as the reference it is (its own test for references ignores case), so an
escaped text costs Python-Markdown one pass. Were either to change, the output stays safe (a
stashed reference, or `&#X2A;` shown as text), and tests/test_hostile_render.py fails on either.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import quote

import markupsafe

# Punctuation kept as is: it has no meaning in Markdown, HTML or our extensions mid-text, and
# escaping it would make the Markdown unreadable for no gain. Everything else is referenced.
_KEEP = set(" ,;?'/%@$")
_SPECIAL = {ch for ch in map(chr, range(0x21, 0x7F)) if not ch.isalnum() and ch not in _KEEP}
_SPECIAL |= {"\u00a0"}  # non-breaking space: kept visible but never read as indentation


def _reference(ch: str) -> str:
    return f"&#X{ord(ch):X};"


# The same, as a pattern and each character's reference. Not str.translate with a table:
# with references (strings) for values it goes character by character through the table, 0.1
# microsecond each, while a pattern finds the few specials of a text at C speed (rendering
# spends much of its time here).
_SPECIAL_PATTERN = re.compile("[" + re.escape("".join(sorted(_SPECIAL))) + "]")
_REFERENCE_OF = {ch: _reference(ch) for ch in _SPECIAL}


def _referenced(match: re.Match) -> str:
    return _REFERENCE_OF[match[0]]


# Characters with no business on a page: controls, invisible format characters (bidi
# overrides, zero-width marks), lone surrogates (they cannot even be written as UTF-8).
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}
_BREAKS_AS_SPACES = {ord("\n"): " ", ord("\t"): " "}


def _clean(text: str) -> str:
    """Drop characters that have no business on a page. Validation rejects them already (see
    validate.check_characters); this is the second line of defence."""
    # The common cases, checked at C speed: a printable string holds no character of the
    # "Other" categories (nor any separator but the space), so none to drop; nor does one that
    # is printable once its line breaks and tabs (which stay) are read as spaces.
    if text.isprintable() or text.translate(_BREAKS_AS_SPACES).isprintable():
        return text
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )


def md_text(text: object) -> str:
    """Inline Markdown showing `text` literally. Line breaks become spaces."""
    cleaned = " ".join(_clean(str(text)).split())
    return _SPECIAL_PATTERN.sub(_referenced, cleaned)


def paragraphs(text: object) -> list[str]:
    """Multi-line text (a quote) as its paragraphs, each `one_line`, for HTML `<p>` elements."""
    blocks = re.split(r"\n\s*\n", _clean(str(text)).strip())
    return [one_line(block) for block in blocks if block.strip()]


def md_cell(text: object) -> str:
    """A table cell: one line, pipes referenced (md_text already does both)."""
    return md_text(text) or "&nbsp;"


_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"
# A URL made only of characters `quote` leaves as they are (ASCII letters and digits, and
# _URL_SAFE): most targets (our own relative links) are, and need not go through `quote`.
_URL_UNCHANGED = re.compile(r"[A-Za-z0-9:/?#\[\]@!$&'*+,;=%~\-._]*")


def md_url(url: str) -> str:
    """A link target: percent-encode what could end or break a Markdown link destination."""
    if _URL_UNCHANGED.fullmatch(url):
        return url
    return quote(url, safe=_URL_SAFE)


def md_link(label: object, url: str) -> str:
    """`[label](url)`: label escaped as text; url must be one we built or validated."""
    return f"[{md_text(label)}](<{md_url(url)}>)"


def one_line(text: object) -> str:
    """Text for an HTML block: characters with no business on a page dropped, every run of
    white space one space (see the module docstring). Autoescape escapes the result."""
    return " ".join(_clean(str(text)).split())


def html_text(text: object) -> str:
    """`one_line`, HTML-escaped: text for HTML built in Python. Quotes are escaped too, so the
    result is safe in an attribute value as well."""
    return str(markupsafe.escape(one_line(text)))


_WEB_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)


def html_url(url: str) -> str | None:
    """A URL from the facts as an `href` (still to be HTML-escaped): only http and https URLs
    (validation allows no others; this is the second line of defence), None for anything else."""
    cleaned = _clean(url).strip()
    if not _WEB_URL.fullmatch(cleaned):
        return None
    return quote(cleaned, safe=_URL_SAFE)


def html_escape(text: str) -> str:
    """Text for HTML that something else prints unescaped (see front_matter). The apostrophe
    stays: the theme puts these values in double-quoted attributes or element text only."""
    return (
        _clean(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _front_matter_value(value: object) -> object:
    if isinstance(value, str):
        return html_escape(value)
    if isinstance(value, dict):
        return {key: _front_matter_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_front_matter_value(item) for item in value]
    return value


class FrontMatterError(ValueError):
    """A front matter block that mkdocs would not read back as the values it was made from."""


def yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted scalar that every YAML reader (libyaml, which mkdocs
    reads front matter with, and PyYAML) reads back as exactly `text`.

    NOTE: not json.dumps: JSON writes a character outside the Basic Multilingual Plane (an
    emoji) as a surrogate pair, `\\ud83d\\udcf1`, which YAML does not accept. Here printable
    characters are written as themselves and every other one as YAML's own escape (`\\x85`,
    `\\u2028`, `\\U000e0001`), so nothing in the text is a line break, a byte-order mark or a
    character a reader refuses. A lone surrogate is no character (no UTF-8 file and no YAML
    escape holds one): FrontMatterError."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return '"' + "".join(map(_yaml_character, text)) + '"'


def _yaml_character(ch: str) -> str:
    if ch == '"' or ch == "\\":
        return "\\" + ch
    if ch.isprintable():
        return ch
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        raise FrontMatterError(f"U+{code:04X} is half of a surrogate pair, not a character")
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _yaml_value(value: object) -> str:
    """A front matter value in YAML's flow style: strings by yaml_string; numbers, booleans
    and null as JSON writes them (the same in YAML)."""
    if isinstance(value, str):
        return yaml_string(value)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise FrontMatterError(f"front matter key {key!r} is not text")
        items = (f"{yaml_string(key)}: {_yaml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(_yaml_value, value)) + "]"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value, allow_nan=False)
    raise FrontMatterError(f"front matter value {value!r} is not text, a number or a list")


# The line under the front matter of a page the generator writes entirely: its HTML blocks are
# the templates' and may be set aside unparsed (publish/html_blocks.py, which says why).
# Without that extension it is an HTML comment, and the page is the same.
GENERATED_HTML_BLOCKS = "<!-- kb: generated HTML blocks -->"


def front_matter(values: dict) -> str:
    """A YAML front matter block. Every string is double-quoted (yaml_string), so no value
    can end the block or add keys. Strings are HTML-escaped, because the theme prints `title`
    and `description` into the page's HTML as they are (see the module docstring): a title
    `</title><script>` would otherwise be a script on the page.

    The block is read back with mkdocs' own front matter reader, and must give exactly the
    values written: a block mkdocs could not read would be dropped, and the page would show
    it as text (where `[x](javascript:...)` is a live link). FrontMatterError, never a page,
    if it does not."""
    lines = ["---"]
    for key, value in values.items():
        if not re.fullmatch(r"[a-z_]+", key):
            raise FrontMatterError(f"front matter key {key!r} is not a plain name")
        lines.append(f"{key}: {_yaml_value(_front_matter_value(value))}")
    lines.append("---")
    block = "\n".join(lines) + "\n"
    meant = _as_read(_front_matter_value(values))
    read = read_front_matter(block)
    if read != meant:
        raise FrontMatterError(
            f"mkdocs reads this front matter as {read!r}, not as {meant!r}:\n{block}"
        )
    return block


def read_front_matter(page: str) -> dict | None:
    """A page's front matter as mkdocs reads it (mkdocs.utils.meta.get_data): None when the
    page has no block that mkdocs reads as one (it would then render the block as text)."""
    from mkdocs.utils.meta import YAML_RE, get_data  # here: only pages with front matter

    if not YAML_RE.match(page):
        return None
    _, data = get_data(page)
    return data or None


def _as_read(value: object) -> object:
    """What YAML gives back for a value front_matter writes (a tuple comes back a list)."""
    if isinstance(value, dict):
        return {key: _as_read(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_read(item) for item in value]
    return value
