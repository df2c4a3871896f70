"""Docs as tests: every `kb` and `kb-dev` command has help, and every schema field and value a
description.

Contributors learn the command line from `kb --help` and the data model from the schema
reference and their editor, both generated from these descriptions: a missing one is a hole in
the documentation, so it fails here (as sqlite-utils' tests/test_docs.py does).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from devtools import cli as dev_cli
from generator.cli import COMMANDS, build_parser
from generator.schema import FIELD_TYPES, FieldSpec, default_schemas

from .conftest import run_kb_dev

SCHEMAS = default_schemas()


def _module(command: str):
    return importlib.import_module(f"generator.commands.{command.replace('-', '_')}")


@pytest.mark.parametrize("command", dev_cli.COMMANDS)
def test_kb_dev_command_help(command: str):
    module = importlib.import_module(f"devtools.commands.{command}")
    first_line = (module.__doc__ or "").strip().splitlines()[0]
    result = run_kb_dev(command, "--help")
    assert result.code == 0, result.err
    assert f"usage: kb-dev {command}" in result.out
    assert first_line in result.out
    parser = build_parser(prog="kb-dev", commands=dev_cli.COMMANDS, package="devtools.commands")
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    for action in subparsers.choices[command]._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help and action.help.strip(), f"kb-dev {command}: {action.dest}"


def test_developer_tools_are_not_contributor_commands(kb):
    result = kb("--help")
    assert not set(dev_cli.COMMANDS) & set(COMMANDS)
    assert "synth" not in result.out and "bench" not in result.out


def _first_line(command: str) -> str:
    return (_module(command).__doc__ or "").strip().splitlines()[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_module_has_a_docstring_and_entry_points(command: str):
    module = _module(command)
    assert (module.__doc__ or "").strip(), f"generator/commands/{command}.py has no docstring"
    assert callable(module.add_arguments)
    assert callable(module.run)


@pytest.mark.parametrize("command", COMMANDS)
def test_kb_command_help(command: str, kb):
    result = kb(command, "--help")
    assert result.code == 0, result.err
    assert result.err == ""
    assert f"usage: kb {command}" in result.out
    assert _first_line(command) in result.out


def test_kb_help_lists_every_command(kb):
    result = kb("--help")
    assert result.code == 0
    for command in COMMANDS:
        assert command in result.out
        # argparse may wrap the summary; compare word by word.
        assert " ".join(_first_line(command).split()) in " ".join(result.out.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help(command: str):
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    sub = subparsers.choices[command]
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"kb {command}: {name} has no help text"


def _fields(fields: dict[str, FieldSpec], prefix: str):
    for name, spec in fields.items():
        path = f"{prefix}{name}"
        yield path, spec
        if spec.items is not None:
            yield f"{path}[]", spec.items
            yield from _fields(spec.items.fields, f"{path}[].")
        yield from _fields(spec.fields, f"{path}.")


def test_there_are_kinds_and_fields():
    assert {"organization", "person", "product", "quote", "relationship", "event", "source"} <= set(
        SCHEMAS.kinds
    )
    assert sum(1 for kind in SCHEMAS for _ in _fields(kind.fields, "")) > 50


@pytest.mark.parametrize("kind", sorted(SCHEMAS.kinds))
def test_every_kind_is_described(kind: str):
    schema = SCHEMAS.kinds[kind]
    assert schema.title.strip()
    assert schema.description.strip()


@pytest.mark.parametrize("kind", sorted(SCHEMAS.kinds))
def test_every_field_has_a_description(kind: str):
    undocumented = [
        path
        for path, spec in _fields(SCHEMAS.kinds[kind].fields, "")
        # A list's items are described by the list (`aliases` describes each alias).
        if not path.endswith("[]") and not spec.description.strip()
    ]
    assert not undocumented, f"{kind}: fields without a description: {undocumented}"


@pytest.mark.parametrize("kind", sorted(SCHEMAS.kinds))
def test_every_enum_value_has_a_description(kind: str):
    undocumented = [
        f"{path}: {value}"
        for path, spec in _fields(SCHEMAS.kinds[kind].fields, "")
        for value, meaning in spec.values.items()
        if not meaning.strip()
    ]
    assert not undocumented, f"{kind}: enum values without a description: {undocumented}"


def test_every_field_type_is_described():
    assert all(text.strip() for text in FIELD_TYPES.values())


def test_a_mistyped_command_lists_every_command(kb):
    """`kb` builds only the named command's parser (see cli.build_parser); the others are still
    named, so a contributor who mistypes one sees what there is."""
    result = kb("chek")
    assert result.code == 2
    assert "invalid choice: 'chek'" in result.err
    assert all(f"'{command}'" in result.err for command in COMMANDS)


def test_a_command_imports_only_what_it_needs():
    """`kb check` runs in every pre-commit hook and editor save: it must not load the site
    builder (Jinja, mkdocs), which costs it more than checking the dataset does."""
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        "    main(['check', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('jinja2', 'mkdocs') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout + loaded.stderr
