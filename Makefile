# One entry point for people and CI.
#   make test     install what the tests need, then run the whole suite
#   make bench    print the benchmark figures
#   make cluster  a real multi-host cloud in LXC containers (Vagrantfile), deployed
#                 by the orchestration, re-run for zero changes, verified
#   make cluster-destroy  remove everything the cluster made
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test deps system-deps venv bench clean cluster cluster-destroy

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
	$(PY) bench/cluster_timings.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

cluster:
	bash cluster/run up

cluster-destroy:
	bash cluster/run destroy
