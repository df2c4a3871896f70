"""`kb serve`: the live preview a contributor edits facts against.

Each test runs the real `kb serve` in its own process on a copy of a small knowledge base (the
golden tests' fictional one) in tmp_path, on a free port of 127.0.0.1, and reads the served
pages over HTTP as a browser would. Waits are bounded (the site must update within
WAIT_SECONDS) but nothing is timed more finely than that: how fast an edit shows up is
measured by `make bench`.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_kb

WAIT_SECONDS = 60
# The golden tests' small fictional knowledge base (no mkdocs.yml: the repository's is used).
SMALL_KB = REPO_ROOT / "tests" / "golden" / "kb"
FACT = Path("facts/organizations/bigcell.yaml")
PAGE = "organizations/bigcell/"
ORIGINAL_WORDS = "Fictional carrier, one of the"
VALID_ROLES = "roles: [carrier]"
INVALID_ROLES = "roles: [carier]"
EDITED_WORDS = "Fictional carrier, edited while serving, one of the"
HELD_BACK_WORDS = "Fictional carrier, edited badly, one of the"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str | None:
    """The page's HTML, or None while the server is not answering (yet) or answers an error."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


class ServeProcess:
    """A running `kb serve`, with everything it prints collected as it prints it."""

    def __init__(self, root: Path, port: int):
        self.base_url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(root), "--port", str(port)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def page(self, path: str) -> str | None:
        return fetch(self.base_url + path)

    def wait_until(self, what: str, condition: Callable[[], bool]) -> None:
        """Poll `condition` until it holds; fail, with what the server printed, after the bound."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                pytest.fail(
                    f"kb serve exited ({self.process.returncode}) before {what}:\n{self.output}"
                )
            time.sleep(0.2)
        pytest.fail(f"not within {WAIT_SECONDS} s: {what}. kb serve printed:\n{self.output}")

    def wait_for_page(self, path: str, text: str) -> str:
        found: list[str] = []

        def shows_text() -> bool:
            html = self.page(path)
            if html is not None and text in html:
                found.append(html)
                return True
            return False

        self.wait_until(f"{self.base_url}{path} shows {text!r}", shows_text)
        return found[0]

    def interrupt(self) -> int:
        """Ctrl-C, as a person stops the server; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        """Stop the server if a test left it running, and release its pipe."""
        if self.process.poll() is None:
            # SIGTERM stops kb serve cleanly (mkdocs removes its temporary site); kill if stuck.
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=5)
        self.process.stdout.close()


def edit(path: Path, *replacements: tuple[str, str]) -> None:
    """Save a fact file with some text replaced, in one write (each text must be there)."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"{path} no longer contains {old!r}: update this test"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    """A copy of the small knowledge base, to edit while it is served."""
    root = tmp_path / "kb"
    shutil.copytree(SMALL_KB, root)
    return root


@pytest.fixture
def serve(knowledge_base: Path) -> Iterator[ServeProcess]:
    """`kb serve` on the copy, already answering with the page to edit."""
    server = ServeProcess(knowledge_base, free_port())
    try:
        server.wait_for_page(PAGE, ORIGINAL_WORDS)
        yield server
    finally:
        server.close()


@pytest.mark.slow
def test_an_edited_fact_shows_up_in_the_served_site(serve, knowledge_base):
    edit(knowledge_base / FACT, (ORIGINAL_WORDS, EDITED_WORDS))

    serve.wait_for_page(PAGE, EDITED_WORDS)

    assert "kb serve: regenerated" in serve.output.split("Serving on")[-1]
    assert serve.interrupt() == 0
    assert serve.output.rstrip().endswith("kb serve: stopped.")


@pytest.mark.slow
def test_invalid_facts_keep_the_last_good_site_and_print_the_report(serve, knowledge_base):
    fact = knowledge_base / FACT
    # One save both breaks the file and changes the summary: the summary must not show up.
    edit(fact, (ORIGINAL_WORDS, HELD_BACK_WORDS), (VALID_ROLES, INVALID_ROLES))

    serve.wait_until(
        "the check report is printed",
        lambda: "still serving the last good site" in serve.output,
    )
    assert (
        "facts/organizations/bigcell.yaml:2:9: roles[0]: unknown value 'carier' "
        "(did you mean 'carrier'?)" in serve.output
    )
    assert "    2 | roles: [carier]" in serve.output
    html = serve.page(PAGE)
    assert html is not None, "the last good page is no longer served"
    assert ORIGINAL_WORDS in html
    assert HELD_BACK_WORDS not in html

    # Fixing the error brings the edit that was waiting behind it.
    edit(fact, (INVALID_ROLES, VALID_ROLES))
    serve.wait_for_page(PAGE, HELD_BACK_WORDS)


@pytest.mark.slow
def test_an_edited_theme_override_shows_on_a_page_the_edit_did_not_touch(knowledge_base):
    """kb serve keeps mkdocs' compiled theme templates from one build to the next
    (publish/serve.py, ThemeEnvironment): an edit of the theme's overrides must still show,
    on every page, though no page's Markdown changed."""
    shutil.copy(REPO_ROOT / "mkdocs.yml", knowledge_base / "mkdocs.yml")
    shutil.copytree(REPO_ROOT / "overrides", knowledge_base / "overrides")
    server = ServeProcess(knowledge_base, free_port())
    try:
        server.wait_for_page(PAGE, ORIGINAL_WORDS)
        edit(knowledge_base / FACT, (ORIGINAL_WORDS, EDITED_WORDS))  # a build with the theme
        server.wait_for_page(PAGE, EDITED_WORDS)
        edit(
            knowledge_base / "overrides" / "main.html",
            ("{% block extrahead %}", '{% block extrahead %}<meta name="kb-test" content="x">'),
        )
        server.wait_for_page(PAGE, '<meta name="kb-test" content="x">')
    finally:
        server.close()


def test_the_theme_environment_is_made_again_when_its_files_change(tmp_path):
    """What makes kb serve compile the theme's templates again: mkdocs.yml, or a file under
    its custom_dir, changed, added or removed; nothing else."""
    from mkdocs.config import load_config

    from generator.publish.serve import ThemeEnvironment

    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(
        "site_name: Test\ntheme:\n  name: material\n  custom_dir: overrides\n", encoding="utf-8"
    )
    (tmp_path / "docs").mkdir()
    overrides = tmp_path / "overrides"
    (overrides / "partials").mkdir(parents=True)
    (overrides / "main.html").write_text('{% extends "base.html" %}\n', encoding="utf-8")
    theme = ThemeEnvironment(config_file)

    def env():
        config = theme.kept(lambda: load_config(config_file=str(config_file)))
        return config.theme.get_env(), theme.remade

    first, made = env()
    assert made and first.get_template("main.html")
    assert env() == (first, False)
    changes = [
        lambda: (overrides / "main.html").write_text("edited\n", encoding="utf-8"),
        lambda: (overrides / "partials" / "footer.html").write_text("", encoding="utf-8"),
        lambda: (overrides / "partials" / "footer.html").unlink(),
        lambda: config_file.write_text(
            config_file.read_text(encoding="utf-8") + "  language: de\n", encoding="utf-8"
        ),
    ]
    for change in changes:
        change()
        made_again, made = env()
        assert made and made_again is not first
        assert env() == (made_again, False)
        first = made_again
    assert "edited" in first.get_template("main.html").render()


def test_garbage_is_collected_once_serving_is_quiet(knowledge_base):
    """kb serve defers Python's full garbage collection out of an edit's rebuild (publish/
    serve.py, COLLECT_WHEN_QUIET_SECONDS): it must still run once edits pause, and the
    collector be as it was when serving stops."""
    from generator.project import Project
    from generator.publish.serve import FULL_COLLECTION_AFTER, MarkdownRegenerator

    class Cycle:
        pass

    thresholds = gc.get_threshold()
    regenerator = MarkdownRegenerator(Project(knowledge_base), quiet_seconds=0.2)
    assert regenerator.regenerate().ok
    regenerator.start()
    try:
        assert gc.get_threshold()[2] == FULL_COLLECTION_AFTER
        cycle = Cycle()
        cycle.itself = cycle
        garbage = weakref.ref(cycle)
        gc.collect()  # `cycle` is reachable: now in the oldest generation, which only a full
        del cycle  # collection looks at
        edit(knowledge_base / FACT, (ORIGINAL_WORDS, EDITED_WORDS))
        regenerator.changed(knowledge_base / FACT)
        deadline = time.monotonic() + WAIT_SECONDS
        while garbage() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert garbage() is None, "no full collection after the edit's build"
        page = knowledge_base / "build" / "docs" / "organizations" / "bigcell.md"
        assert EDITED_WORDS in page.read_text(encoding="utf-8")
    finally:
        regenerator.stop()
    assert gc.get_threshold() == thresholds


def test_serve_refuses_to_start_on_invalid_facts(knowledge_base):
    edit(knowledge_base / FACT, (VALID_ROLES, INVALID_ROLES))

    result = run_kb("serve", knowledge_base, "--port", str(free_port()), timeout=WAIT_SECONDS)

    assert result.code == 1
    assert "facts/organizations/bigcell.yaml:2:9: roles[0]: unknown value 'carier'" in result.out
    assert result.err.strip() == "kb serve: not serving; fix the errors above first."
    assert not (knowledge_base / "build").exists()


def test_serve_says_when_the_port_is_taken(knowledge_base):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_kb("serve", knowledge_base, "--port", str(port), timeout=WAIT_SECONDS)

    assert result.code == 1
    assert result.err.strip() == (
        f"kb serve: 127.0.0.1:{port} is in use (another kb serve?); choose one with --port"
    )
    assert not (knowledge_base / "build").exists()


class RecordingRegenerator:
    """Stands in for kb serve's regenerator: records the paths it is told have changed."""

    def __init__(self):
        self.paths = []

    def changed(self, path=None):
        self.paths.append(path)


def test_a_saved_file_is_one_changed_path_not_a_changed_folder(knowledge_base):
    """Saving a file also reports its folder as modified; taken as "something changed", that
    made every save render every page instead of the pages the edit can change."""
    from watchdog.events import DirModifiedEvent, FileModifiedEvent, FileMovedEvent

    from generator.project import Project
    from generator.publish.serve import InputWatcher, _InputChanges

    regenerator = RecordingRegenerator()
    handler = _InputChanges(InputWatcher(Project(knowledge_base), regenerator))
    fact = knowledge_base / FACT
    folder = fact.parent
    handler.on_any_event(FileModifiedEvent(str(fact)))
    handler.on_any_event(DirModifiedEvent(str(folder)))
    # An editor's atomic save: a temporary file renamed over the fact file.
    handler.on_any_event(FileMovedEvent(str(folder / ".bigcell.yaml.swp"), str(fact)))
    assert None not in regenerator.paths and fact in regenerator.paths


def test_the_watcher_hears_every_change_and_no_read(knowledge_base):
    """kb serve's watcher subscribes to changes only (publish/serve.py, CHANGE_EVENTS): every
    build reads each fact file, and handling the events of those reads made it 0.2 s slower at
    1,000 records. Each kind of change must still be heard."""
    from generator.project import Project
    from generator.publish.serve import InputWatcher

    regenerator = RecordingRegenerator()
    watcher = InputWatcher(Project(knowledge_base), regenerator)
    heard: list[str] = []
    handle = watcher.handler.on_any_event
    watcher.handler.on_any_event = lambda event: (heard.append(event.event_type), handle(event))
    watcher.start()
    try:
        for fact in sorted((knowledge_base / "facts").rglob("*.yaml")):
            fact.read_bytes()
        fact = knowledge_base / FACT
        edit(fact, (ORIGINAL_WORDS, EDITED_WORDS))  # written in place
        saved = fact.with_name(".bigcell.yaml.tmp")  # an editor's atomic save
        saved.write_bytes(fact.read_bytes())
        saved.replace(fact)
        added = fact.with_name("added.yaml")
        added.write_bytes(fact.read_bytes())
        added.unlink()
        (knowledge_base / "templates").mkdir()  # a new input folder: render everything
        expected = {"modified", "moved", "created", "deleted"}
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not (
            expected <= set(heard) and None in regenerator.paths
        ):
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert expected <= set(heard), heard
    assert {fact, added, None} <= set(regenerator.paths)
    assert not {"opened", "closed_no_write"} & set(heard), "reading files was reported"
