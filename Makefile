# Meridian: `make run` serves a demo workspace; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE := meridian.settings

.PHONY: run test lint unit browser bench schemathesis bootstrap-run bootstrap-test lock clean

run: bootstrap-run
	$(PY) -m meridian.cli migrate --noinput -v 0
	$(PY) -m meridian.cli createcachetable
	$(PY) -m meridian.cli demo
	$(PY) -m meridian.cli serve

test: bootstrap-test lint
	bash scripts/test.sh

# Schemathesis over every API operation with 50 examples each, all checks, on SQLite and
# PostgreSQL (`make test` runs the same test with 5 examples per operation).
schemathesis: bootstrap-test
	MERIDIAN_SCHEMATHESIS_EXAMPLES=50 bash scripts/test.sh tests/api/test_schemathesis.py

lint: bootstrap-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src

bench: bootstrap-test
	bash scripts/bootstrap.sh bench
	$(PY) bench/run.py $(BENCH_ARGS)

bootstrap-run:
	@bash scripts/bootstrap.sh run

bootstrap-test:
	@bash scripts/bootstrap.sh test

# Re-pin the Python dependencies after editing requirements/*.in.
lock: bootstrap-test
	PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras --allow-unsafe -o requirements/base.txt requirements/base.in
	PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras --allow-unsafe -o requirements/dev.txt requirements/dev.in
	PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras --allow-unsafe -o requirements/transcribe.txt requirements/transcribe.in
	PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras --allow-unsafe -o requirements/aw-reference.txt requirements/aw-reference.in

clean:
	rm -rf $(VENV) node_modules test-artifacts
