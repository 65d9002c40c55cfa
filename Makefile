# One entry point for people and CI.
#   make test     install what the tests need, then run the whole suite
#   make bench    print the benchmark figures
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test deps system-deps venv bench clean

test: deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

deps: system-deps venv

system-deps:
	bash .ci/install-system-deps

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -e '.[tests]'
	touch $@

bench: deps
	$(PY) bench/bench_openstack_config.py
	$(PY) bench/bench_keystone_init.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
