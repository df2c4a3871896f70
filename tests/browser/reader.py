"""What a reader does on the site, as Playwright steps shared by the browser tests."""

from __future__ import annotations

from urllib.parse import urlsplit

RESULT_LINKS = ".md-search-result__item > a.md-search-result__link"
# Material's result summary reads "Initializing search", "Type to start searching", then
# "No matching documents", "1 matching document" or "N matching documents" for a query.
RESULTS_SHOWN = "() => /matching document/.test(document.querySelector('.md-search-result__meta')?.textContent ?? '')"  # noqa: E501
RESULTS_CLEARED = "() => !/matching document/.test(document.querySelector('.md-search-result__meta')?.textContent ?? '')"  # noqa: E501


def search(page, query: str):
    """Type `query` into Material's search box and wait for its results; returns the result links
    (a Locator, best first; empty when nothing matched).

    Material searches on each key released, so typing character by character shows the results
    of every prefix in turn, and a test could read those of "Le" while it means "Lei Jun". So the
    box is emptied first (the summary goes back to "Type to start searching"), the query is put
    in whole but for its last character, and that one is typed: the first results shown after
    that are the query's.
    """
    box = page.locator("input.md-search__input")
    box.click()
    if box.input_value():
        box.fill("")
        box.press("Backspace")
        page.wait_for_function(RESULTS_CLEARED)
    box.fill(query[:-1])
    box.press(query[-1])
    page.wait_for_function(RESULTS_SHOWN)
    return page.locator(RESULT_LINKS)


def path_of(url: str) -> str:
    """The path of a URL, without the query (search adds ?h=<words> to highlight) or fragment."""
    return urlsplit(url).path


def result_pages(links) -> list[str]:
    """The distinct pages among search result links, in the order shown, as paths from the root
    ('/people/lei-jun/'); results for sections of a page count as the page."""
    paths = [path_of(href) for href in links.evaluate_all("links => links.map(a => a.href)")]
    return list(dict.fromkeys(paths))


def article_title(page) -> str:
    """The page's heading as shown, without the permalink mark the toc extension adds."""
    return page.locator("article h1").first.evaluate(
        "h => { const c = h.cloneNode(true); c.querySelectorAll('.headerlink')"
        ".forEach(a => a.remove()); return c.textContent.trim(); }"
    )
