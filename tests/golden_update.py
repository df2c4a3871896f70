"""Regenerate the golden Markdown: `python -m tests.golden_update` (what `make golden` runs).

Renders the fixture knowledge base `tests/golden/kb/` and makes `tests/golden/expected/` hold
exactly its build folder: changed pages rewritten, new ones added, stale ones deleted. Review
the resulting `git diff tests/golden/expected` like code: it is what the change does to pages.
Nothing is written into the fixture itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.pipeline import Project, build_markdown
from generator.problems import format_report
from generator.render.carried import VENDORED_ASSETS
from generator.write import write_pages

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_KB = GOLDEN / "kb"
EXPECTED = GOLDEN / "expected"


def main() -> int:
    result = build_markdown(Project(GOLDEN_KB), write=False)
    if not result.ok:
        check = result.check
        print(format_report(check.collector.sorted(), "text", False, check.record_count))
        print("golden_update: the fixture knowledge base has errors; fix it first.")
        return 1
    # The vendored scripts are copied, not rendered: they are not part of the golden tree.
    pages = {path: page for path, page in result.pages.items() if path not in VENDORED_ASSETS}
    report = write_pages(EXPECTED, pages)
    shown = EXPECTED.relative_to(Path.cwd()) if EXPECTED.is_relative_to(Path.cwd()) else EXPECTED
    print(
        f"{shown}: {len(report.written)} written, {len(report.deleted)} deleted, "
        f"{len(report.unchanged)} unchanged."
    )
    for label, paths in (("written", report.written), ("deleted", report.deleted)):
        for path in paths:
            print(f"  {label}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
