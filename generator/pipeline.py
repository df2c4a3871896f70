"""The orchestrator: the one place that knows the order of the stages.

    load      read every fact file                     (load/: FactFile, positions on demand;
              and, once the facts are valid, git's history of facts/: load/history.py)
    validate  check each file, then across files       (validate/: problems, collected)
    model     link the records into one graph          (model/: KnowledgeBase)
    render    every page of the build folder, in memory (render/: Jinja templates, content/)
    export    the data for machines, in memory        (export/: api/v1/ JSON and CSV, feed.xml)
    write     build/docs/, touching only changed files (write/)
    publish   mkdocs build --strict, then Pagefind     (publish/: into a temporary folder,
              swapped in as site/ only when both succeed)

NOTE: order matters. Nothing is rendered or exported unless the whole knowledge base validated,
nothing is written unless every page rendered and every export was made, and site/ is replaced
only by a site that built without a single warning (mkdocs' `commands/build.py` does the same:
gather all data first). So a failed build leaves the previous build/docs/ and site/ as they
were; facts/ and content/ are only read.

`build_markdown` and `build_site` are what `kb build` runs; `ServeBuilds` is `kb serve`'s
sequence of builds, which after an edit of fact files renders only the pages it can change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .load import FactFile, load_facts
from .load.history import History, read_history
from .model import KnowledgeBase, build_model
from .problems import ProblemCollector
from .project import BuildError, Project, find_project_root
from .publish import run_mkdocs, run_pagefind
from .schema import SchemaSet, default_schemas
from .validate import CheckedFacts, check_across_files, check_files
from .write import WriteReport, replace_folder, write_pages

if TYPE_CHECKING:
    import jinja2

__all__ = ["BuildError", "Project", "find_project_root"]  # for the commands, from here


@dataclass
class CheckOutcome:
    """What a check run produced: the problems, and the model when there were no errors."""

    collector: ProblemCollector
    record_count: int
    knowledge_base: KnowledgeBase | None
    # What the model was built from (kb mv finds every reference in them).
    facts: list[FactFile] | None = None
    checked: CheckedFacts | None = None


@dataclass
class MarkdownResult:
    """What rendering the Markdown produced. `pages` is None when validation failed."""

    check: CheckOutcome
    pages: Mapping[str, str | bytes] | None = None
    report: WriteReport | None = None
    carried: Mapping[str, bytes] | None = None  # the pages of content/, as read
    history: History | None = None  # git's history of facts/ (the pages' dates, the feed)
    # What the build should tell the person running it (a feed without history, and why).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pages is not None


@dataclass
class SiteResult:
    markdown: MarkdownResult
    site_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)


@contextmanager
def timed(timings: dict[str, float] | None, stage: str) -> Iterator[None]:
    """Add the time the block takes to `timings[stage]` (when timings are wanted: kb-dev bench)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def check_project(
    project: Project,
    schemas: SchemaSet | None = None,
    timings: dict[str, float] | None = None,
    earlier: Iterable[FactFile] | None = None,
) -> CheckOutcome:
    """Load and validate every fact; build the model only if no error was found.

    `timings` receives the seconds each stage took. `earlier`: the files of the last check
    (kb serve), whose data is taken over where a file's bytes have not changed.
    """
    schemas = schemas or default_schemas()
    collector = ProblemCollector()
    with timed(timings, "load"):
        before = {fact.path: fact for fact in earlier} if earlier else None
        facts = load_facts(project.root, schemas, collector, before)
    with timed(timings, "validate"):
        checked = check_files(facts, schemas, collector)
        check_across_files(checked, facts, schemas, collector)
    with timed(timings, "model"):
        knowledge_base = None if collector.failed() else build_model(checked, schemas)
    return CheckOutcome(collector, len(facts), knowledge_base, facts, checked)


def build_markdown(
    project: Project,
    write: bool = True,
    timings: dict[str, float] | None = None,
    env: jinja2.Environment | None = None,
) -> MarkdownResult:
    """Validate, then render every page and write build/docs/ (unless `write` is False).
    `env`: the templates' environment (render.make_environment), when the caller keeps one.

    Returns with `pages` None, and writes nothing, when the knowledge base has errors.
    """
    # NOTE: the render stage is imported here, not at the top: `kb check` runs only the stages
    # before it, on every save in an editor, and must not pay for importing Jinja.
    from .export import export_files
    from .render.carried import carried_pages
    from .render.render import render_pages

    outcome = check_project(project, timings=timings)
    result = MarkdownResult(check=outcome)
    if outcome.knowledge_base is None:
        return result
    with timed(timings, "load"):
        result.history = read_history(project.root)
    with timed(timings, "render"):
        carried = carried_pages(project)
        rendered = render_pages(
            outcome.knowledge_base,
            override_dir=project.templates_dir,
            carried=carried,
            env=env,
            last_changed=result.history.last_changed,
        )
        result.carried = carried
        # NOTE: rendered pages last: the home page renders content/index.md into itself.
        result.pages = {**carried, **rendered}
    with timed(timings, "export"):
        exported = export_files(outcome.knowledge_base, result.history)
        result.pages = merge_exports(result.pages, exported.files)
        result.notes = exported.notes
    if write:
        with timed(timings, "write"):
            result.report = write_pages(project.build_dir, result.pages)
    return result


class ExportPathTaken(BuildError):
    """A page (from content/, say) at a path the exports write."""


def merge_exports(
    pages: Mapping[str, str | bytes], exported: Mapping[str, bytes]
) -> dict[str, str | bytes]:
    """The pages and the exported files, in one mapping; a page may not take an export's path."""
    taken = sorted(pages.keys() & exported.keys())
    if taken:
        raise ExportPathTaken(
            f"{taken[0]}: a page of the site has the path of an exported file; "
            "rename or remove it (api/ and feed.xml belong to the exports)"
        )
    return {**pages, **exported}


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


class ServeBuilds:
    """The builds of one `kb serve`: the first as `kb build --markdown-only` makes it; after
    an edit of fact files only, every fact is checked again as always (a check across files
    can fail on any edit), but only the pages the edit can change are rendered
    (render/after_edit.py); after any other change (content/, templates/), everything.

    NOTE: the build folder is taken to be as the last build left it (the build lock keeps
    every other build out while kb serve runs). The templates compiled by the last build of
    everything render the edits after it; a change in templates/ is a build of everything,
    which compiles them again.
    """

    def __init__(self, project: Project):
        self.project = project
        self.env: jinja2.Environment | None = None  # the templates, compiled
        self.last_model: KnowledgeBase | None = None
        self.last_pages: dict[str, str | bytes] = {}
        self.last_facts: list[FactFile] | None = None
        self.last_carried: Mapping[str, bytes] = {}
        self.last_history = History()

    def build(
        self, changed: Iterable[Path] | None = None, timings: dict[str, float] | None = None
    ) -> MarkdownResult:
        """Build after `changed` (None: unknown, build everything)."""
        from .export import export_files  # see build_markdown
        from .render.after_edit import render_after_edit

        facts_only = changed is not None and all(
            path.resolve().is_relative_to(self.project.facts_dir) for path in changed
        )
        if not facts_only or self.last_model is None:
            return self._build_everything(timings)
        outcome = check_project(self.project, timings=timings, earlier=self.last_facts)
        self.last_facts = outcome.facts
        result = MarkdownResult(check=outcome)
        if outcome.knowledge_base is None:
            return result
        with timed(timings, "render"):
            pages = render_after_edit(
                self.last_model,
                outcome.knowledge_base,
                self.env,
                self.last_carried,
                self.last_history.last_changed,
            )
        if pages is None:
            return self._build_everything(timings)
        # The exports are a few files made from the whole model: made again, written if changed.
        with timed(timings, "export"):
            # The history of the last full build: an edit under kb serve is not committed yet.
            exported = export_files(outcome.knowledge_base, self.last_history)
            pages = merge_exports(pages, exported.files)
            result.notes = exported.notes
        with timed(timings, "write"):
            result.report = write_pages(
                self.project.build_dir,
                pages,
                keep=self.last_pages.keys() - pages.keys(),
                delete_stale=False,
            )
        self.last_model = outcome.knowledge_base
        self.last_pages.update(pages)
        result.pages = self.last_pages
        return result

    def _build_everything(self, timings: dict[str, float] | None) -> MarkdownResult:
        from .render.render import make_environment  # see build_markdown

        self.env = make_environment(self.project.templates_dir)
        result = build_markdown(self.project, timings=timings, env=self.env)
        self.last_facts = result.check.facts
        if result.ok:
            self.last_model = result.check.knowledge_base
            self.last_pages = dict(result.pages)
            self.last_carried = result.carried or {}
            self.last_history = result.history or History()
        return result
