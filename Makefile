# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: setup run test test-pg bench screenshots translations clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pybabel compile -f -d quiz/translations >/dev/null
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/quiz init-db
	$(BIN)/quiz seed-demo --if-empty
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pybabel compile -f -d quiz/translations >/dev/null
	$(BIN)/python -m pytest -n 2 -q

test-pg: setup
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python -m bench

screenshots: setup
	$(BIN)/python -m tests.e2e.screenshots

translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k ngettext:1,2 -o quiz/translations/messages.pot .
	$(BIN)/pybabel update -i quiz/translations/messages.pot -d quiz/translations
	$(BIN)/pybabel compile -f -d quiz/translations

clean:
	rm -rf $(VENV) .pytest_cache
