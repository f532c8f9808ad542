# Set-up-to-result targets named in README.md. Everything installs itself into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck lint-ts pytest e2e bench corpus-report mutation-report records clean

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

## Every test: lint and type checks (Python and TypeScript), unit + differential (real
## TensorFlow) + corpus and mutation oracles + language server tests, then real VS Code.
test: $(STAMP) lint typecheck lint-ts pytest e2e

lint: $(STAMP)
	$(BIN)/ruff check server tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy server/shapelens

pytest: $(STAMP) node_modules/.installed
	$(BIN)/pytest -q -p no:cacheprovider

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint-ts: node_modules/.installed
	npx eslint
	npx tsc --noEmit

## The extension in real VS Code (code-server + headless Chromium); installs its own tools.
e2e: $(STAMP)
	SHAPELENS_E2E_PYTHON=$(abspath $(BIN)/python) bash tests/e2e/run.sh

bench: $(STAMP)
	$(BIN)/python scripts/bench_engine.py
	$(BIN)/python scripts/bench_lsp.py
	$(BIN)/python scripts/bench_probe.py

corpus-report: $(STAMP)
	$(BIN)/python scripts/corpus_report.py

mutation-report: $(STAMP)
	$(BIN)/python scripts/mutation_report.py

## Re-record what real TF does with every corpus script and mutant (tests/records/; hours cold).
records: $(STAMP)
	$(BIN)/python scripts/write_records.py

clean:
	rm -rf $(VENV) .oracle-cache
