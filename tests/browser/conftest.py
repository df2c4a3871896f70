"""Fixtures for real-browser tests: a built site served on localhost, and headless Chromium.

Reusable by every browser test (the hostile-input test builds its own knowledge base with them):

- `built_site(facts_dir=ATLAS_FACTS)` (session scope) is a factory. It copies the repository's
  site folders (content/, mkdocs.yml, overrides/, templates/, schemas/, CONTRIBUTING.md,
  whichever exist) into a temporary knowledge base, with `facts_dir` as its facts/ (default:
  the browser tests' own knowledge base, tests/browser/kb/facts/; never the real facts/), runs
  the real `kb build` there, serves the resulting site/ over HTTP on 127.0.0.1 (a free port)
  and returns a `ServedSite`. The repository's own build/ and site/ are never touched. The same
  `facts_dir` is built once per session:

      def test_hostile_record(built_site, page, tmp_path_factory):
          facts = tmp_path_factory.mktemp("hostile") / "facts"
          ...write fact files...
          site = built_site(facts)
          page.goto(site.url("organizations/evil/"))

- `atlas_site`: `built_site()` on tests/browser/kb/facts/ (see its README).
- `browser` (session scope): Debian's Chromium launched headless by Playwright. The tests are
  skipped, with the reason, only when /usr/bin/chromium is missing (`make test` installs it).
- `page`: a fresh page whose console errors and uncaught page errors are recorded in
  `page.problems` (a `PageProblems`); `page.problems.assert_none()` fails with every one listed.
  Requests for any host but 127.0.0.1 are answered by Chromium's closed network here, so the
  site must not depend on them; they are recorded in `page.problems.external_requests`.
- `screenshot_dir`: tests/output/browser/ (gitignored), where screenshots are saved.

What a reader does (search with the header's box and wait for that query's results, read a
page's title, list result pages) is in tests/browser/reader.py, as plain functions.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO_ROOT, run_kb

CHROMIUM = Path("/usr/bin/chromium")
# Flags from the machine's notes: without the background-networking ones Chromium keeps trying
# to reach Google's hosts through a closed network; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every folder or file a knowledge base's site is built from, besides facts/.
SITE_INPUTS = ["content", "mkdocs.yml", "overrides", "templates", "schemas", "CONTRIBUTING.md"]
# The browser tests' knowledge base: small, made up, chosen for what the tests check.
ATLAS_FACTS = Path(__file__).parent / "kb" / "facts"
SCREENSHOT_DIR = REPO_ROOT / "tests" / "output" / "browser"
# Playwright's default is 30 s; a local static site answers in well under one.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test under tests/browser/ drives Chromium: mark them all so `-m "not browser"` works.
    browser_dir = Path(__file__).parent
    for item in items:
        if browser_dir in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class ServedSite:
    """A built knowledge base and the HTTP server showing its site/."""

    root: Path  # the temporary knowledge base (facts/, content/, build/, site/, ...)
    base_url: str  # "http://127.0.0.1:PORT/", ending in a slash

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def url(self, path: str = "") -> str:
        """The URL of a page of the site, from its path relative to the site root."""
        return self.base_url + path.lstrip("/")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # The default handler logs every request to stderr, which would bury pytest's output.
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve {folder}", daemon=True)
    thread.start()
    return server, thread


def make_knowledge_base(root: Path, facts_dir: Path = ATLAS_FACTS) -> Path:
    """Lay out a knowledge base at `root`: the repository's site inputs plus a facts/ folder."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SITE_INPUTS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.is_file():
            shutil.copy2(source, root / name)
    shutil.copytree(facts_dir, root / "facts")
    return root


@pytest.fixture(scope="session")
def built_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ServedSite]]:
    """Factory: `built_site(facts_dir)` builds and serves a site (see the module docstring)."""
    sites: dict[Path, ServedSite] = {}
    servers: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def build(facts_dir: Path = ATLAS_FACTS) -> ServedSite:
        key = facts_dir.resolve()
        if key in sites:
            return sites[key]
        root = make_knowledge_base(tmp_path_factory.mktemp("site") / "kb", facts_dir)
        result = run_kb("build", root, cwd=root)
        assert result.code == 0, f"kb build failed:\n{result.out}\n{result.err}"
        server, thread = _serve_folder(root / "site")
        servers.append((server, thread))
        host, port = server.server_address[:2]
        sites[key] = ServedSite(root=root, base_url=f"http://{host}:{port}/")
        return sites[key]

    yield build
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def atlas_site(built_site: Callable[..., ServedSite]) -> ServedSite:
    """The site built from the browser tests' knowledge base, tests/browser/kb/facts/."""
    return built_site()


def serve_under(folder: Path, site_dir: Path, mount: str) -> http.server.ThreadingHTTPServer:
    """Serve `site_dir` at /`mount`/ (a sub-path, as a site published under a project's path
    is), from `folder`; the caller shuts the server down."""
    (folder / mount).symlink_to(site_dir, target_is_directory=True)
    server, _ = _serve_folder(folder)
    return server


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (its own browser download cannot work)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make chromium` (part of `make test`) installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong in a page while a test drove it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        """Fail, listing everything, if the console showed an error or a script failed."""
        found = [f"console error: {text}" for text in self.console_errors]
        found += [f"uncaught error: {text}" for text in self.page_errors]
        found += [f"dialog opened: {text}" for text in self.dialogs]
        assert not found, "the browser reported problems:\n" + "\n".join(found)


@pytest.fixture
def page(browser):
    """A fresh browser page that records console errors, page errors and dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems()

    def on_console(message) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            problems.console_errors.append(f"{message.text} ({location})".strip())

    def on_dialog(dialog) -> None:
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(request) -> None:
        if urlsplit(request.url).hostname not in ("127.0.0.1", None):
            problems.external_requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    page.on("request", on_request)
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """tests/output/browser/, where browser tests save their screenshots (gitignored)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
