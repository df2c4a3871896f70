"""The hostile knowledge base (tests/hostile_site.py) in a real browser: headless Chromium
opens every page built from it and searches it, and no payload runs.

Every payload that could run script sets `window.__pwned` (most also call alert()), so a page
is safe when no dialog opened, `window.__pwned` is undefined, no script failed, and the
payloads are on the page as visible text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_site import hostile_records, shown_lines, write_hostile_facts

PAGES = [f"{name}/" for name in hostile_records()] + [
    "",
    "organizations/",
    "people/",
    "products/",
    "relationships/",
    "quotes/",
    "events/",
    "sources/",
    "timeline/",
]


@pytest.fixture(scope="module")
def hostile_site(built_site, tmp_path_factory):
    facts = write_hostile_facts(tmp_path_factory.mktemp("hostile-browser") / "facts")
    return built_site(facts)


def _assert_nothing_ran(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined", "a payload's script ran"
    page.problems.assert_none()  # no dialog, no console error, no uncaught error


def test_the_checks_below_can_see_a_payload_run(hostile_site, page):
    """A control: a script that does what the payloads try to do is noticed."""
    page.goto(hostile_site.url("organizations/"))
    page.evaluate("window.__pwned = 1; alert('control')")
    assert page.evaluate("typeof window.__pwned") == "number"
    assert page.problems.dialogs == ["alert: control"]


@pytest.mark.parametrize("path", PAGES)
def test_no_payload_runs_on_any_page(hostile_site, page, path: str):
    page.goto(hostile_site.url(path), wait_until="load")
    page.wait_for_timeout(300)  # let deferred scripts and image errors fire
    _assert_nothing_ran(page)
    assert page.locator("img").count() == 0, "an image from the data is on the page"
    assert page.locator("iframe, object, embed").count() == 0


def test_payloads_are_visible_as_text(hostile_site, page, screenshot_dir: Path):
    records = hostile_records()
    for name, data in records.items():
        page.goto(hostile_site.url(f"{name}/"), wait_until="load")
        shown = " ".join(page.locator("article").inner_text().split())
        label = data.get("name") or data.get("title")
        if label:
            assert label in shown, f"{name}: its name is not shown as text"
            assert page.title() == f"{label} - Handset Atlas"
        for field in ("summary", "description", "note"):
            for line in shown_lines(data.get(field, ""))[:6]:
                assert line in shown, f"{name} {field}: {line!r} is not shown as text"
        _assert_nothing_ran(page)
    page.goto(hostile_site.url("organizations/hostile-org/"), wait_until="load")
    page.screenshot(path=str(screenshot_dir / "hostile-organization.png"), full_page=True)


def test_searching_the_payloads_runs_nothing(hostile_site, page):
    """Material shows search results as HTML built from the search index: a name with markup
    in it must come back as text there too."""
    for query, expected in [
        ("organization name", "organization name <script>window.__pwned=1;alert(1)</script>"),
        ("carrier name", 'carrier name <img src=x onerror="window.__pwned=1;alert(1)">'),
        ("person name", "person name [click me](javascript:window.__pwned=1)"),
        ("onerror", "onerror"),
    ]:
        page.goto(hostile_site.url(""), wait_until="load")
        search = page.locator("input.md-search__input")
        search.click()
        search.press_sequentially(query, delay=10)  # Material searches on key events
        page.locator(".md-search-result__item").first.wait_for(state="visible")
        page.wait_for_timeout(300)  # let every result render (and any payload fire)
        results = page.locator(".md-search-result")
        text = " ".join(results.inner_text().split())
        assert expected in text, f"{query!r}: {expected!r} not in the results as text"
        assert results.locator("img, script, iframe, svg[onload]").count() == 0
        _assert_nothing_ran(page)


# --- Characters outside the Basic Multilingual Plane (tests/hostile/characters-outside-the-bmp)
# An emoji in a name once made the page's front matter unreadable to mkdocs: the block was
# shown as page text, where the name's Markdown link to `javascript:` became live.

OUTSIDE_THE_BMP_PAGES = ["organizations/emoji-phone/", "organizations/cjk-extension-b/"]


@pytest.fixture(scope="module")
def outside_the_bmp_site(built_site, tmp_path_factory):
    from tests.test_hostile_check import make_case

    scratch = tmp_path_factory.mktemp("outside-the-bmp-browser")
    return built_site(make_case("characters-outside-the-bmp", scratch) / "facts")


@pytest.mark.parametrize("path", OUTSIDE_THE_BMP_PAGES)
def test_names_outside_the_bmp_run_nothing_and_fetch_nothing(outside_the_bmp_site, page, path):
    page.goto(outside_the_bmp_site.url(path), wait_until="load")
    # No link the page shows may lead to script (the name once made one).
    for link in page.locator("article a[href]").all():
        href = link.get_attribute("href") or ""
        assert not href.strip().lower().startswith("javascript:"), href
    page.wait_for_timeout(300)  # let deferred scripts and image loads fire
    _assert_nothing_ran(page)
    assert page.problems.external_requests == [], "the page fetched from another host"
    assert page.locator("article img").count() == 0, "an image from the data is on the page"


def test_names_outside_the_bmp_are_the_page_title(outside_the_bmp_site, page):
    page.goto(outside_the_bmp_site.url("organizations/emoji-phone/"), wait_until="load")
    name = (
        "📱 Emoji Phone [click me](javascript:window.__pwned=1;alert(1)) "
        "![x](https://evil.example/emoji.png)"
    )
    assert page.title() == f"{name} - Handset Atlas"
    shown = " ".join(page.locator("article").inner_text().split())
    assert name in shown and "title:" not in shown
    # The heading shows the name (Pagefind's hidden copy of it in the article is not clicked).
    page.locator("article h1").get_by_text("click me", exact=False).first.click()
    page.wait_for_timeout(300)
    _assert_nothing_ran(page)
    assert page.problems.external_requests == []
