"""The `kb-dev` command line: the developers' tools, apart from the contributors' `kb`."""

from __future__ import annotations

from generator import cli

COMMANDS = ["synth", "bench"]


def main(argv: list[str] | None = None) -> int:
    return cli.main(
        argv,
        prog="kb-dev",
        description="Handset Atlas developer tools: synthetic knowledge bases and benchmarks.",
        commands=COMMANDS,
        package="devtools.commands",
    )
