"""The `kb` command line. Each subcommand is a module in `generator/commands/`.

A command module has a docstring (its help), `add_arguments(parser)` and `run(args) -> int`.
Commands are registered in the ordered list below; `kb --help` shows them in this order.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# NOTE: order is the order `kb --help` lists them in: the contributor's path first.
COMMANDS = [
    "check",
    "schema",
    "new",
    "fmt",
    "migrate",
    "verify",
    "mv",
    "diff",
    "build",
    "serve",
]


def build_parser(
    only: str | None = None,
    prog: str = "kb",
    description: str = "Handset Atlas: check, build and edit the knowledge base's facts.",
    commands: list[str] = COMMANDS,
    package: str = "generator.commands",
) -> argparse.ArgumentParser:
    """The parser of every command, or, with `only`, fully that of one command: importing a
    command's module imports what it needs (Jinja, mkdocs, ruamel.yaml), and `kb check` should
    not pay for `kb build`'s. The others are still named, so a mistyped command lists them."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        if only is not None and name != only:
            subparsers.add_parser(name)
            continue
        module = importlib.import_module(f"{package}.{name.replace('-', '_')}")
        doc = (module.__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else name
        sub = subparsers.add_parser(
            name,
            help=summary,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None, **parser_options) -> int:
    """Run one command; `parser_options` name another command line (kb-dev, see build_parser)."""
    # MkDocs 1.6 prints a notice about 2.0 on every run unless told not to.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    given = sys.argv[1:] if argv is None else argv
    # The top-level parser has no options of its own but -h, so the first word that is not an
    # option names the command.
    command = next((word for word in given if not word.startswith("-")), None)
    try:
        commands = parser_options.get("commands", COMMANDS)
        only = command if command in commands else None
        args = build_parser(only, **parser_options).parse_args(argv)
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe is found here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        print(f"{parser_options.get('prog', 'kb')}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kb diff | head`): stop quietly. Python's documented recipe:
        # point stdout at devnull, so flushing it at exit cannot fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
