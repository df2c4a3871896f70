"""Stage 6, publish: the build folder made into the HTML site, and indexed for search.

Contract: reads build/docs/ (stage 5's output) and the site's mkdocs.yml; `run_mkdocs` builds
the site with `mkdocs build --strict` into the folder it is given (a warning fails the build),
`run_pagefind` indexes that folder for search. The orchestrator (pipeline.py) swaps the result
in as site/ only when both succeed. `serve.py` is `kb serve`: mkdocs' live-reloading server on
the build folder, and a watcher that rebuilds the Markdown when an input changes.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

from ..problems import printable
from ..project import BuildError, Project

MKDOCS_CONFIG = "mkdocs.yml"
# A knowledge base without an mkdocs.yml of its own (a test fixture, a synthetic benchmark) is
# published with the site configuration of the repository the generator belongs to.
DEFAULT_MKDOCS_CONFIG = Path(__file__).resolve().parents[2] / MKDOCS_CONFIG


# Parts of a record page that are on every page of its kind, or are not the record's words:
# permalink marks, footnote marks and the footnotes, table headings, the section headings (every
# <h2> of a record page is a fixed one: "Relationships", "Sources", ...).
# Not indexed, so that "sources" or "key facts" do not find every page. (The record pages
# carry Pagefind's other attributes themselves, the diagram's data-pagefind-ignore among them:
# see overrides/main.html and render.py.)
SEARCH_EXCLUDED = (".headerlink", ".footnote-ref", ".footnote", "thead", "h2")


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
