# Two commands matter: `make run` and `make test`. Everything else is what they call.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app kiosk
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup-db lint clean-venv mutation translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Policy Kiosk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files re-run pip only when the pinned requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

setup-db: $(VENV)/.runtime
	$(FLASK) migrate
	$(FLASK) seed-policy

# gunicorn, the server the school runs it with, also when trying it out (see kiosk/serve.py).
run: setup-db
	$(BIN)/gunicorn --config python:kiosk.serve --bind $(HOST):$(PORT) wsgi:app

# pytest in three processes: the browser tests in one; every other test that builds an app twice,
# on SQLite and on a throwaway PostgreSQL, shared between the other two (docs/TESTING.md).
test: $(VENV)/.dev
	@sh scripts/ensure-test-tools.sh
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -r kiosk -q
	$(BIN)/python -m pytest -n 3 --dist loadgroup

# Not part of `make test`: it takes a long while. Breaks each rule on purpose and checks a test
# notices (docs/TESTING.md): mutmut for the Python rules, scripts/mutate-js.py for the outbox.
mutation: $(VENV)/.dev
	@sh scripts/ensure-test-tools.sh
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation-score.py
	$(BIN)/python scripts/mutate-js.py

# After changing an interface string: extract them all, add the new ones to each language's
# catalogue (kiosk/translations/<lang>/LC_MESSAGES/messages.po), translate, then compile the
# .mo files the app reads. tests/test_i18n.py fails while any message is untranslated.
translations: $(VENV)/.dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k t -k tn:1,2 \
		--no-location --sort-output --add-comments=Translators: --project="Policy Kiosk" \
		-o kiosk/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching -i kiosk/translations/messages.pot -d kiosk/translations
	$(BIN)/pybabel -q compile --use-fuzzy -d kiosk/translations

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -r kiosk -q

clean-venv:
	rm -rf $(VENV)
