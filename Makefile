# Amparo — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint bench messages catalogues clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

catalogues: $(STAMP)
	$(PY) manage.py compile_catalogues

## make run: set up and serve Amparo on SQLite with demo data at http://127.0.0.1:8000
run: catalogues
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: set up and run the whole suite (SQLite; set DATABASE_URL for PostgreSQL)
test: catalogues
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check amparo tests bench
	$(VENV)/bin/ruff format --check amparo tests bench
	$(VENV)/bin/mypy amparo

## make messages: refresh both catalogues from the code (needs GNU gettext's xgettext)
messages: $(STAMP)
	cd amparo && ../$(PY) ../manage.py makemessages -l es -l en --no-location --no-obsolete

bench: catalogues
	$(PY) bench/page_weight.py

clean:
	rm -rf $(VENV) var staticfiles
