"""The site built from the browser tests' knowledge base (tests/browser/kb/, never the real
facts/), read as a reader reads it: in headless Chromium.

The reader's path from the issue "The site": search for a person's name, open the result, find
their quote on the page, follow a link from a carrier's page to a manufacturer's page, with no
error in the console anywhere and nothing fetched from outside the site. Then search as the
issue promises: records by name and alias, quotes by their words, events by their description,
a misspelt name, each result with its kind, and no page found by the words every page has.

What the pages should say is taken from the knowledge base (through the model), so the tests
follow the fixture rather than a copy of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.model import KnowledgeBase, Record
from generator.pipeline import Project, check_project
from tests.browser.conftest import serve_under
from tests.browser.reader import (
    RESULT_LINKS,
    article_title,
    path_of,
    result_kinds,
    result_pages,
    search,
    summary_text,
)

PERSON = "lei-jun"  # a person with quotes
CARRIER = "att"  # a carrier whose page links to a manufacturer
MANUFACTURER = "huawei"
# Words on every record page, or on every page of a kind, that are not what the record is
# about: the section headings, the key facts' labels, the sources note.
CHROME_WORDS = ["Key facts", "Also known as", "numbered", "Referenced by", "Country", "Sources"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def knowledge_base(atlas_site) -> KnowledgeBase:
    outcome = check_project(Project(atlas_site.root))
    assert outcome.knowledge_base is not None, "the browser tests' facts do not validate"
    return outcome.knowledge_base


def shown_text(knowledge_base: KnowledgeBase, record: Record, field: str) -> str:
    """A text field as the page shows it: each [[link]] as its label."""
    return "".join(
        piece if isinstance(piece, str) else piece.label or knowledge_base[piece.target].label
        for piece in record.text(field) or []
    )


def test_a_reader_finds_a_person_their_quote_and_a_carriers_manufacturer(
    atlas_site, knowledge_base: KnowledgeBase, page, screenshot_dir: Path
):
    person = knowledge_base[PERSON]
    quotes = [q for q in knowledge_base.by_kind["quote"] if q.get("speaker") == PERSON]
    assert quotes, f"{PERSON} has no quote in the fixture: choose another person for this test"
    carrier, manufacturer = knowledge_base[CARRIER], knowledge_base[MANUFACTURER]
    assert "carrier" in carrier.get("roles") and "manufacturer" in manufacturer.get("roles")

    # 1. Search for the person's name from the home page; their page is the top result.
    page.goto(atlas_site.url(""))
    results = search(page, person.label)
    page.screenshot(path=str(screenshot_dir / "search-results.png"))
    top = results.first
    assert top.locator("h1").inner_text().strip() == person.label
    assert path_of(top.get_attribute("href")) == "/" + person.url

    # 2. Open it: the person's page, with every quote of theirs on it, verbatim.
    top.click()
    page.wait_for_url(lambda url: path_of(url) == "/" + person.url)
    assert article_title(page) == person.label
    for quote in quotes:
        page.locator("article blockquote", has_text=quote.get("text")).first.wait_for()
        # Each quote has a stable anchor, so it can be linked to directly.
        assert page.locator(f"article #quote-{quote.id}").count() == 1
    page.screenshot(path=str(screenshot_dir / "person.png"), full_page=True)

    # 3. From the carrier's page, follow the link to the manufacturer's page.
    page.goto(atlas_site.url(carrier.url))
    assert article_title(page) == carrier.label
    link = page.locator(f"article a[href$='{manufacturer.id}/']", has_text=manufacturer.label)
    link.first.click()
    page.wait_for_url(lambda url: path_of(url) == "/" + manufacturer.url)
    assert article_title(page) == manufacturer.label
    page.screenshot(path=str(screenshot_dir / "manufacturer.png"), full_page=True)

    # 4. Nothing went wrong along the way, and the site needed nothing from elsewhere.
    page.problems.assert_none()
    assert page.problems.external_requests == []


def test_home_page_leads_to_every_index(atlas_site, page, screenshot_dir: Path):
    page.goto(atlas_site.url(""))
    page.screenshot(path=str(screenshot_dir / "home.png"), full_page=True)
    for section in ("organizations", "people", "products", "relationships", "quotes", "events"):
        assert page.locator(f"article a[href$='{section}/']").count() >= 1, f"no link to {section}/"
    page.locator(".md-tabs__link", has_text="Browse").click()
    page.locator("article table").first.wait_for()
    page.problems.assert_none()
    assert page.problems.external_requests == []


def test_search_finds_every_organization_person_and_product_by_name(
    atlas_site, knowledge_base: KnowledgeBase, page
):
    """Each name and alias puts its record first: "AT&T" although a source's title says AT&T
    twice, "Xiaomi" although a product is named "Xiaomi headphones"."""
    page.goto(atlas_site.url(""))
    misses: dict[str, str] = {}
    for kind in ("organization", "person", "product"):
        for record in knowledge_base.by_kind[kind]:
            for name in [record.label, *(record.get("aliases") or [])]:
                pages = result_pages(search(page, name))
                if not pages or pages[0] != "/" + record.url:
                    misses[name] = f"expected /{record.url} first, got {pages[:3]}"
    assert not misses, "search does not put the record first:\n" + "\n".join(
        f"{name!r}: {why}" for name, why in misses.items()
    )
    page.problems.assert_none()


def test_search_finds_every_quote_by_its_words(atlas_site, knowledge_base: KnowledgeBase, page):
    page.goto(atlas_site.url(""))
    misses = []
    for quote in knowledge_base.by_kind["quote"]:
        pages = result_pages(search(page, quote.get("text")))
        if not pages or pages[0] != "/" + quote.url:
            misses.append(f"{quote.get('text')!r}: expected /{quote.url} first, got {pages[:3]}")
    assert not misses, "search does not put the quote first:\n" + "\n".join(misses)
    page.problems.assert_none()


def test_search_finds_every_event_by_its_description(
    atlas_site, knowledge_base: KnowledgeBase, page
):
    page.goto(atlas_site.url(""))
    misses = []
    for event in knowledge_base.by_kind["event"]:
        description = shown_text(knowledge_base, event, "description")
        pages = result_pages(search(page, description))
        if not pages or pages[0] != "/" + event.url:
            misses.append(f"{event.id}: expected /{event.url} first, got {pages[:3]}")
    assert not misses, "search does not find the event by its description:\n" + "\n".join(misses)
    page.problems.assert_none()


@pytest.mark.parametrize(
    ("misspelt", "record", "suggested"),
    [
        # The example: Pagefind's English stemmer reads "Xiaomy" as "Xiaomi".
        ("Xiaomy", "xiaomi", False),
        # No stem helps here: the page's "did you mean", from the names that start alike.
        ("Huawie", "huawei", True),
        ("Lei Jnu", "lei-jun", True),
    ],
)
def test_a_misspelt_name_still_leads_to_the_record(
    atlas_site, knowledge_base: KnowledgeBase, page, misspelt: str, record: str, suggested: bool
):
    page.goto(atlas_site.url(""))
    pages = result_pages(search(page, misspelt))
    assert pages[:1] == ["/" + knowledge_base[record].url], pages
    if suggested:
        assert f"Did you mean {knowledge_base[record].label}?" in summary_text(page)
    page.problems.assert_none()


def test_each_result_says_what_kind_of_record_it_is_and_one_kind_can_be_chosen(
    atlas_site, knowledge_base: KnowledgeBase, page
):
    page.goto(atlas_site.url(""))
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    links = search(page, "Lei Jun")
    assert not [url for url in fetched if "/filter/" in url], "the first search loaded the filter"
    kinds = result_kinds(links)
    pages = result_pages(links)
    titles = {"/" + r.url: r.schema.title for r in knowledge_base.records.values()}
    assert kinds == [titles[path] for path in pages], list(zip(pages, kinds, strict=False))
    assert {"Person", "Quote"} <= set(kinds)

    # The kind filter is fetched only when the reader asks for the kind bar (it would take a
    # first search at 10,000 records over its 300 KB budget); then the bar counts each kind
    # and shows one kind only.
    page.locator(".kb-search__by-kind").click()
    page.locator(".kb-search__choice", has_text="Quote").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.md-search-result__item .md-tag')]"
        ".every(tag => tag.textContent.trim() === 'Quote')"
    )
    quote_pages = result_pages(page.locator(".md-search-result__item > a"))
    assert quote_pages == ["/" + knowledge_base["lei-jun-always-considering-us"].url]
    assert any("/filter/" in url for url in fetched), fetched
    page.problems.assert_none()


@pytest.mark.parametrize("words", CHROME_WORDS)
def test_words_every_page_has_do_not_find_every_page(
    atlas_site, knowledge_base: KnowledgeBase, page, words: str
):
    """Headings, key-fact labels and the sources note are not indexed: searching them finds
    no page, or only pages that say them in their own text."""
    page.goto(atlas_site.url(""))
    pages = result_pages(search(page, words))
    assert len(pages) <= 2, f"{words!r} finds {len(pages)} pages: {pages}"


def test_search_indexes_record_pages_only(atlas_site, page):
    """The home page, the index pages and the timeline list every record's name: they are
    not in the index, or they would come before the records."""
    page.goto(atlas_site.url(""))
    for query in ("Xiaomi", "Organizations", "Timeline"):
        for path in result_pages(search(page, query)):
            assert path.count("/") == 3, f"{query!r} finds {path}, not a record page"
    page.problems.assert_none()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_works_under_a_sub_path_at_every_width_and_scheme(
    atlas_site, browser, tmp_path, screenshot_dir: Path, scheme: str, size: str
):
    """The site published under a path (https://example.org/atlas/): search loads its index
    from there and its results link there; the results show in the theme's colours."""
    server = serve_under(tmp_path, atlas_site.site_dir, "atlas")
    host, port = server.server_address[:2]
    viewport = PHONE if size == "phone" else DESKTOP
    context = browser.new_context(
        viewport=viewport, color_scheme=scheme, is_mobile=size == "phone", has_touch=size == "phone"
    )
    try:
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://{host}:{port}/atlas/people/lei-jun/")
        if size == "phone":
            # On a phone the box hides behind the header's magnifier, as in Material.
            page.locator("label.md-header__button[for=__search]").click()
        links = search(page, "Xiaomi")
        assert result_pages(links)[0] == "/atlas/organizations/xiaomi/"
        first = links.first
        assert first.is_visible()
        # On a phone the search panel slides open (a CSS transition): the result's place is
        # measured once the panel has come to rest, not while it still moves.
        page.wait_for_function(
            "sel => { const a = document.querySelector(sel); if (!a) return false;"
            " const r = a.getBoundingClientRect(); const w = a.dataset.kbLastWidth;"
            " a.dataset.kbLastWidth = r.width; return String(r.width) === w; }",
            arg=RESULT_LINKS,
            polling=200,
        )
        box = first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
        page.screenshot(path=str(screenshot_dir / f"search-{size}-{scheme}.png"))
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("document.body.dataset.mdColorScheme") == expected
        first.click()
        page.wait_for_url(lambda url: path_of(url) == "/atlas/organizations/xiaomi/")
        assert not errors, errors
        outside = [url for url in requests if not url.startswith(f"http://{host}:{port}/atlas/")]
        assert outside == [], outside
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_relationship_diagram_is_html_whose_names_link_to_their_pages(
    atlas_site, knowledge_base: KnowledgeBase, page, screenshot_dir: Path
):
    """The carrier's diagram is HTML: its names are links a reader can follow (Mermaid drew
    into a closed shadow root, whose links a test could not reach)."""
    carrier = knowledge_base[CARRIER]
    page.goto(atlas_site.url(carrier.url))
    diagram = page.locator("article figure.kb-diagram")
    assert diagram.locator(".kb-map-self").inner_text().strip() == carrier.label
    box = diagram.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 40, f"diagram drawn at size {box}"
    diagram.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "diagram.png"))
    node = diagram.locator(".kb-ends a").first
    label, href = node.inner_text().strip(), node.get_attribute("href")
    node.click()
    page.wait_for_url(lambda url: url.endswith(href.lstrip("./")))
    assert page.locator("article h1").first.inner_text().strip().startswith(label)
    page.problems.assert_none()
    assert page.problems.external_requests == []


def column_texts(page, column: int) -> list[str]:
    return page.locator(f"article table tbody tr td:nth-child({column})").all_inner_texts()


def test_index_tables_sort_by_a_click_on_a_heading(atlas_site, page):
    """Index tables are sortable (vendored Tablesort): a click on a heading sorts the rows by
    that column, a second click reverses them."""
    page.goto(atlas_site.url("organizations/"))
    heading = page.locator("article table thead th", has_text="Roles").first
    column = 1 + page.locator("article table thead th").all_inner_texts().index("Roles")
    before = column_texts(page, column)
    heading.click()
    first = column_texts(page, column)
    assert sorted(first, key=str.casefold) in (first, first[::-1]), first
    assert first != before, "the click changed nothing"
    heading.click()
    assert column_texts(page, column) == first[::-1]
    page.problems.assert_none()
    assert page.problems.external_requests == []


def test_dates_sort_by_when_not_by_their_words(atlas_site, page):
    """A date column sorts by the date's key (earliest day, wider spans first, not recorded
    last), not by its words: 'until Nov 2017?' and '2014' do not sort as text."""
    page.goto(atlas_site.url("events/"))
    page.locator("article table thead th", has_text="Date").first.click()
    cells = page.locator("article table tbody tr td:first-child")
    keys = cells.evaluate_all("cells => cells.map(c => c.getAttribute('data-sort'))")
    shown = cells.all_inner_texts()
    assert None not in keys, f"a date cell without a sort key: {shown}"
    assert keys in (sorted(keys), sorted(keys, reverse=True)), shown
    # On the fixture's events the words sort otherwise ('2018' < 'Jan 2018' < 'Nov 2017?'):
    # the click sorted by the keys, not by the words.
    as_text = sorted(shown, key=str.casefold)
    assert shown not in (as_text, as_text[::-1]), f"sorted as text: {shown}"
    page.problems.assert_none()
