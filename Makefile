# weatherman-inventory: every command the README names is a target here. `make help` lists them.
# `make demo` and `make test` set everything up from nothing: the virtualenv at .venv, the Python
# packages, the native module (maturin), the Rust crates and the npm packages.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
TS_DIR := strategies_types
# The host binary and cargo tests embed the virtualenv's interpreter.
export PYO3_PYTHON := $(PY)
export WEATHERMAN_VENV := $(abspath $(VENV))
# maturin builds the extension module into its own target dir, so its build of pyo3 (without
# libpython) and cargo's (linking libpython) do not invalidate each other.
MATURIN_TARGET := target/maturin

RUST_SOURCES := $(shell find rust_shim -name '*.rs' -o -name Cargo.toml) Cargo.toml
PY_STAMP := $(VENV)/.installed
NATIVE_STAMP := $(VENV)/.native
NODE_STAMP := $(TS_DIR)/node_modules/.installed

.PHONY: help setup lock check-lock types check-types lint typecheck pytest pg-server cargo-test clippy fmt-check ts-check \
	test test-long bench demo chromium valgrind report-screenshot clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The virtualenv holds exactly the lock's packages, checked against their hashes.
$(PY_STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
		-r requirements.lock
	touch $@

$(NATIVE_STAMP): $(PY_STAMP) $(RUST_SOURCES)
	CARGO_TARGET_DIR=$(MATURIN_TARGET) VIRTUAL_ENV=$(abspath $(VENV)) \
		$(VENV)/bin/maturin develop --release -q
	touch $@

$(NODE_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(NATIVE_STAMP) $(NODE_STAMP) ## Create .venv, build the native module, install npm packages

lock: $(PY_STAMP) ## Resolve the Python dependencies anew and rewrite requirements.lock
	PATH=$(abspath $(VENV))/bin:$$PATH $(PY) tools/pylock.py write

check-lock: $(PY_STAMP) ## Fail if requirements.lock is stale against pyproject.toml
	$(PY) tools/pylock.py check

types: $(NATIVE_STAMP) ## Regenerate the JSON Schema, .d.ts and Rust contract types from the models
	$(PY) -m weatherman_inventory.codegen write

check-types: $(NATIVE_STAMP) ## Fail if any generated file differs from what the models give
	$(PY) -m weatherman_inventory.codegen check

lint: $(NATIVE_STAMP) ## ruff
	$(VENV)/bin/ruff check python tests benchmarks tools
	$(VENV)/bin/ruff format --check python tests benchmarks tools

typecheck: $(NATIVE_STAMP) ## mypy --strict over the package and the tests
	$(VENV)/bin/mypy

# The tests start their own PostgreSQL cluster (tools/pg_cluster.py) from Debian's server binaries.
pg-server: ## Install Debian's PostgreSQL server binaries when missing (no cluster is created)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
		echo "installing Debian's postgresql (server binaries for the tests' own cluster)"; \
		mkdir -p /etc/postgresql-common && \
		echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf && \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }
	@command -v openssl >/dev/null || { echo "installing openssl (the TLS cluster's certificate)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl; }

pytest: $(NATIVE_STAMP) $(NODE_STAMP) pg-server chromium ## The Python tests (fast hypothesis profile)
	$(VENV)/bin/pytest -q

cargo-test: $(NATIVE_STAMP) $(NODE_STAMP) ## cargo test (embeds the virtualenv's Python)
	cargo test --workspace --quiet

clippy: $(NATIVE_STAMP) ## cargo clippy -D warnings
	cargo clippy --workspace --all-targets --quiet -- -D warnings

fmt-check: ## cargo fmt --check
	cargo fmt --all -- --check

ts-check: $(NATIVE_STAMP) $(NODE_STAMP) ## tsc --strict and the runtime schema checks of the vectors
	cd $(TS_DIR) && npx tsc --noEmit -p tsconfig.json
	cd $(TS_DIR) && node --test

# pytest runs last so that its summary closes the output.
test: check-lock check-types lint typecheck fmt-check clippy ts-check cargo-test pytest ## Everything CI runs

test-long: $(NATIVE_STAMP) $(NODE_STAMP) chromium ## The Python tests with the long hypothesis profile
	HYPOTHESIS_PROFILE=long $(VENV)/bin/pytest -q

bench: $(NATIVE_STAMP) $(NODE_STAMP) valgrind ## Benchmarks: ledger, store, FFI, then the same beside a baseline build
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.compare

# The report's browser test drives the Debian package's Chromium (no browser download).
chromium: ## Install Chromium (Debian package) when missing: the report's browser test needs it
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The benchmark comparison counts instructions with callgrind.
valgrind: ## Install valgrind (Debian package) when missing: make bench counts instructions with it
	command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind >/dev/null; }

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DEMO_SUMMARY := var/demo-summary.json

demo: $(NATIVE_STAMP) $(NODE_STAMP) ## Run the reference host: a paper session with three strategies, then its report
	mkdir -p var
	cargo run --release --quiet --bin weatherman-host -- --report $(DEMO_SUMMARY) $(ARGS)
	mapfile -t run < <($(PY) -c 'import json, sys; s = json.load(open(sys.argv[1])); \
		print(s["db"]); print(s["sessionId"])' $(DEMO_SUMMARY)); \
	$(PY) -m weatherman_inventory report --db "$${run[0]}" --session "$${run[1]}" \
		--out "$$(dirname "$${run[0]}")/report-$${run[1]}.html"

SCREENSHOT_DB := target/report-screenshot/session.sqlite

report-screenshot: $(NATIVE_STAMP) $(NODE_STAMP) chromium ## Write docs/report.png: the report of a fixed-seed host session
	rm -rf $(dir $(SCREENSHOT_DB)) && mkdir -p $(dir $(SCREENSHOT_DB)) docs
	cargo run --release --quiet --bin weatherman-host -- --seed 7 --ticks 300 \
		--db $(SCREENSHOT_DB) --session report-s7 --quiet >/dev/null
	$(PY) -m weatherman_inventory report --db $(SCREENSHOT_DB) --session report-s7 \
		--out $(dir $(SCREENSHOT_DB))report.html
	$(PY) tools/headless.py screenshot $(dir $(SCREENSHOT_DB))report.html docs/report.png

clean: ## Remove build products (keeps the virtualenv)
	rm -rf target $(NATIVE_STAMP) $(TS_DIR)/node_modules
