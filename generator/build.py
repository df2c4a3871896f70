"""The build orchestrator: check, render, write, then mkdocs.

    load -> validate -> model      (pipeline.check_project)
         -> render                 (render.render_pages: every page, in memory)
         -> write                  (write.write_pages: build/docs/, only what changed)
         -> mkdocs build --strict  (into a temporary folder, ...)
         -> pagefind               (... indexed for search, then swapped in as site/)

NOTE: order matters. Nothing is rendered unless the whole knowledge base validated, nothing is
written unless every page rendered, and site/ is replaced only by a site that built without a
single warning. So a failing build at any stage leaves the previous build/docs/ and site/ as
they were, and facts/ and content/ are only ever read.

`build_markdown(project)` and `build_site(project)` are the entry points `kb build` and
`kb serve` share.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .cache import RecordCache
from .incremental import BuildMemory, BuildPages, LiveState, apply_edits
from .pipeline import CheckOutcome, Project, check_project, cyclic_gc_paused, timed
from .problems import ProblemCollector, printable
from .render import relative_href, render_pages
from .schema import default_schemas
from .write import WriteReport, replace_folder, write_pages

# Files from the knowledge base root that become pages, if present (other people write them).
ROOT_PAGES = {
    "CONTRIBUTING.md": "contributing/index.md",
    "schemas/reference.md": "contributing/schema-reference.md",
}
# Browser scripts the site serves itself rather than loading from a CDN (the site must work
# offline and fetch nothing from elsewhere): pinned in vendor.txt, fetched by `make vendor` into
# the .cache/ beside the generator, since they belong to the site's toolchain, not to a
# knowledge base. Page in the build folder -> fetched file.
VENDORED_ASSETS = {
    f"assets/vendor/{name}": Path(__file__).resolve().parent.parent / ".cache/vendor" / name
    for name in ("mermaid.min.js", "tablesort.min.js")
}
MKDOCS_CONFIG = "mkdocs.yml"
# A knowledge base without an mkdocs.yml of its own (a test fixture, a synthetic benchmark) is
# published with the site configuration of the repository the generator belongs to.
DEFAULT_MKDOCS_CONFIG = Path(__file__).resolve().parent.parent / MKDOCS_CONFIG


# Parts of a record page that are on every page of its kind, or are not the record's words:
# permalink marks, footnote marks and the footnotes, table headings, the section headings (every
# <h2> of a record page is a fixed one: "Key facts", "Sources", ...) and the diagrams' source.
# Not indexed, so that "sources" or "key facts" do not find every page. (The record pages
# carry Pagefind's other attributes themselves: see overrides/main.html and render.py.)
SEARCH_EXCLUDED = (".headerlink", ".footnote-ref", ".footnote", "thead", "h2", ".mermaid")


class BuildError(Exception):
    """A build that cannot go on; the message says why, for the person running it."""


@dataclass
class MarkdownResult:
    """What rendering the Markdown produced. `pages` is None when validation failed."""

    check: CheckOutcome
    pages: Mapping[str, str | bytes] | None = None
    report: WriteReport | None = None

    @property
    def ok(self) -> bool:
        return self.pages is not None


@dataclass
class SiteResult:
    markdown: MarkdownResult
    site_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)


def carried_pages(project: Project) -> dict[str, bytes]:
    """Files copied into the build folder as they are: everything in content/ (hidden files
    skipped), CONTRIBUTING.md, the schema reference and the vendored scripts."""
    pages: dict[str, bytes] = {}
    _refuse_link(project, project.content_dir)
    if project.content_dir.is_dir():
        for path in sorted(project.content_dir.rglob("*")):
            relative = path.relative_to(project.content_dir)
            if any(part.startswith(".") for part in relative.parts):
                continue
            _refuse_link(project, path)
            if path.is_file():
                pages[relative.as_posix()] = path.read_bytes()
    for source, page in ROOT_PAGES.items():
        path = project.root / source
        _refuse_link(project, path)
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise BuildError(f"{source}: not UTF-8 text ({error.reason})") from None
            pages[page] = _retarget_root_links(text, source, page)
    for page, fetched in VENDORED_ASSETS.items():
        if not fetched.is_file():
            raise BuildError(
                f"{fetched}: missing; run `make vendor` to fetch it (the site draws its "
                "diagrams with it; vendor.txt pins the version)"
            )
        pages[page] = fetched.read_bytes()
    return pages


# A Markdown link or image target: ](target) or ](<target>), with an optional #fragment.
_LINK_TARGET = re.compile(r"\]\(<?(?P<target>[^)\s<>#]+)(?P<fragment>#[^)\s<>]*)?>?")


def _retarget_root_links(text: str, source: str, page: str) -> bytes:
    """Links between the root pages (CONTRIBUTING.md -> schemas/reference.md) work on GitHub;
    in the site those files live elsewhere, so their links to each other are pointed there."""

    def retarget(match: re.Match) -> str:
        target = match["target"]
        if "://" in target or target.startswith("/"):
            return match[0]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        moved = ROOT_PAGES.get(resolved)
        if moved is None:
            return match[0]
        return f"]({relative_href(page, moved)}{match['fragment'] or ''}"

    return _LINK_TARGET.sub(retarget, text).encode("utf-8")


def _refuse_link(project: Project, path: Path) -> None:
    # NOTE: a link is refused, never followed: `content/env.txt -> /proc/self/environ` in a
    # pull request would otherwise publish the build machine's environment (and its secrets).
    if path.is_symlink():
        shown = path.relative_to(project.root).as_posix()
        raise BuildError(
            f"{shown}: symbolic link: pages are real files in the knowledge base "
            "(a link can point anywhere on the machine that builds the site); copy the file in"
        )


def build_markdown(
    project: Project,
    write: bool = True,
    timings: dict[str, float] | None = None,
    changed: Iterable[Path] | None = None,
) -> MarkdownResult:
    """Validate, then render every page and write build/docs/ (unless `write` is False).

    Returns with `pages` None, and writes nothing, when the knowledge base has errors.
    A build that writes remembers what it did (incremental.BuildMemory): when nothing changed
    since, the next one does nothing; when only facts changed, it renders only the pages they
    affect. `timings`, when given, receives the seconds each stage took (kb bench).

    `changed` (kb serve, whose watcher saw them change) are the only files that changed since
    this process's last build: then an edit of fact files is applied to the last build's model
    in place when it can be (build_after_edit), without listing every input and page.
    """
    if write and changed is not None:
        edited = build_after_edit(project, changed, timings)
        if edited is not None:
            return edited
    with cyclic_gc_paused():
        memory = BuildMemory.open(project) if write else None
        with timed(timings, "load"):
            warm = memory.warm_result() if memory is not None else None
        if warm is not None:
            return MarkdownResult(
                check=CheckOutcome(
                    collector=ProblemCollector(problems=warm.problems),
                    record_count=warm.record_count,
                    knowledge_base=None,  # not needed: nothing is rendered
                ),
                pages=BuildPages({}, warm.page_paths, project.build_dir),
                report=WriteReport(unchanged=warm.page_paths),
            )
        records = memory.records if memory is not None else RecordCache(project.cache_dir)
        outcome = check_project(
            project,
            cache=records,
            timings=timings,
            memo=memory.checked if memory is not None else None,
        )
        result = MarkdownResult(check=outcome)
        if memory is not None:
            memory.live = None
            memory.applied_in_place = False
        if outcome.knowledge_base is None:
            return result
        with timed(timings, "render"):
            carried = carried_pages(project)
            if memory is None:
                rendered = render_pages(
                    outcome.knowledge_base, override_dir=project.templates_dir, carried=carried
                )
                kept: set[str] = set()
            else:
                rendered, kept = memory.render(
                    outcome.knowledge_base, project.templates_dir, carried
                )
            result.pages = BuildPages({**carried, **rendered}, kept, project.build_dir)
        if write:
            with timed(timings, "write"):
                result.report = write_pages(project.build_dir, result.pages.fresh, keep=kept)
            with timed(timings, "remember"):
                records.save()
                memory.remember(result.report, outcome.collector.problems, outcome.record_count)
                memory.live = LiveState(
                    facts=outcome.facts,
                    checked=outcome.checked,
                    kb=outcome.knowledge_base,
                    problems=list(outcome.collector.problems),
                )
    return result


def build_after_edit(
    project: Project, changed: Iterable[Path], timings: dict[str, float] | None = None
) -> MarkdownResult | None:
    """The build after fact files were edited, in a process that built before (kb serve):
    only the edited files are read and checked, the model is updated in place, and only the
    pages that read what changed are rendered (incremental.apply_edits says when this is
    possible). None when it is not: then the whole build runs.

    NOTE: the build folder is not listed: its files are taken to be as this process left
    them (nobody else writes there while kb serve runs).
    """
    memory = BuildMemory.open(project)
    with cyclic_gc_paused():
        with timed(timings, "validate"):
            applied = apply_edits(memory, changed, default_schemas())
        if applied is None:
            return None
        memory.applied_in_place = True
        memory.scanned = applied.scanned
        memory.changed_inputs = applied.changed_inputs
        memory.outputs = {
            path: page.output for path, page in memory.pages.items() if page.output is not None
        }
        outcome = CheckOutcome(
            collector=ProblemCollector(problems=applied.problems),
            record_count=applied.record_count,
            knowledge_base=applied.kb,
        )
        result = MarkdownResult(check=outcome)
        with timed(timings, "render"):
            # Only fact files changed (apply_edits says so), so the carried pages (content/,
            # the vendored scripts: megabytes) are as the last build wrote them: kept on disk,
            # neither read nor compared again.
            carried = {path: page for path, page in memory.pages.items() if page.kind == "carried"}
            rendered, kept = memory.render(
                applied.kb, project.templates_dir, carried, applied.edited_fields
            )
            memory.pages.update(carried)
            kept |= set(carried)
            result.pages = BuildPages(rendered, kept, project.build_dir)
        with timed(timings, "write"):
            result.report = write_pages(
                project.build_dir, result.pages.fresh, keep=kept, delete_stale=False
            )
        with timed(timings, "remember"):
            memory.records.save()
            outputs = dict(memory.outputs)
            for path in result.report.written:
                status = os.lstat(project.build_dir / path)
                outputs[path] = (status.st_size, status.st_mtime_ns, status.st_ino)
            memory.remember(result.report, applied.problems, applied.record_count, outputs)
    return result


def mkdocs_config_file(project: Project) -> Path:
    own = project.root / MKDOCS_CONFIG
    if own.is_file():
        return own
    if DEFAULT_MKDOCS_CONFIG.is_file():
        return DEFAULT_MKDOCS_CONFIG
    raise BuildError(
        f"no {MKDOCS_CONFIG} in {project.root} and none beside the generator "
        f"({DEFAULT_MKDOCS_CONFIG}); add one to configure the site"
    )


class _MkdocsLog(logging.Handler):
    """Collects what mkdocs logs, and shows warnings and errors as the mkdocs command would."""

    def __init__(self, echo: bool):
        super().__init__(level=logging.INFO)
        self.echo = echo
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            self.warnings.append(f"{record.levelname}: {message}")
            if self.echo:
                print(printable(f"mkdocs {record.levelname}: {message}"), flush=True)


def run_mkdocs(project: Project, site_dir: Path, echo: bool = True) -> list[str]:
    """`mkdocs build --strict` of the project's build folder into `site_dir`.

    Raises BuildError listing mkdocs' warnings if there was any (strict: a warning fails).
    """
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    handler = _MkdocsLog(echo)
    logger = logging.getLogger("mkdocs")
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # mkdocs' messages go to our handler only, not to the root logger
    try:
        config = load_config(
            config_file=str(mkdocs_config_file(project)),
            docs_dir=str(project.build_dir),
            site_dir=str(site_dir),
            strict=True,
        )
        mkdocs_build(config)
    except MkDocsException as error:
        details = "\n".join(handler.warnings)
        raise BuildError(
            f"mkdocs build failed: {error}" + (f"\n{details}" if details else "")
        ) from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate
    if handler.warnings:
        raise BuildError("mkdocs reported warnings:\n" + "\n".join(handler.warnings))
    return handler.warnings


def run_pagefind(site_dir: Path) -> float:
    """Index a built site for search: Pagefind writes its index and scripts into
    `site_dir`/pagefind/. Returns the seconds it took; raises BuildError if it failed."""
    from pagefind_bin import get_executable

    command = [str(get_executable()), "--site", str(site_dir), "--quiet"]
    for selector in SEARCH_EXCLUDED:
        command += ["--exclude-selectors", selector]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        said = (completed.stderr or completed.stdout).strip()
        raise BuildError(
            f"pagefind could not index the site (exit {completed.returncode}):\n{said}"
        )
    return seconds


def build_site(project: Project, echo: bool = True) -> SiteResult:
    """The whole build: Markdown into build/docs/, then the HTML site, indexed for search,
    swapped in as site/.

    Returns with `site_dir` None when validation failed (nothing written). Raises BuildError
    when rendering succeeded but mkdocs or Pagefind failed; site/ is then left as it was.
    """
    markdown = build_markdown(project)
    result = SiteResult(markdown=markdown)
    if not markdown.ok:
        return result

    def build_into(folder: Path) -> None:
        result.warnings = run_mkdocs(project, folder, echo=echo)
        run_pagefind(folder)

    replace_folder(project.site_dir, build_into)
    result.site_dir = project.site_dir
    return result
