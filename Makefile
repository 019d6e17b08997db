# Amparo — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
APT_GET ?= apt-get
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint bench messages catalogues clean system-deps prod-smoke drills vendor-map

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

## make system-deps: Debian's Chromium (browser tests) and GNU gettext (catalogue checks).
## Installed with apt-get when run as root; otherwise stop and name the one command to run.
## Never a silent skip: without Chromium the browser tests cannot run, so make test stops.
system-deps:
	@missing=""; \
	test -x "$(CHROMIUM)" || missing=" chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v $(APT_GET) >/dev/null 2>&1; then \
			echo "Installing Debian packages the tests need:$$missing"; \
			DEBIAN_FRONTEND=noninteractive $(APT_GET) update -qq </dev/null && \
			DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $$missing </dev/null >/dev/null || exit 1; \
			test -x "$(CHROMIUM)" || { echo "Chromium is still missing at $(CHROMIUM)." >&2; exit 1; }; \
		else \
			echo "make test needs Debian packages that are missing:$$missing" >&2; \
			echo "(Chromium at $(CHROMIUM) runs the browser tests; gettext's xgettext checks the catalogues.)" >&2; \
			echo "Install them with this one command, then run make test again:" >&2; \
			echo "    sudo apt-get install -y$$missing" >&2; \
			exit 1; \
		fi; \
	fi

## make test: set up and run the whole suite (SQLite; set DATABASE_URL for PostgreSQL)
test: system-deps catalogues
	$(PY) -m pytest $(PYTEST_ARGS)

## make prod-smoke: gunicorn, a Celery worker and beat with production settings on a fresh
## PostgreSQL database (created and dropped) and Redis dbs 8/9; a report walked to triage
prod-smoke: catalogues
	$(PY) bench/prod_smoke.py

## make drills: fault drills under load on a private PostgreSQL cluster and a private Redis
## (PostgreSQL restarted, Redis down 30 s, a Celery worker and a gunicorn worker killed -9):
## 0 acknowledged reports lost or duplicated, or a non-zero exit (bench/drills.py, ~5 minutes)
drills: catalogues
	$(PY) bench/drills.py

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

## make vendor-map: rebuild the route map's vendored Leaflet, topojson-client and Natural Earth
## borders (amparo/static/vendor/) from their pinned npm packages (needs npm; decision 0042)
vendor-map:
	bash bench/vendor_map_assets.sh
