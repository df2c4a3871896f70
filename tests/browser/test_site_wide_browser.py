"""The site as a whole, in Chromium, on the browser tests' knowledge base (tests/browser/kb/):
the home page's ways in, no diagram script anywhere (the diagram is HTML), the weight of a
record page with a diagram, list pages and diagrams that do not scroll sideways at a desktop's
or a phone's width, the 404 page under a sub-path, the canonical and OpenGraph tags and the
sitemap when mkdocs.yml sets site_url (and none of them without it), and a screenshot of every
kind of page at desktop and phone widths, saved in tests/output/browser/pages/.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.model import KnowledgeBase
from generator.pipeline import Project, check_project
from generator.render.home import latest_events, most_referenced
from generator.render.render import KIND_ORDER
from tests.browser.conftest import _QuietHandler, make_knowledge_base
from tests.conftest import run_kb

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# What a deployer would set (README, "Publishing the site"); example.org is reserved for
# examples, and the repository's address is GitHub-shaped so that Material would ask GitHub's
# API about it, were the header's repository link still to do so.
SITE_URL = "https://example.org/atlas/"
REPO_URL = "https://github.com/example/atlas"
MOUNT = "atlas"
WEIGHT_LIMIT = 300 * 1024  # bytes, uncompressed, everything a first load fetches


@pytest.fixture(scope="module")
def knowledge_base(atlas_site) -> KnowledgeBase:
    outcome = check_project(Project(atlas_site.root))
    assert outcome.knowledge_base is not None, "the browser tests' facts do not validate"
    return outcome.knowledge_base


def record_pages(site_dir: Path, kb: KnowledgeBase) -> dict[str, bool]:
    """Every record page's URL path, and whether it draws a diagram."""
    return {
        record.url: '<figure class="kb-diagram"'
        in (site_dir / record.url / "index.html").read_text()
        for record in kb.records.values()
    }


def index_pages(kb: KnowledgeBase) -> list[str]:
    return [f"{kb.schemas.kinds[kind].plural}/" for kind in KIND_ORDER] + ["timeline/"]


# -- the home page --------------------------------------------------------------------------


def test_home_page_counts_each_kind_and_shows_the_latest_events_and_most_referred_to(
    atlas_site, knowledge_base: KnowledgeBase, page
):
    page.goto(atlas_site.url(""))
    kinds = page.locator("ul.kb-home-kinds li a")
    for kind in KIND_ORDER:
        schema = knowledge_base.schemas.kinds[kind]
        link = kinds.filter(has=page.locator(f"xpath=self::a[contains(@href, '{schema.plural}/')]"))
        assert link.count() == 1, f"no link to the {schema.plural} index"
        count = len(knowledge_base.by_kind.get(kind, []))
        assert link.locator("strong").inner_text().strip() == str(count), schema.plural
    events = page.locator("ul.kb-home-events li a").all_inner_texts()
    assert events == [event.label for event in latest_events(knowledge_base)]
    assert events, "the fixture has dated events: the home page must list the latest"
    top = page.locator("ol.kb-home-referenced li > a").all_inner_texts()
    assert top == [item.record.label for item in most_referenced(knowledge_base)]
    # A count leads to its index.
    kinds.first.click()
    page.wait_for_url(lambda url: urlsplit(url).path.endswith("/organizations/"))
    page.problems.assert_none()
    assert page.problems.external_requests == []


# -- the diagram ----------------------------------------------------------------------------


def _script_requests(page) -> list[str]:
    return [url for url in page.requested if url.endswith(".js")]


@pytest.fixture
def requests_of(page):
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    return page


def test_no_page_loads_a_diagram_script(atlas_site, knowledge_base: KnowledgeBase, requests_of):
    page = requests_of
    pages = record_pages(atlas_site.site_dir, knowledge_base)
    assert any(pages.values()), "the fixture has records with a diagram"
    assert not all(pages.values()), "the fixture has records without a diagram"
    for url in [*sorted(pages), "", *index_pages(knowledge_base)]:
        page.requested.clear()
        page.goto(atlas_site.url(url), wait_until="networkidle")
        scripts = _script_requests(page)
        assert not [s for s in scripts if "mermaid" in s], f"{url}: {scripts}"
        assert page.evaluate("typeof window.mermaid") == "undefined", url
        assert page.locator("article .mermaid, article svg[id^=mermaid]").count() == 0, url
    assert not (atlas_site.site_dir / "assets/vendor/mermaid.min.js").exists()
    page.problems.assert_none()
    assert page.problems.external_requests == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_diagrams_fit_the_page_without_scrolling_sideways(
    atlas_site, knowledge_base, browser, viewport
):
    pages = record_pages(atlas_site.site_dir, knowledge_base)
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    try:
        page = context.new_page()
        for url in sorted(url for url, draws in pages.items() if draws):
            page.goto(atlas_site.url(url), wait_until="networkidle")
            assert page.evaluate(OVERFLOWING) == [], url
            figure = page.locator("article figure.kb-diagram")
            box = figure.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], url
            assert figure.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), url
    finally:
        context.close()


def weigh(browser, url: str) -> tuple[int, dict[str, int]]:
    """Every byte a first load of `url` fetches (decoded, as Chromium's network log counts
    them), in a fresh context (empty cache): the total and the bytes of each request."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls: dict[str, str] = {}
        sizes: dict[str, int] = {}

        def sent(event: dict) -> None:
            urls[event["requestId"]] = event["request"]["url"]

        def received(event: dict) -> None:
            request = event["requestId"]
            sizes[request] = sizes.get(request, 0) + event["dataLength"]

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.dataReceived", received)
        page.goto(url, wait_until="networkidle")
        by_url = {urls.get(request, request): size for request, size in sizes.items()}
        return sum(by_url.values()), by_url
    finally:
        context.close()


def test_a_record_page_with_a_diagram_weighs_under_300_kb(
    atlas_site, knowledge_base: KnowledgeBase, browser
):
    """The heaviest record page with a diagram (by its HTML), on first load: every byte."""
    pages = record_pages(atlas_site.site_dir, knowledge_base)
    heaviest = max(
        (url for url, draws in pages.items() if draws),
        key=lambda url: (atlas_site.site_dir / url / "index.html").stat().st_size,
    )
    total, by_url = weigh(browser, atlas_site.url(heaviest))
    largest_first = sorted(by_url.items(), key=lambda item: -item[1])
    shown = "\n".join(f"{size:>9,} {url}" for url, size in largest_first)
    assert total < WEIGHT_LIMIT, f"{heaviest}: {total:,} bytes\n{shown}"
    assert not any("mermaid" in url for url in by_url), shown


# -- phone width ----------------------------------------------------------------------------

# Whatever in the article is wider than the room it has: a table that scrolls sideways
# inside Material's wrapper counts, as does the page itself.
OVERFLOWING = """() => {
  const wide = [];
  if (document.documentElement.scrollWidth > window.innerWidth) wide.push('the page');
  document.querySelectorAll('article, article *').forEach((el) => {
    const style = getComputedStyle(el);
    if (el.scrollWidth > el.clientWidth + 1 && /(auto|scroll)/.test(style.overflowX)) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
    }
  });
  return wide;
}"""


def test_list_pages_do_not_scroll_sideways_on_a_phone(atlas_site, knowledge_base, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        for url in ["", *index_pages(knowledge_base)]:
            page.goto(atlas_site.url(url), wait_until="networkidle")
            assert page.evaluate(OVERFLOWING) == [], url
    finally:
        context.close()


# -- a published site: site_url and repo_url set, served under a sub-path -----------------


class _SiteHost(_QuietHandler):
    """A static host as GitHub Pages is one: a missing page answered with the site's 404.html."""

    not_found_page: Path

    def send_error(self, code, message=None, explain=None):
        if code != 404 or not self.not_found_page.is_file():
            return super().send_error(code, message, explain)
        body = self.not_found_page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def published_site(tmp_path_factory) -> Iterator[str]:
    """The fixture knowledge base built with site_url and repo_url set in its mkdocs.yml, served
    at /atlas/ on 127.0.0.1 by a host that answers a missing page with 404.html; its URL."""
    root = make_knowledge_base(tmp_path_factory.mktemp("published") / "kb")
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"\nsite_url: {SITE_URL}\nrepo_url: {REPO_URL}\n",
        encoding="utf-8",
    )
    result = run_kb("build", root, cwd=root)
    assert result.code == 0, f"kb build failed:\n{result.out}\n{result.err}"
    served = tmp_path_factory.mktemp("host")
    (served / MOUNT).symlink_to(root / "site", target_is_directory=True)
    handler = type("Host", (_SiteHost,), {"not_found_page": root / "site" / "404.html"})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/{MOUNT}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_404_page_works_under_a_sub_path(published_site: str, page, screenshot_dir: Path):
    failed: list[str] = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    response = page.goto(published_site + "no/such/page/here/", wait_until="networkidle")
    assert response.status == 404
    assert page.locator("article h1").inner_text().strip() == "Page not found"
    # Its styles, scripts and links come from the site at /atlas/, not from the server's root.
    assert failed == [published_site + "no/such/page/here/"], failed
    assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") in (
        "sticky",
        "fixed",
    )
    page.screenshot(path=str(screenshot_dir / "pages" / "404-1280.png"))
    page.locator("article a", has_text="home page").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/{MOUNT}/")
    # The one error the console shows is the missing page's own status.
    assert [e for e in page.problems.console_errors if "/no/such/page/" not in e] == []
    assert page.problems.page_errors == []
    assert page.problems.external_requests == []


def _head(page) -> dict[str, str | None]:
    def content(selector: str, attribute: str = "content") -> str | None:
        found = page.locator(f"head {selector}")
        return found.first.get_attribute(attribute) if found.count() else None

    return {
        "canonical": content("link[rel=canonical]", "href"),
        "og:url": content("meta[property='og:url']"),
        "og:title": content("meta[property='og:title']"),
        "og:description": content("meta[property='og:description']"),
        "og:type": content("meta[property='og:type']"),
    }


def test_canonical_links_opengraph_and_sitemap_with_site_url(
    published_site: str, atlas_site, knowledge_base: KnowledgeBase, page
):
    record = knowledge_base["huawei"]
    page.goto(published_site + record.url)
    head = _head(page)
    assert head["canonical"] == SITE_URL + record.url
    assert head["og:url"] == SITE_URL + record.url
    assert head["og:title"] == record.label
    assert head["og:type"] == "article"
    assert head["og:description"]
    # The header's repository link asks no forge's API (Material's would ask GitHub's).
    assert page.locator(f".md-header a.md-source[href='{REPO_URL}']").count() == 1
    assert page.locator(f"footer .kb-licence a[href='{REPO_URL}#licence']").count() == 1
    page.problems.assert_none()
    assert page.problems.external_requests == []
    page.goto(published_site)
    assert _head(page)["og:type"] == "website"
    # The sitemap lists every record page by its address.
    sitemap = page.request.get(published_site + "sitemap.xml").text()
    listed = set(re.findall(r"<loc>([^<]+)</loc>", sitemap))
    assert {SITE_URL + r.url for r in knowledge_base.records.values()} <= listed
    # Without site_url: no canonical link, no og:url, an empty sitemap; the rest is there.
    page.goto(atlas_site.url(record.url))
    head = _head(page)
    assert head["canonical"] is None and head["og:url"] is None
    assert head["og:title"] == record.label
    assert page.locator("footer .kb-licence a").count() == 0
    assert "<loc>" not in (atlas_site.site_dir / "sitemap.xml").read_text(encoding="utf-8")


# -- a screenshot of every kind of page ---------------------------------------------------


def test_a_screenshot_of_every_kind_of_page(
    atlas_site, knowledge_base: KnowledgeBase, browser, screenshot_dir: Path
):
    """Home, an index, the timeline and one record of each kind, at 1280 and 390 px, saved in
    tests/output/browser/pages/ (to look at: the tests check the rest)."""
    folder = screenshot_dir / "pages"
    folder.mkdir(exist_ok=True)
    pages = {"home": "", "index": "organizations/", "timeline": "timeline/"}
    for kind in KIND_ORDER:
        records = knowledge_base.by_kind.get(kind, [])
        assert records, f"the fixture has no {kind}"
        # The record most others refer to: the fullest page of its kind.
        chosen = max(records, key=lambda r: (len(r.backlinks), r.sort_key))
        pages[kind] = chosen.url
    for width in (DESKTOP, PHONE):
        context = browser.new_context(viewport=width)
        try:
            page = context.new_page()
            for name, url in pages.items():
                page.goto(atlas_site.url(url), wait_until="networkidle")
                shot = folder / f"{name}-{width['width']}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 0
        finally:
            context.close()
