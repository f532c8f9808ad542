# Set-up-to-result targets named in README.md. Everything installs itself into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck pytest bench corpus-report clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[server,test]"
	touch $(STAMP)

## Main job: every example with its inferred shapes beside each line, then the diagnostics.
demo: $(STAMP)
	@for f in examples/*.py; do $(BIN)/shapelens shapes $$f --format text; echo; done
	@echo "== shapelens check examples/"
	@$(BIN)/shapelens check examples/ || true

## Every test: lint, type check, unit + differential (real TensorFlow) + corpus oracle.
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check server tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy server/shapelens

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python scripts/bench_engine.py

corpus-report: $(STAMP)
	$(BIN)/python scripts/corpus_report.py

clean:
	rm -rf $(VENV) .oracle-cache
