# hostcraft.cloud developer entry points. Everything runs offline against the simulators.
#   make demo   start the simulators, run playbooks/demo.yml twice (create, then unchanged), stop them
#   make test   sanity + unit + integration (what CI runs)
#   make bench  benchmarks (figures only, never pass/fail on time)

PYTHON ?= python3
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all venv demo test sanity units integration build clean

all: test

$(STAMP): tests/requirements.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(ANSIBLE_CORE)" -r tests/requirements.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tests/tools/run_demo.py

sanity: $(STAMP)
	PYTHON=$(CURDIR)/$(BIN)/python bash tests/tools/ansible_test.sh sanity --venv --python 3.11 --color no

units: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

build: $(STAMP)
	$(BIN)/ansible-galaxy collection build --force --output-path build

test: $(STAMP)
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory build
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit tests/integration

clean:
	rm -rf build tests/output .pytest_cache
