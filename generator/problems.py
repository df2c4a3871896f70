"""Problems found in the facts, collected across a whole run and reported together.

Every check appends to one `ProblemCollector` instead of raising, so a contributor sees every
problem in every file in one run ("collect all, fail once"). A problem reads location first,
then the field, the value, what was expected and the fix:

    facts/products/mi-tv.yaml:7:11: maker: unknown organization 'xiaomy' (did you mean 'xiaomi'?)
        7 | maker: xiaomy
          |        ^

The text, GitHub-annotation and JSON forms below are a tested contract (tests/errors/).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
# Source lines longer than this are shown as a window around the problem's column.
MAX_SHOWN_LINE = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the facts, pinned to a place in a file."""

    path: str  # as shown to the contributor: relative to the knowledge base root, POSIX slashes
    line: int | None  # 1-based; None when the problem is about the file as a whole
    column: int | None  # 1-based
    field: str  # dotted field path such as "citations[0].source"; "" for the file itself
    message: str  # what is wrong, with the fix ("... (did you mean 'xiaomi'?)")
    code: str  # stable name of the check, for JSON consumers and tests
    severity: Severity = "error"
    source_line: str | None = None  # the offending line of the file, shown under the message

    @property
    def location(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    @property
    def headline(self) -> str:
        """The one-line form: location first, then field and message."""
        severity = "warning: " if self.severity == "warning" else ""
        subject = f"{self.field}: " if self.field else ""
        # A key or value with a line break in it stays on the headline's line.
        return printable(f"{self.location}: {severity}{subject}{self.message}", False)

    def format_text(self) -> str:
        lines = [self.headline]
        if self.source_line is not None and self.line is not None:
            gutter = f"{self.line:>5} | "
            # Tabs would misplace the caret; show them as one space each (the line is for reading).
            shown = self.source_line.replace("\t", " ").rstrip("\r\n")
            caret = (self.column or 1) - 1
            if len(shown) > MAX_SHOWN_LINE:
                # A long line (a whole paragraph on one line, or a hostile 200 KB one) is shown
                # as a window around the column, so a report stays readable and small.
                start = max(0, min(caret - MAX_SHOWN_LINE // 3, len(shown) - MAX_SHOWN_LINE))
                end = start + MAX_SHOWN_LINE
                before, after = ("…" if start else ""), ("…" if end < len(shown) else "")
                shown = before + shown[start:end] + after
                caret = caret - start + len(before)
            lines.append(gutter + shown)
            if self.column is not None:
                lines.append(" " * (len(gutter) - 2) + "| " + " " * caret + "^")
        return printable("\n".join(lines))

    def format_github(self) -> str:
        """A GitHub Actions workflow command, shown inline on the pull request's diff."""
        params = [f"file={_escape_property(printable(self.path, False))}"]
        if self.line is not None:
            params.append(f"line={self.line}")
            if self.column is not None:
                params.append(f"col={self.column}")
        params.append(f"title={_escape_property(self.code)}")
        subject = f"{self.field}: " if self.field else ""
        message = printable(subject + self.message, False)
        return f"::{self.severity} {','.join(params)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping: without it a newline in a value ends the annotation.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class ProblemCollector:
    """Gathers problems from every check; nothing stops at the first one."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def failed(self, strict: bool = False) -> bool:
        """Whether the problems fail the run; with `strict`, warnings count too (as in CI)."""
        return any(strict or p.severity == "error" for p in self.problems)

    def sorted(self) -> list[Problem]:
        """File by file, top to bottom: the order a contributor fixes them in."""
        return sorted(
            self.problems,
            key=lambda p: (p.path, p.line or 0, p.column or 0, p.field, p.message),
        )


def printable(text: str, keep_newlines: bool = True) -> str:
    """`text` made safe to print to a terminal or a CI log. Everything from a fact file (a
    value, a key, a file name, a diff of one) goes through this one function on its way out.

    Every character a terminal or log would act on or hide is written as an escape (control,
    format and bidi characters, lone surrogates from undecodable file names), so a hostile
    value cannot recolour or rewrite a reviewer's terminal, or make the report fail to print.
    Newlines stay unless `keep_newlines` is False (reports are multi-line; a value shown inside
    one line must not end it). And no line starts with `::`, even after spaces: GitHub Actions
    runs such a line as a workflow command (`::error file=...::` puts an annotation on any
    file), so its first colon is escaped. The escapes are JSON's too."""
    lines = text.split("\n") if keep_newlines else [text]
    return "\n".join(map(_printable_line, lines))


def _printable_line(line: str) -> str:
    if not line.isprintable():
        line = "".join(map(_printable_character, line))
    if line.lstrip(" ").startswith("::"):
        at = line.index("::")
        line = f"{line[:at]}\\u003a{line[at + 1 :]}"
    return line


def _printable_character(ch: str) -> str:
    if ch.isprintable():
        return ch
    if ord(ch) > 0xFFFF:
        high, low = divmod(ord(ch) - 0x10000, 0x400)
        return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
    return f"\\u{ord(ch):04x}"


def plural(count: int, word: str) -> str:
    """'1 file', '2 files'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe(value: Any) -> str:
    """How a value is named in messages: what YAML made of it."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def or_list(words: Iterable[str]) -> str:
    """Alternatives as a message names them: 'a', 'a or b', 'a, b or c'."""
    words = list(words)
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def with_article(noun: str) -> str:
    """'a person', 'an organization'."""
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def summary_line(problems: list[Problem], strict: bool, record_count: int) -> str:
    """The last line of a report: '7 errors, 1 warning in 3 files' or an all-clear."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if not problems:
        return f"OK: {plural(record_count, 'record')} checked, no problems."
    files = {p.path for p in problems}
    counts = []
    if errors:
        counts.append(plural(len(errors), "error"))
    if warnings:
        counts.append(plural(len(warnings), "warning"))
    line = f"{', '.join(counts)} in {plural(len(files), 'file')}"
    if warnings and strict:
        line += " (--strict: warnings count as errors)"
    elif not errors:
        line += " (warnings only: not failing; --strict makes them errors)"
    return line + "."


def format_report(problems: list[Problem], fmt: str, strict: bool, record_count: int) -> str:
    """The whole report in one of the formats `kb check --format` offers, printable (see
    `printable`) whatever the facts hold. Only `github` starts lines with `::`: its own
    annotations, whose every part from the facts went through `printable` already."""
    if fmt == "github":
        lines = [p.format_github() for p in problems]
        return "\n".join([*lines, printable(summary_line(problems, strict, record_count))])
    if fmt == "json":
        report = json.dumps(
            {
                "problems": [asdict(p) for p in problems],
                "errors": sum(p.severity == "error" for p in problems),
                "warnings": sum(p.severity == "warning" for p in problems),
                "records": record_count,
                "strict": strict,
            },
            indent=2,
            ensure_ascii=False,
        )
    else:
        blocks = [p.format_text() for p in problems]
        report = "\n".join([*blocks, summary_line(problems, strict, record_count)])
    return printable(report)
