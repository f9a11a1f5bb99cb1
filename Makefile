# hostcraft.cloud developer entry points. Everything runs offline against the simulators.
#   make demo   start the simulators, run playbooks/demo.yml twice (create, then unchanged), stop them
#   make test   sanity + lint + build + unit + integration (what CI runs)
#   make lint   docs, changelog, ansible-lint, execution environment and Galaxy import checks (own venv .venv-lint)
#   make bench  benchmarks (figures only, never pass/fail on time)

PYTHON ?= python3
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all venv demo test pytest sanity lint units integration build clean

all: test

$(STAMP): tests/requirements.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(ANSIBLE_CORE)" -r tests/requirements.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tests/tools/run_demo.py

sanity: $(STAMP)
	@# shellcheck is a sanity test too; ansible-test skips it (with a warning) when the tool is missing
	@command -v shellcheck >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq shellcheck) >/dev/null 2>&1; } || echo "shellcheck not installed: its sanity test is skipped"
	PYTHON=$(CURDIR)/$(BIN)/python bash tests/tools/ansible_test.sh sanity --venv --python 3.11 --color no

units: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

build: $(STAMP)
	$(BIN)/ansible-galaxy collection build --force --output-path build

# Linters in their own venv (tests/requirements-lint.txt), so they never change what .venv holds.
# tests/tools/lint.sh runs every step (capability docs, antsibull-docs, antsibull-changelog, ansible-lint,
# ansible-builder, galaxy-importer on build/hostcraft-cloud-<version>.tar.gz), then fails if any failed.
LINT_VENV ?= .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed

$(LINT_STAMP): tests/requirements-lint.txt Makefile
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(ANSIBLE_CORE)" -r tests/requirements-lint.txt
	touch $(LINT_STAMP)

lint: build $(LINT_STAMP)
	LINT_VENV=$(CURDIR)/$(LINT_VENV) bash tests/tools/lint.sh

# Unit and integration tests also run on the oldest supported ansible-core (2.18) in a second venv.
VENV_218 ?= .venv-218

# Every step runs even when an earlier one failed (so CI always prints pytest's summary line); the exit
# status is non-zero when any step failed.
test: $(STAMP)
	@failed=""; \
	$(MAKE) --no-print-directory sanity || failed="$$failed sanity"; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory VENV=$(VENV_218) ANSIBLE_CORE='ansible-core>=2.18,<2.19' pytest || failed="$$failed pytest-2.18"; \
	$(MAKE) --no-print-directory pytest || failed="$$failed pytest-2.19"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; echo "make test: all steps passed"

pytest: $(STAMP)
	$(BIN)/python -c 'import ansible; print("pytest with ansible-core", ansible.__version__)'
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/unit tests/integration

clean:
	rm -rf build tests/output .pytest_cache

# Benchmarks against the simulators (tests/perf; see docs/performance.md). Figures only: never fails on time.
#   make bench BENCH_ARGS=--quick                       100 and 1,000 servers, 8 and 32 workers; 10 + 5 module tasks
#   make bench BENCH_ARGS='--write docs/performance.md'  also update the tables in docs/performance.md
#   BENCH_INVENTORY_ARGS / BENCH_MODULES_ARGS: options of one script only, e.g. '--providers glesys --sizes 1000'
BENCH_ARGS ?=
BENCH_INVENTORY_ARGS ?=
BENCH_MODULES_ARGS ?=

.PHONY: bench
bench: $(STAMP)
	$(BIN)/python tests/perf/bench_inventory.py $(BENCH_ARGS) $(BENCH_INVENTORY_ARGS)
	$(BIN)/python tests/perf/bench_modules.py $(BENCH_ARGS) $(BENCH_MODULES_ARGS)
