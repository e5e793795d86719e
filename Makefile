# casework: `make run` to try it, `make test` to prove it. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANIFEST := demo-manifest.json
DEV_ENV := CASEWORK_DEBUG=1
# A production-like environment for `check --deploy` in `make check`. THROWAWAY VALUES, NOT
# SECRETS: they are public in this file and protect nothing; never use them to run casework.
DEPLOY_CHECK_ENV := CASEWORK_DEBUG=0 \
	CASEWORK_SECRET_KEY=not-a-secret-only-for-the-deploy-check-3f8a1c9e7b2d5f4a6c0e \
	CASEWORK_FIELD_KEYS=bm90LWEtc2VjcmV0LWRlcGxveS1jaGVjay1vbmx5ISE= \
	CASEWORK_INDEX_KEY=not-a-secret-deploy-check-index-key-9b7e \
	CASEWORK_AUDIT_CHAIN_KEY=not-a-secret-deploy-check-chain-key-4c1d \
	CASEWORK_ALLOWED_HOSTS=casework.example.org \
	CASEWORK_SSL_REDIRECT=1 \
	CASEWORK_TLS_PROXY=0
# Test processes (pytest-xdist); each gets its own test database. 1 runs in one process.
# A whole file goes to one process: its tests share the world built once for the file.
TEST_WORKERS ?= 2

# The benchmark (bench/, README "Benchmark"): its own PostgreSQL database, created if missing.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/casework_bench
export BENCH_DATABASE_URL

.PHONY: install run serve serve-now restore-drill load test check clean bench bench-compare

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: install
	$(DEV_ENV) $(PY) manage.py migrate --database keystore --no-input
	$(DEV_ENV) $(PY) manage.py migrate --no-input
	$(DEV_ENV) $(PY) manage.py createcachetable
	$(DEV_ENV) $(PY) manage.py seed_demo --if-empty --manifest $(MANIFEST)
	-$(DEV_ENV) $(PY) manage.py demo_logins --manifest $(MANIFEST)
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Production settings on this machine, to try them: gunicorn (deploy/gunicorn.conf.py) on
# http://localhost:8001 with debug off, the manifest of collected static files, __Host-
# cookies (browsers accept Secure cookies from localhost). The development secrets and
# database of `make run` (made here if missing); no TLS, so no redirect to HTTPS.
SERVE_ENV = CASEWORK_DEBUG=0 CASEWORK_SSL_REDIRECT=0 CASEWORK_ALLOWED_HOSTS=localhost,127.0.0.1 \
	CASEWORK_BIND=127.0.0.1:8001 CASEWORK_WORKERS=2 \
	$(shell test -f .local-secrets.json && $(PY) -c 'import json; print(" ".join(f"{k}={v}" for k, v in json.load(open(".local-secrets.json")).items()))')

serve: install
	$(DEV_ENV) $(PY) manage.py migrate --database keystore --no-input
	$(DEV_ENV) $(PY) manage.py migrate --no-input
	$(DEV_ENV) $(PY) manage.py createcachetable
	$(DEV_ENV) $(PY) manage.py seed_demo --if-empty --manifest $(MANIFEST)
	$(MAKE) --no-print-directory serve-now

serve-now:  # not echoed: the environment holds the secrets
	@env $(SERVE_ENV) $(PY) manage.py collectstatic --no-input --verbosity 0
	@echo "casework with production settings on http://localhost:8001/ (Ctrl-C stops it)"
	@env $(SERVE_ENV) $(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py casework.wsgi

# The restore drill (README, Backups): new databases on this PostgreSQL server, dropped after.
RESTORE_DRILL_SERVER ?= postgres://postgres@127.0.0.1:5432/postgres

restore-drill: install
	CASEWORK_DEBUG=1 $(PY) manage.py restore_drill --server $(RESTORE_DRILL_SERVER)

# Fifty signed-in people for a minute on gunicorn and PostgreSQL (bench/load.py): new
# databases on the local server, 127.0.0.1 only, dropped afterwards.
load: install
	PYTHONPATH=. $(PY) -m bench.load --users 50 --seconds 60 --workers 4 $(LOAD_ARGS)

test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) $(VENV)/bin/mypy
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(PY) manage.py check --fail-level WARNING
	env $(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	PYTHONPATH=. $(PY) -m bench.run

bench-compare:
	PYTHONPATH=. $(PY) -m bench.compare $(A) $(B)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
