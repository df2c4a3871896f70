"""publish/html_blocks.py: the HTML blocks of a generated page are set aside unparsed, and the
page comes out as the same HTML as without the extension; the maintainers' pages are untouched.

Read from the golden pages (tests/golden/expected/), converted with the extensions of the
repository's mkdocs.yml, as mkdocs converts them, with and without html_blocks.
"""

from __future__ import annotations

import re

import markdown
import pytest

from generator.publish.html_blocks import MARKER
from tests.conftest import REPO_ROOT
from tests.test_golden import EXPECTED

EXTENSION = "generator.publish.html_blocks"
GOLDEN_PAGES = sorted(path.relative_to(EXPECTED).as_posix() for path in EXPECTED.rglob("*.md"))
# The pages written from the maintainers' Markdown (content/, CONTRIBUTING.md), never marked.
MAINTAINERS_PAGES = {"index.md", "data.md", "contributing/index.md"}


@pytest.fixture(scope="module")
def site_config():
    from mkdocs.config import load_config

    config = load_config(str(REPO_ROOT / "mkdocs.yml"), docs_dir=str(REPO_ROOT / "content"))
    assert EXTENSION in config["markdown_extensions"], "mkdocs.yml no longer names the extension"
    return config


def _converter(config, with_extension: bool) -> markdown.Markdown:
    extensions = [
        name for name in config["markdown_extensions"] if with_extension or name != EXTENSION
    ]
    return markdown.Markdown(extensions=extensions, extension_configs=config["mdx_configs"])


def _body(page: str) -> str:
    return page[4:].partition("\n---\n")[2] if page.startswith("---\n") else page


def _convert(converter: markdown.Markdown, text: str) -> str:
    converter.reset()
    return converter.convert(text)


def _tags_apart(html: str) -> str:
    """The HTML with the whitespace between tags (which the two ways place differently) gone."""
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("page", GOLDEN_PAGES)
def test_a_golden_page_is_the_same_html_with_its_blocks_set_aside(site_config, page):
    body = _body((EXPECTED / page).read_text(encoding="utf-8"))
    marked = MARKER in body.splitlines()
    assert marked == (page not in MAINTAINERS_PAGES)
    with_blocks_aside = _convert(_converter(site_config, True), body)
    parsed = _convert(_converter(site_config, False), body)
    assert _tags_apart(with_blocks_aside) == _tags_apart(parsed.replace(MARKER, ""))
    assert "kb: generated" not in with_blocks_aside


def test_a_marked_pages_blocks_end_at_a_blank_line_and_are_not_parsed(site_config):
    # An element left open: html.parser would read on to its end tag, taking the paragraph
    # and the heading with it as raw HTML. Set aside, the block is its lines and no more.
    text = f'{MARKER}\n\n<div class="x">\n<p>one</p>\n\nSome *text*.\n\n## Heading\n'
    html = _convert(_converter(site_config, True), text)
    assert '<div class="x">\n<p>one</p>' in html
    assert "<p>Some <em>text</em>.</p>" in html
    assert re.search(r"<h2 id=\"heading\">Heading", html)
    parsed = _convert(_converter(site_config, False), text)
    assert "<em>" not in parsed  # without the extension the open <div> swallows the rest


def test_an_unmarked_page_is_converted_as_python_markdown_does(site_config):
    # The maintainers' Markdown: a line starting with "<" can be an autolink.
    text = "<https://example.org/>\n\nAn element over a blank line:\n\n<div>\n\n*raw*\n\n</div>\n"
    assert _convert(_converter(site_config, True), text) == _convert(
        _converter(site_config, False), text
    )
    assert '<a href="https://example.org/">' in _convert(_converter(site_config, True), text)
