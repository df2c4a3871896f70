"""Live preview: regenerate the Markdown when an input changes, and let mkdocs serve the site.

Two loops run side by side in one process:

- ours: a watchdog observer on the knowledge base's inputs (facts/, content/, templates/,
  schemas/, CONTRIBUTING.md). On a change it waits for the writes to settle, then rebuilds the
  Markdown (pipeline.ServeBuilds), rewriting only the pages whose bytes changed.
- mkdocs' live-reloading server (its LiveReloadServer, with mkdocs' own dirty build) on the
  build folder: told by the regenerator that pages were rewritten, it rebuilds only them and
  reloads the browser. The theme's compiled templates are kept from one build to the next
  (ThemeEnvironment); a change of mkdocs.yml or of the theme's overrides rebuilds every page.

NOTE: not `mkdocs serve` itself. It polls the whole build folder every 0.5 s (a stat of every
page each time), so an edit waited 0.25 s on average, up to 0.5 s, before mkdocs looked. Here
the regenerator knows when it has written pages: it touches one signal file, which the server
polls every SIGNAL_POLL_SECONDS (a stat of one file). `make bench` measures the whole wait.

When the facts have errors nothing is written, so mkdocs goes on serving the last good site
while the `kb check` report is printed. No MkDocs plugin or hook is involved: mkdocs.yml stays
plain, and mkdocs sees nothing but a folder of Markdown that changes.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from watchdog import events
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..pipeline import MarkdownResult, ServeBuilds
from ..problems import format_report, printable
from ..project import BuildError, Project
from ..render.carried import ROOT_PAGES
from ..render.escape import FrontMatterError
from ..render.render import DuplicatePageError, TemplateUsageError
from ..write import TEMP_PREFIX, UnsafePagePath
from . import mkdocs_config_file

# Folders whose files are inputs of the Markdown (watched recursively), and single files.
INPUT_FOLDERS = ("facts", "content", "templates", "schemas")
INPUT_FILES = frozenset(ROOT_PAGES)
# What the watcher is told about: every change of a file or folder, not opening or reading
# one (see InputWatcher).
CHANGE_EVENTS = [
    events.FileCreatedEvent,
    events.FileModifiedEvent,
    events.FileAttribEvent,
    events.FileClosedEvent,
    events.FileMovedEvent,
    events.FileDeletedEvent,
    events.DirCreatedEvent,
    events.DirModifiedEvent,
    events.DirAttribEvent,
    events.DirMovedEvent,
    events.DirDeletedEvent,
]
# Editors save in bursts (write a temporary file, rename, touch the backup): regenerate once
# the knowledge base has been quiet this long.
SETTLE_SECONDS = 0.05
# How often the server looks at the signal file (and mkdocs.yml, the theme overrides).
SIGNAL_POLL_SECONDS = 0.05
# Python's full garbage collection (0.15 to 0.2 s at 1,000 records, with a model, its pages
# and mkdocs' site in memory) ran during nearly every edit's rebuild. While serving, it runs
# once the knowledge base has been quiet this long after a build, and on its own only after
# this many younger collections (about ten edits without a pause) instead of Python's 10.
COLLECT_WHEN_QUIET_SECONDS = 1.0
FULL_COLLECTION_AFTER = 100
# Errors a broken input or template can cause: reported in one line, the server keeps going.
# Anything else is a bug in the generator: reported with its traceback, the server keeps going.
REPORTED_ERRORS = (
    BuildError,
    TemplateUsageError,
    UnsafePagePath,
    DuplicatePageError,
    FrontMatterError,
    jinja2.TemplateError,
)
# mkdocs warns about `--dirty` on every rebuild; our nav never changes with the facts, and the
# generator rewrites every page whose content changed, so the warning only buries real ones.
DIRTY_WARNING = "A 'dirty' build is being performed"


def say(message: str) -> None:
    print(printable(f"kb serve: {message}"), flush=True)


def is_input(project: Project, path: Path) -> bool:
    """Whether a changed file is something the Markdown is rendered from."""
    try:
        relative = path.resolve().relative_to(project.root)
    except ValueError:
        return False
    parts = relative.parts
    if not parts or any(part.startswith(TEMP_PREFIX) for part in parts):
        return False
    return parts[0] in INPUT_FOLDERS or relative.as_posix() in INPUT_FILES


class MarkdownRegenerator:
    """Re-renders build/docs/ from the knowledge base whenever `changed()` is called.

    Runs on its own thread, so a slow render never holds up the HTTP server; calls that arrive
    while it renders are folded into one more run afterwards. Once the knowledge base has been
    quiet for a while after a render, the thread runs Python's full garbage collection, which
    would otherwise fall in the middle of the next edit's (see COLLECT_WHEN_QUIET_SECONDS).
    """

    def __init__(
        self,
        project: Project,
        settle_seconds: float = SETTLE_SECONDS,
        quiet_seconds: float = COLLECT_WHEN_QUIET_SECONDS,
    ):
        self.project = project
        self.settle_seconds = settle_seconds
        self.quiet_seconds = quiet_seconds
        self._thresholds = gc.get_threshold()
        # Called after a render that wrote or deleted pages (serve_site: the server's signal).
        self.after_write: Callable[[], None] | None = None
        self._changed = threading.Event()
        self._stopping = threading.Event()
        # The files seen to change since the last render; None when something else changed
        # (a folder), so the next render lists every input itself.
        self._paths: set[Path] | None = set()
        self._paths_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="kb regenerate", daemon=True)
        self.builds = ServeBuilds(project)

    def start(self) -> None:
        gc.set_threshold(*self._thresholds[:2], FULL_COLLECTION_AFTER)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._thread.join(timeout=10)
        gc.set_threshold(*self._thresholds)

    def changed(self, path: Path | None = None) -> None:
        with self._paths_lock:
            if path is None or self._paths is None:
                self._paths = None
            else:
                self._paths.add(path)
        self._changed.set()

    def _take_paths(self) -> set[Path] | None:
        with self._paths_lock:
            paths, self._paths = self._paths, set()
        return paths

    def _loop(self) -> None:
        collected = False  # the first build's garbage, too
        while True:
            if not self._changed.wait(None if collected else self.quiet_seconds):
                gc.collect()  # quiet since the last build: see COLLECT_WHEN_QUIET_SECONDS
                collected = True
                continue
            if self._stopping.is_set():
                return
            # Wait for the burst of writes to end before reading anything.
            self._changed.clear()
            while self._changed.wait(self.settle_seconds):
                if self._stopping.is_set():
                    return
                self._changed.clear()
            self.regenerate()
            collected = False

    def regenerate(self) -> MarkdownResult | None:
        """One render of the whole knowledge base; reports errors instead of raising them."""
        try:
            # The watcher says which files changed: after an edit of fact files only the
            # pages it can change are rendered (pipeline.ServeBuilds).
            result = self.builds.build(self._take_paths())
        except REPORTED_ERRORS as error:
            say(f"{error}")
            say("still serving the last good site.")
            return None
        except Exception:  # a generator bug must not stop the preview: report it, keep serving
            traceback.print_exc()
            say("regenerating failed (a bug in the generator); still serving the last good site.")
            return None
        check = result.check
        problems = check.collector.sorted()
        if problems:
            print(format_report(problems, "text", False, check.record_count), flush=True)
        if not result.ok:
            say("the facts have errors; still serving the last good site. Save a fix to update.")
            return result
        written = result.report.written + result.report.deleted
        if written:
            shown = ", ".join(written[:5])
            if len(written) > 5:
                shown += f" and {len(written) - 5} more"
            say(f"regenerated {len(written)} page{'s' if len(written) != 1 else ''}: {shown}")
            if self.after_write:
                self.after_write()
        else:
            say("no page changed.")
        return result


class _InputChanges(FileSystemEventHandler):
    """Tells the regenerator about changes to inputs; starts watching new input folders."""

    def __init__(self, watcher: InputWatcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type == "modified":
            # A folder "modified" is one of its files written, which has its own event. Taken
            # as "something changed" it made every save render every page (1.6 s at 1,000
            # records, where the pages one edit can change take 0.3 s).
            return
        paths = [Path(os.fsdecode(event.src_path))]
        if getattr(event, "dest_path", ""):
            paths.append(Path(os.fsdecode(event.dest_path)))
        inputs = [path for path in paths if is_input(self.watcher.project, path)]
        for path in paths:
            if event.is_directory and path.parent == self.watcher.project.root:
                self.watcher.watch_new_folder(path)
        for path in inputs:
            self.watcher.regenerator.changed(None if event.is_directory else path)


class InputWatcher:
    """A watchdog observer on every input of the knowledge base (see INPUT_FOLDERS).

    NOTE: on the events that change a file or folder (CHANGE_EVENTS), not on every event.
    inotify also reports opening a file and closing it unwritten, and every build reads each
    fact file: the observer's thread handled 2,000 such events per edit at 1,000 records, and
    holding Python's lock for them made the build 0.2 s slower.
    """

    def __init__(self, project: Project, regenerator: MarkdownRegenerator):
        self.project = project
        self.regenerator = regenerator
        self.handler = _InputChanges(self)
        self.observer = Observer()
        self._watched: set[Path] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        try:
            self._schedule_all()
            self.observer.start()
        except OSError:
            # inotify can run out of watches on a busy machine: polling is slower but works.
            self.observer = PollingObserver(timeout=0.5)
            self._watched.clear()
            self._schedule_all()
            self.observer.start()

    def _schedule_all(self) -> None:
        # The root itself, not recursively: CONTRIBUTING.md, and input folders created later.
        self.observer.schedule(
            self.handler, str(self.project.root), recursive=False, event_filter=CHANGE_EVENTS
        )
        for name in INPUT_FOLDERS:
            self.watch_new_folder(self.project.root / name)

    def watch_new_folder(self, folder: Path) -> None:
        if folder.name not in INPUT_FOLDERS or not folder.is_dir():
            return
        with self._lock:
            if folder in self._watched:
                return
            self._watched.add(folder)
            self.observer.schedule(
                self.handler, str(folder), recursive=True, event_filter=CHANGE_EVENTS
            )
        if self.observer.is_alive():  # a folder that appeared while serving: it has inputs now
            self.regenerator.changed()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=10)


class _MkdocsMessages(logging.Handler):
    """Shows mkdocs' log as its own command line does, less the `--dirty` warning."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(DIRTY_WARNING):
            return
        print(printable(f"{record.levelname:<8}-  {message}"), file=sys.stderr, flush=True)


@contextmanager
def _mkdocs_logging() -> Iterator[None]:
    logger = logging.getLogger("mkdocs")
    handler = _MkdocsMessages()
    previous = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the server as Ctrl-C does, so mkdocs removes its temporary site."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_site(regenerator: MarkdownRegenerator, host: str, port: int) -> None:
    """Watch the inputs and serve the site until Ctrl-C. The Markdown must be built already
    (by `regenerator`, which then renders the edits).

    Raises mkdocs' exceptions (a broken mkdocs.yml) and OSError (the port is taken).
    """
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.livereload import LiveReloadServer

    project = regenerator.project
    config_file = mkdocs_config_file(project)
    site_dir = Path(tempfile.mkdtemp(prefix="kb-serve-"))
    signal_file = project.root / "build" / "serve" / "pages-written"
    signal_file.parent.mkdir(parents=True, exist_ok=True)
    signal_file.touch()

    def site_config():
        # NOTE: not strict, unlike `kb build`: a warning while editing must not stop the
        # preview (mkdocs would keep serving a stale site); it is printed all the same.
        config = load_config(
            config_file=str(config_file),
            site_dir=str(site_dir),
            docs_dir=str(project.build_dir),
            dev_addr=f"{host}:{port}",
            strict=False,
        )
        config.site_url = f"http://{host}:{port}{urlsplit(config.site_url or '/').path}"
        return config

    theme = ThemeEnvironment(config_file)
    config = theme.kept(site_config)

    def rebuild(loaded=None) -> None:
        # mkdocs.yml read again for every build (as `mkdocs serve` does: an edit of it shows),
        # but the first, which has it already. Dirty: mkdocs renders only the pages whose
        # files are newer than their HTML; every page the first time, and when mkdocs.yml or
        # the theme's files changed, which every page shows.
        loaded = loaded or theme.kept(site_config)
        build(loaded, serve_url=config.site_url, dirty=not theme.remade)

    server = LiveReloadServer(
        builder=rebuild,
        host=host,
        port=port,
        root=str(site_dir),
        mount_path=urlsplit(config.site_url).path,
        polling_interval=SIGNAL_POLL_SECONDS,
    )
    server.error_handler = lambda code: _error_page(site_dir, code)
    # mkdocs waits for a burst of changes to end (0.1 s); the signal comes once per render.
    server.build_delay = 0.01

    regenerator.after_write = signal_file.touch
    watcher = InputWatcher(project, regenerator)
    regenerator.start()
    watcher.start()
    try:
        with _mkdocs_logging(), _terminate_as_interrupt():
            rebuild(config)
            # The signal file, not the build folder: see the module's note.
            server.watch(str(signal_file.parent))
            server.watch(str(config_file))
            for folder in config.theme.dirs:
                if Path(folder).resolve().is_relative_to(project.root):
                    server.watch(folder)  # the site's overrides, not the installed theme
            try:
                server.serve()
            except KeyboardInterrupt:
                pass  # Ctrl-C, or SIGTERM (_terminate_as_interrupt): the command says "stopped"
            finally:
                server.shutdown()
    finally:
        watcher.stop()
        regenerator.stop()
        shutil.rmtree(site_dir, ignore_errors=True)


class ThemeEnvironment:
    """The theme's Jinja environment, kept from one of kb serve's mkdocs builds to the next
    while mkdocs.yml and the files under the theme's custom_dir (overrides/) stay the same.

    NOTE: mkdocs' build() asks the theme for a new environment each time (Theme.get_env), so
    each build compiled Material's templates again, half of a rebuild after one edit. The
    environment is mkdocs' own; the theme of the config handed to build() returns it. Made
    again when either changes: it never reads a template twice (auto_reload is off).
    """

    def __init__(self, config_file: Path):
        self.config_file = config_file
        self.remade = False  # whether the last `kept` made the environment (anew)
        self._made_from: tuple | None = None
        self._env: jinja2.Environment | None = None

    def kept(self, load_config: Callable[[], Any]) -> Any:
        """The config `load_config` loads, its theme giving the kept environment."""
        # NOTE: mkdocs.yml read before it is loaded, custom_dir listed before a template is
        # compiled: a change meanwhile differs from what is recorded here, so the build it
        # triggers makes the environment again.
        config_bytes = self.config_file.read_bytes()
        config = load_config()
        made_from = (config_bytes, _folder_state(config.theme.custom_dir))
        self.remade = made_from != self._made_from
        if self.remade:
            self._env, self._made_from = config.theme.get_env(), made_from
        env = self._env
        config.theme.get_env = lambda: env
        return config


def _folder_state(folder: str | None) -> tuple:
    """Each file under `folder` with its size and modification time: what saving, adding or
    removing a file changes."""
    if folder is None:
        return ()
    state = []
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            try:
                info = os.stat(path)
            except OSError:  # removed meanwhile: the next build sees it gone
                continue
            state.append((path, info.st_size, info.st_mtime_ns))
    return tuple(sorted(state))


def _error_page(site_dir: Path, code: int) -> bytes | None:
    """The site's own 404 page for a missing page, as `mkdocs serve` shows it."""
    page = site_dir / f"{code}.html"
    return page.read_bytes() if code in (404, 500) and page.is_file() else None
