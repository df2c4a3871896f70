# Handset Atlas. The two commands a newcomer needs: `make site` and `make test`.
# Every target installs what it needs first (virtual environment, pinned packages, Chromium).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KB := $(BIN)/kb
# MkDocs 1.6 otherwise prints a notice about MkDocs 2.0 on every run.
export NO_MKDOCS_2_WARNING := 1
# Never pick up a pre-release (MkDocs 2.0 pre-releases share the name and break Material).
export PIP_PRE :=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: site serve test fuzz check golden expected bench lock schema fmt lint chromium vendor clean help

help:
	@echo "make site    build the site into site/ (creates .venv, installs pinned packages)"
	@echo "make serve   serve the site at http://127.0.0.1:8000 and rebuild on changes"
	@echo "make test    run every test (installs Chromium for the browser test when missing)"
	@echo "make fuzz    explore the property tests with random seeds for FUZZ_SECONDS (default 300)"
	@echo "make check   validate facts/ (kb check --strict)"
	@echo "make golden  regenerate the golden Markdown of the test knowledge base"
	@echo "make expected  regenerate the expected reports of the broken fixtures"
	@echo "make schema  regenerate the editor JSON Schemas and the schema reference"
	@echo "make bench   measure build times and sizes (BENCH_ARGS=--skip-mkdocs-10000 to skip the slowest)"
	@echo "make lock    re-pin every package into constraints.txt"
	@echo "make vendor  fetch the pinned browser scripts (Tablesort) into .cache/vendor/"

# The environment is rebuilt when the dependency list or the pins change.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip -c constraints.txt 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Browser scripts the site serves itself (Tablesort), pinned with their integrity in vendor.txt.
VENDORED := .cache/vendor/tablesort.min.js
vendor: $(VENDORED)
$(VENDORED) &: vendor.txt tools/fetch-vendor
	tools/fetch-vendor

site: $(VENV)/.installed $(VENDORED)
	$(KB) build
	@echo ""
	@echo "Site built in site/. Open site/index.html in a browser, or run 'make serve'."

serve: $(VENV)/.installed $(VENDORED)
	$(KB) serve

check: $(VENV)/.installed
	$(KB) check --strict

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed $(VENDORED) chromium
	$(BIN)/python -m pytest

# The property tests with random seeds, round after round until FUZZ_SECONDS have passed
# (FUZZ_TESTS narrows them, e.g. FUZZ_TESTS=tests/test_fuzz.py). `make test` runs them
# derandomized; a failure found here is saved in tests/saved_examples/ and replayed by every run
# after: fix the bug and commit the file with the fix.
FUZZ_SECONDS ?= 300
FUZZ_TESTS ?= tests
fuzz: $(VENV)/.installed
	@end=$$(( $$(date +%s) + $(FUZZ_SECONDS) )); round=0; failed=0; \
	while [ $$(date +%s) -lt $$end ]; do \
		round=$$((round + 1)); echo "fuzz round $$round"; \
		HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -m hypothesis \
			--ignore=tests/browser $(FUZZ_TESTS) || failed=1; \
	done; \
	if [ $$failed = 1 ]; then echo "make fuzz: failures found; see tests/saved_examples/"; exit 1; fi

golden: $(VENV)/.installed $(VENDORED)
	$(BIN)/python -m tests.golden_update

# Rewrite the expected reports of the broken and hostile fixtures (tests/errors/, tests/hostile/)
# from what kb check says now; review `git diff tests/` like code.
expected: $(VENV)/.installed
	UPDATE_EXPECTED=1 $(BIN)/python -m pytest -q tests/test_check_errors.py tests/test_hostile_check.py

schema: $(VENV)/.installed
	$(KB) schema

bench: $(VENV)/.installed $(VENDORED)
	$(BIN)/kb-dev bench $(BENCH_ARGS)

fmt: $(VENV)/.installed
	$(BIN)/ruff format generator devtools tests
	$(BIN)/ruff check --fix generator devtools tests

lint: $(VENV)/.installed
	$(BIN)/ruff check generator devtools tests

# Re-pin: resolve pyproject.toml's ranges afresh in a scratch environment, write every version.
lock:
	rm -rf .cache/lock-venv
	$(PYTHON) -m venv .cache/lock-venv
	.cache/lock-venv/bin/pip install --quiet -e '.[test]'
	{ echo "# Exact versions of every package, direct and indirect: the one lock file."; \
	  echo "# Regenerate with \`make lock\` after changing pyproject.toml; review the diff like code."; \
	  .cache/lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
	rm -rf .cache/lock-venv

clean:
	rm -rf build site .cache
