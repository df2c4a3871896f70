"""The structured parts of pages are HTML blocks: Python-Markdown passes them through as they
are, their links (which mkdocs neither checks nor rewrites in HTML) lead to pages that exist,
and a site's override of a block template changes the block, escaped by autoescape.

Read from the golden pages (tests/golden/expected/), converted with the extensions of the
repository's mkdocs.yml, as mkdocs converts them.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from generator.render.render import page_url, relative_url, toc_slug
from tests.conftest import REPO_ROOT, run_kb
from tests.test_golden import EXPECTED, copy_fixture

GOLDEN_PAGES = sorted(path.relative_to(EXPECTED).as_posix() for path in EXPECTED.rglob("*.md"))
# A block of HTML as the templates write it: a line starting with a tag at column 0, up to
# the next blank line.
HTML_BLOCK = re.compile(r"^<(?!sup\b)[a-z]+[^\n]*(?:\n(?!\n)[^\n]*)*", re.MULTILINE)


@pytest.fixture(scope="module")
def site_markdown():
    """Python-Markdown with the extensions and settings of the repository's mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config

    config = load_config(str(REPO_ROOT / "mkdocs.yml"), docs_dir=str(REPO_ROOT / "content"))
    return markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )


def _body(page: str) -> str:
    return page[4:].partition("\n---\n")[2] if page.startswith("---\n") else page


@pytest.mark.parametrize(
    ("from_page", "to_page", "href"),
    [
        ("organizations/huawei.md", "people/richard-yu.md", "../../people/richard-yu/"),
        ("organizations/huawei.md", "organizations/zte.md", "../zte/"),
        ("organizations/huawei.md", "organizations/huawei.md", "../huawei/"),
        ("organizations/huawei.md", "organizations/index.md", "../"),
        ("organizations/index.md", "organizations/zte.md", "zte/"),
        ("organizations/index.md", "people/richard-yu.md", "../people/richard-yu/"),
        ("organizations/index.md", "organizations/index.md", "./"),
        ("index.md", "people/richard-yu.md", "people/richard-yu/"),
        ("timeline.md", "people/richard-yu.md", "../people/richard-yu/"),
        ("timeline.md", "index.md", "../"),
        ("contributing/schema-reference.md", "index.md", "../../"),
    ],
)
def test_links_in_html_are_relative_to_the_pages_url(from_page, to_page, href):
    assert relative_url(from_page, to_page) == href
    # Resolved as a browser resolves it against the page's URL, it is the target's URL.
    base = "/" + page_url(from_page)
    assert posixpath.normpath(posixpath.join(base, href)) + "/" in (
        "/" + page_url(to_page),
        "//",  # the site's root
    )


@pytest.mark.parametrize("page", GOLDEN_PAGES)
def test_html_blocks_pass_through_markdown_unchanged(site_markdown, page):
    """Every HTML block of a generated page is in the HTML mkdocs makes, byte for byte: none
    was read as Markdown (no table, footnote or fence of Markdown's made of it)."""
    text = _body((EXPECTED / page).read_text(encoding="utf-8"))
    converted = site_markdown.reset().convert(text)
    blocks = HTML_BLOCK.findall(text)
    for block in blocks:
        assert block.rstrip("\n") in converted, f"{page}: mangled:\n{block[:300]}"
    if "<table>" in text:
        assert converted.count("<table>") == text.count("<table>"), page
    assert not re.search(r"^\|.*\|$", text, re.MULTILINE), f"{page}: a Markdown table"
    assert "[^" not in text, f"{page}: a Markdown footnote"


def _ids(text: str) -> set[str]:
    """The ids on a page: those of its HTML, and those the toc extension gives its headings."""
    headings = re.findall(r"^#{2,6} (.+)$", text, re.MULTILINE)
    return set(re.findall(r' id="([^"]+)"', text)) | {toc_slug(title) for title in headings}


def test_links_in_html_lead_to_pages_and_notes_that_exist():
    """mkdocs checks links in Markdown only: every href of the HTML blocks is checked here, a
    page's URL, a note or section of the page, a place on another page (a passage of a
    source) that exists, or a file of the build folder (a record's JSON document)."""
    urls = {"/" + page_url(page): page for page in GOLDEN_PAGES}
    ids = {page: _ids((EXPECTED / page).read_text(encoding="utf-8")) for page in GOLDEN_PAGES}
    files = {"/" + path.relative_to(EXPECTED).as_posix() for path in EXPECTED.rglob("*.json")}
    checked = elsewhere = 0
    for page in GOLDEN_PAGES:
        text = (EXPECTED / page).read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"]*)"', text):
            if href.startswith("https://"):
                continue
            target, _, fragment = href.partition("#")
            if target:
                resolved = posixpath.normpath(posixpath.join("/" + page_url(page), target))
                if resolved in files:
                    continue
                resolved = resolved.rstrip("/") + "/"
                assert resolved in urls or resolved == "//", (page, href)
                if fragment:
                    assert fragment in ids[urls[resolved]], (page, href)
                    elsewhere += 1
            elif fragment:
                assert fragment in ids[page], (page, href)
            checked += 1
    assert checked > 300 and elsewhere > 20


def test_notes_are_numbered_per_page_with_a_way_back_from_each():
    page = (EXPECTED / "organizations" / "acme-phones.md").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r'<li id="fn:(\d+)">', page)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2
    refs = re.findall(r'<sup id="(r:\d+)">', page)
    assert len(refs) > 5
    for ref in refs:
        assert f'href="#{ref}"' in page, ref


def test_a_site_block_template_changes_the_table_and_is_autoescaped(tmp_path: Path):
    root = copy_fixture(tmp_path)
    (root / "templates" / "blocks").mkdir(parents=True)
    (root / "templates" / "blocks" / "infobox.html.j2").write_text(
        '<table class="facts"><tr><td>{{ record.label }} &amp; {{ "<b>" }}</td></tr></table>\n'
    )
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 0, result.err
    docs = root / "build" / "docs"
    person = (docs / "people" / "ada-example.md").read_text()
    assert '<table class="facts"><tr><td>Ada Example &amp; &lt;b&gt;</td></tr></table>' in person
    assert '<dl class="kb-infobox">' not in person
    # The other blocks still come from the package.
    assert '<p class="kb-what">' in person
