"""A record's page as a reader sees it, at a desktop's width and a phone's: what the record
is under its title, its infobox, a citation mark leading to the passage it rests on and from
there to the passage on the source's page, and the sections reachable on a phone. On the
browser tests' knowledge base (tests/browser/kb/), never the real facts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.reader import path_of

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_manufacturers_page_says_what_it_is_and_where_each_fact_comes_from(
    atlas_site, browser, screenshot_dir: Path, size: str
):
    viewport = SIZES[size]
    context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(atlas_site.url("organizations/huawei/"))
        article = page.locator("article")
        # The breadcrumb leads to the kind's index; the line under the title says what it is.
        assert article.locator("nav.kb-crumbs a").get_attribute("href") == "../"
        assert article.locator(".kb-what").inner_text().strip() == (
            "Organization · manufacturer · China"
        )
        # The infobox shows the facts recorded, each with a mark, and fits the screen.
        infobox = article.locator("dl.kb-infobox")
        assert infobox.locator("dt").all_inner_texts() == [
            "Also known as",
            "Roles",
            "Country",
            "Products",
        ]
        box = infobox.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # A phone has the page's sections at hand (the theme shows its own list on a desktop).
        assert article.locator("nav.kb-toc").is_visible() == (size == "phone")
        page.screenshot(path=str(screenshot_dir / f"record-{size}.png"), full_page=True)

        # The country's mark leads to its source's note (the country, written without sources
        # of its own, rests on the record's), whose passage leads to the source's page, where
        # the passage is.
        mark = infobox.locator("dd sup a.footnote-ref").nth(1)
        assert mark.inner_text() == "[1]"
        mark.click()
        target = page.evaluate("location.hash")
        passage = page.locator(f"[id='{target[1:]}']")
        assert passage.is_visible() and passage.evaluate("e => e.matches(':target')")
        assert target == "#fn:1"
        passage.locator("li a").first.click()
        page.wait_for_url(lambda url: path_of(url) == "/sources/phone-news-article/")
        anchor = page.evaluate("location.hash")[1:]
        assert anchor.startswith("passage-")
        assert page.locator(f"[id='{anchor}']").inner_text().startswith("Paragraph 4:")
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_diagrams_names_are_links_a_reader_follows(atlas_site, browser, size: str):
    """Huawei's diagram at a desktop's width (three columns) and a phone's (stacked): the
    record in the middle, its names links that lead to their pages, no sideways scrolling."""
    viewport = SIZES[size]
    context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
    try:
        page = context.new_page()
        page.goto(atlas_site.url("organizations/huawei/"))
        diagram = page.locator("article figure.kb-diagram")
        assert diagram.locator(".kb-map-self").inner_text().strip() == "Huawei"
        assert "acts" in diagram.locator("figcaption").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        columns = diagram.locator(".kb-map").evaluate(
            "e => getComputedStyle(e).gridTemplateColumns.split(' ').length"
        )
        assert (columns == 1) == (size == "phone")  # three, or two where one side is empty
        names = diagram.locator(".kb-ends a")
        assert names.count() >= 2
        for index in range(names.count()):
            node = names.nth(index)
            label, href = node.inner_text().strip(), node.get_attribute("href")
            node.scroll_into_view_if_needed()
            end = href.lstrip("./")
            node.click()
            page.wait_for_url(lambda url, end=end: path_of(url).endswith(end))
            assert page.locator("article h1").first.inner_text().strip().startswith(label)
            page.go_back()
    finally:
        context.close()
