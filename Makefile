# Two commands set everything up on a fresh machine: `make run` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Settings from .env (git-ignored), if there is one; see .env.example.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' .env)
endif

# Django 6 needs Python 3.12 or newer: the newest python3.x on PATH, then pyenv's.
define FIND_PYTHON
new_enough() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
for candidate in python3.14 python3.13 python3.12 python3; do \
  if command -v "$$candidate" >/dev/null 2>&1 && new_enough "$$candidate"; then command -v "$$candidate"; exit 0; fi; \
done; \
if command -v pyenv >/dev/null 2>&1; then \
  for version in $$(pyenv versions --bare 2>/dev/null | sort -rV); do \
    candidate="$$(pyenv root)/versions/$$version/bin/python"; \
    if [ -x "$$candidate" ] && new_enough "$$candidate"; then echo "$$candidate"; exit 0; fi; \
  done; \
fi; \
exit 1
endef

.PHONY: help run serve test install admin editor publisher check lint format clean backup restore

help:
	@echo "make run    set up (virtualenv, install, migrate, load the real data) and serve on http://$(HOST):$(PORT)/"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make admin  create an admin account (prompts for a password)"
	@echo "make serve  production settings under gunicorn with compressed, hashed static files"
	@echo "make backup / make restore FILE=...  dump or restore the database"
	@echo "make editor [NAME=alex]     create an editor account: writes and submits case studies (prompts)"
	@echo "make publisher [NAME=alex]  create a publisher account: also publishes and archives (prompts)"
	@echo "make lint   ruff check and format check"

$(PY):
	@python="$$($(FIND_PYTHON))" || { \
	  echo "This project needs Python 3.12 or newer (Django 6), and none was found."; \
	  echo "Install python3.13 (e.g. 'apt-get install python3.13 python3.13-venv' or 'pyenv install 3.13'), then run make again."; \
	  exit 1; }; \
	echo "Creating $(VENV) with $$python ($$("$$python" --version))"; \
	"$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $@

install: $(VENV)/.installed

run: export DJANGO_DEBUG ?= 1
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py loadseed
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/  (editors: http://$(HOST):$(PORT)/admin/)"
	@$(PY) manage.py accounthint
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production settings, locally over plain HTTP (no TLS here, so no HTTPS redirect; editors'
# sign-in needs HTTPS because the session cookie is Secure). A secret key is made once.
serve: export DJANGO_DEBUG = 0
serve: export DJANGO_SECURE_SSL_REDIRECT ?= 0
serve: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: install
	@mkdir -p var
	@[ -s var/secret-key ] || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret-key
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}" $(PY) manage.py migrate --no-input
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}" $(PY) manage.py loadseed
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}" $(PY) manage.py collectstatic --no-input -v0
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}" GUNICORN_BIND=$(HOST):$(PORT) \
	  $(BIN)/gunicorn -c config/gunicorn.py config.wsgi

admin: export DJANGO_DEBUG ?= 1
admin: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createsuperuser

backup: export DJANGO_DEBUG ?= 1
backup: install
	$(PY) manage.py backupdb $(FILE)

restore: export DJANGO_DEBUG ?= 1
restore: install
	@[ -n "$(FILE)" ] || { echo "Say which backup: make restore FILE=var/backups/catalogue-....sqlite3"; exit 1; }
	$(PY) manage.py restoredb $(FILE)

editor publisher: export DJANGO_DEBUG ?= 1
editor publisher: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createeditor $(NAME) --role $@

# The suite spread over every core (pytest-xdist): half the time on two.
PYTEST_ARGS ?= -n auto

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
