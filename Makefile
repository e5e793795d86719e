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

.PHONY: install run test check clean bench bench-compare

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
