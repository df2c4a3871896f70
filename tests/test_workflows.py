"""The GitHub and local automation: valid, safe, and running the commands that exist.

- Workflows validate against check-jsonschema's built-in GitHub workflow schema (vendored in
  the package: no network) and have no zizmor findings, offline, at the pedantic persona.
- Every action is pinned by a full commit SHA with its version as a comment; checkouts do not
  keep credentials; permissions are empty by default and granted per job.
- The commands the workflows and hooks run are real `kb` commands and Makefile targets.
- The issue form validates against GitHub's issue-form schema; the pre-commit config is what
  zizmor's strict collection accepts and runs kb on fact files only.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator.cli import COMMANDS

from .conftest import REPO_ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ISSUE_FORM = REPO_ROOT / ".github" / "ISSUE_TEMPLATE" / "suggest-a-fact.yml"
PRE_COMMIT = REPO_ROOT / ".pre-commit-config.yaml"
PR_TEMPLATE = REPO_ROOT / ".github" / "pull_request_template.md"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _load(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _run(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], cwd=REPO_ROOT, capture_output=True, text=True
    )


def _steps():
    for path in WORKFLOWS:
        for job_name, job in _load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, step


def test_there_are_the_two_workflows():
    assert [path.name for path in WORKFLOWS] == ["pages.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_the_github_workflow_schema(path):
    result = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = _run(
        BIN / "zizmor", "--offline", "--persona", "pedantic", "--no-progress", "--color", "never",
        "--strict-collection", "--collect=workflows", "--collect=pre-commit",
        ".github/workflows", ".pre-commit-config.yaml",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_actions_are_pinned_by_commit_with_their_version():
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.match(r"^\s*(?:- )?uses: (\S+)(.*)$", line)
            if not match:
                continue
            assert SHA_PIN.match(match.group(1)), f"{path.name}:{number}: not pinned by SHA"
            assert re.fullmatch(r" # v\d+(\.\d+)*", match.group(2)), (
                f"{path.name}:{number}: the pin needs its version as a comment"
            )


def test_checkouts_keep_no_credentials():
    checkouts = [
        step for _, _, step in _steps() if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_permissions_are_empty_by_default_and_minimal_per_job():
    for path in WORKFLOWS:
        workflow = _load(path)
        assert workflow["permissions"] == {}, path.name
        for name, job in workflow["jobs"].items():
            granted = job["permissions"]
            if name == "deploy":
                assert granted == {"pages": "write", "id-token": "write"}
            else:
                assert granted == {"contents": "read"}, (path.name, name)


def test_no_expression_is_expanded_inside_a_script():
    # `${{ }}` in run: is pasted into the shell before it runs (script injection): pass values
    # through env: instead.
    for workflow, job, step in _steps():
        assert "${{" not in step.get("run", ""), (workflow, job, step.get("name"))


def test_the_pull_request_workflow_runs_every_check():
    workflow = _load(REPO_ROOT / ".github/workflows/pull-request.yml")
    assert set(workflow["on"]) == {"pull_request"}
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert ".venv/bin/kb check --format github --strict" in runs
    assert ".venv/bin/kb fmt --check --diff" in runs
    assert "make test" in runs
    assert "make site" in runs
    assert any(
        run.startswith(".venv/bin/kb diff ")
        and "--format markdown" in run
        and run.endswith('>> "$GITHUB_STEP_SUMMARY"')
        for run in runs
    )
    uploads = [step for step in workflow["jobs"]["preview"]["steps"] if "uses" in step]
    assert uploads[-1]["uses"].startswith("actions/upload-artifact@")
    assert uploads[-1]["with"]["path"] == "site/"


def test_the_pages_workflow_builds_main_and_deploys():
    workflow = _load(REPO_ROOT / ".github/workflows/pages.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert [step.get("run") for step in build["steps"] if "run" in step] == ["make site"]
    assert build["steps"][-1]["uses"].startswith("actions/upload-pages-artifact@")
    assert build["steps"][-1]["with"]["path"] == "site/"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")


def _commands_run(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_commands_the_automation_runs_exist():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w./$()-]+):", makefile, flags=re.M))
    targets.add(".venv/.installed")  # the $(VENV)/.installed rule
    entries = [hook["entry"] for repo in _load(PRE_COMMIT)["repos"] for hook in repo["hooks"]]
    runs = [step["run"] for _, _, step in _steps() if "run" in step]
    for command in [words for text in runs + entries for words in _commands_run(text)]:
        if command[0] == ".venv/bin/kb":
            assert command[1] in COMMANDS, command
        elif command[0] == "make":
            assert command[1] in targets, command
        else:
            pytest.fail(f"unexpected command {command}")


def test_the_issue_form_matches_githubs_schema_and_asks_for_claim_and_source():
    result = _run(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", ISSUE_FORM
    )
    assert result.returncode == 0, result.stdout + result.stderr
    form = _load(ISSUE_FORM)
    required = {
        item["id"] for item in form["body"]
        if item.get("validations", {}).get("required")
    }  # fmt: skip
    assert {"claim", "source-url", "excerpt"} <= required


def test_the_hooks_run_kb_on_fact_files_only():
    config = _load(PRE_COMMIT)
    [repo] = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert hooks["kb-fmt"]["entry"] == ".venv/bin/kb fmt"
    assert hooks["kb-check"]["entry"] == ".venv/bin/kb check --strict"
    for hook in hooks.values():
        assert hook["language"] == "system"
        pattern = re.compile(hook["files"])
        assert pattern.search("facts/products/mi-tv.yaml")
        assert not pattern.search("generator/schemas/product.yaml")
        assert not pattern.search("facts/README.md")


def test_the_pull_request_template_has_the_review_checklist():
    text = PR_TEMPLATE.read_text(encoding="utf-8")
    boxes = re.findall(r"^- \[ \] ", text, flags=re.M)
    assert len(boxes) >= 5
    for phrase in ("cites a source", "word for word", "invented", "kb check", "kb diff"):
        assert phrase in text
