"""What a reader does on the site, as Playwright steps shared by the browser tests."""

from __future__ import annotations

from urllib.parse import urlsplit

RESULT_LINKS = ".md-search-result__item > a.md-search-result__link"
RESULT_SUMMARY = ".md-search-result__meta"
# The search script (overrides/assets/search/search.js) marks its box with the query whose
# results are on screen, once they are all drawn.
RESULTS_SHOWN = "query => document.querySelector('.kb-search')?.dataset.kbSearchShown === query"


def search(page, query: str):
    """Type `query` into the header's search box and wait for its results; returns the result
    links (a Locator, best first; empty when nothing matched).

    The box searches on each input, and a slow answer to an earlier input could still be on
    screen: the script says which query the results shown are for, and this waits for that.
    """
    box = page.locator(".kb-search input.md-search__input")
    box.click()
    box.fill("")
    box.fill(query)
    page.wait_for_function(RESULTS_SHOWN, arg=query)
    return page.locator(RESULT_LINKS)


def path_of(url: str) -> str:
    """The path of a URL, without the query or fragment."""
    return urlsplit(url).path


def result_pages(links) -> list[str]:
    """The distinct pages among search result links, in the order shown, as paths from the root
    ('/people/lei-jun/'); results for sections of a page count as the page."""
    paths = [path_of(href) for href in links.evaluate_all("links => links.map(a => a.href)")]
    return list(dict.fromkeys(paths))


def result_kinds(links) -> list[str]:
    """The kind of record each result says it is ('Person'), in the order shown."""
    return links.evaluate_all(
        "links => links.map(a => a.querySelector('.md-tag')?.textContent.trim() ?? '')"
    )


def summary_text(page) -> str:
    return " ".join(page.locator(RESULT_SUMMARY).inner_text().split())


def article_title(page) -> str:
    """The page's heading as shown, without the permalink mark the toc extension adds."""
    return page.locator("article h1").first.evaluate(
        "h => { const c = h.cloneNode(true); c.querySelectorAll('.headerlink')"
        ".forEach(a => a.remove()); return c.textContent.trim(); }"
    )
