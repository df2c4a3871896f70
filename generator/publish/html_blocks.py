"""A Python-Markdown extension (named in mkdocs.yml): a generated page's HTML blocks set aside
whole, without being parsed.

The generator writes its pages (records, the kinds' indexes, the timeline, the schema
reference) as Markdown headings between blocks of HTML from its templates, every fact string
in them escaped by autoescape or escape.py. Python-Markdown reads each such block with
html.parser to find where it ends (its `html_block` preprocessor), and mkdocs reads the whole
page with html.parser once more to collect the ids a Markdown link's anchor may point at. On
1,000 records those two parses were 40% of `mkdocs build` (5.9 s, 3.6 s without them).

A page the generator marks (MARKER, a line of its own under the front matter, written by the
templates) has each of its blocks that starts with "<" stored in Python-Markdown's HTML stash
as it is, before either parser runs; they then see only placeholders. A block is the run of
lines up to a blank line: the templates separate their blocks with blank lines, and no line of
text from a fact can start with "<" (escape.py writes it as a character reference). The
headings stay Markdown, so the table of contents is unchanged.

What is not marked is untouched: the pages of content/ and CONTRIBUTING.md are the
maintainers' Markdown, where a line starting with "<" may be an autolink or an element that
spans blank lines. Without this extension MARKER is an HTML comment and every page renders to
the same HTML, only slower (tests/test_html_blocks.py compares the two on the golden site).

The ids inside the set-aside blocks are not among those mkdocs checks a Markdown link's anchor
against; the generator's own links are HTML, which mkdocs never checks (tests/test_page_html.py
checks that they lead to pages that exist).
"""

from __future__ import annotations

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from ..render.escape import GENERATED_HTML_BLOCKS as MARKER

# After Python-Markdown's whitespace normalization (30), before everything that reads the
# lines: pymdownx.superfences' fences (25), mkdocs' anchor collection (21), html_block (20).
PRIORITY = 29


class SetAsideHtmlBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if MARKER not in lines:
            return lines
        kept: list[str] = []
        block: list[str] = []
        for line in [*lines, ""]:
            if line == MARKER:
                continue
            if line:  # whitespace normalization has emptied every blank line
                block.append(line)
                continue
            if block and block[0].startswith("<"):
                kept.append(self.md.htmlStash.store("\n".join(block)))
            else:
                kept.extend(block)
            block = []
            kept.append(line)
        return kept


class HtmlBlocksExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(SetAsideHtmlBlocks(md), "kb_html_blocks", PRIORITY)


def makeExtension(**kwargs) -> HtmlBlocksExtension:  # noqa: N802 (Python-Markdown's name)
    return HtmlBlocksExtension(**kwargs)
