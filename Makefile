# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test migrate demo bench lint clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.lock
	$(BIN)/python -m pip install --quiet --require-virtualenv --no-deps -e .
	touch $(STAMP)

migrate: setup
	$(BIN)/habeas db upgrade

# Fresh clone -> environment -> migrations -> demo data when empty -> serve.
run: setup
	$(BIN)/habeas db upgrade
	$(BIN)/habeas demo --if-empty
	$(BIN)/habeas serve --host 127.0.0.1 --port 8000

# The whole suite, on SQLite and (when the server binaries exist) PostgreSQL.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/habeas bench all --json

clean:
	rm -rf $(VENV) var/ .pytest_cache .hypothesis
