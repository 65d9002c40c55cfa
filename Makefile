# One entry point for people and CI.
#   make test     install what the tests need, then run the whole suite
#   make bench    print the benchmark figures
#   make test-salt3008  the unit and functional tiers on Salt 3008.0
#   make cluster  a real multi-host cloud in LXC containers (Vagrantfile), deployed
#                 by the orchestration, re-run for zero changes, verified
#   make cluster-destroy  remove everything the cluster made
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test deps system-deps venv bench clean test-salt3008 cluster cluster-destroy

test: deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

deps: system-deps venv

system-deps:
	bash .ci/install-system-deps
	bash .ci/fetch-sample-configs

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -e '.[tests]'
	touch $@

# Salt 3008.0 on PyPI declares no dependencies (saltstack/salt#69244): give
# it the dependency set Salt 3007 resolved to, then Salt itself without deps.
VENV3008 ?= .venv-salt3008

$(VENV3008)/.installed: $(VENV)/.installed
	test -x $(VENV3008)/bin/python || $(PYTHON) -m venv $(VENV3008)
	$(PY) -m pip freeze --exclude-editable | grep -iv '^salt==' > $(VENV3008)/requirements-3007.txt
	$(VENV3008)/bin/pip install -q --upgrade pip wheel
	$(VENV3008)/bin/pip install -q -r $(VENV3008)/requirements-3007.txt
	$(VENV3008)/bin/pip install -q --no-deps salt==3008.0
	$(VENV3008)/bin/pip install -q --no-deps -e .
	touch $@

test-salt3008: system-deps $(VENV3008)/.installed
	$(VENV3008)/bin/python -c 'import salt.version as v; assert v.__version__ == "3008.0", v.__version__'
	$(VENV3008)/bin/pytest tests/unit tests/functional $(PYTEST_ARGS)

bench: deps
	$(PY) bench/bench_openstack_config.py
	$(PY) bench/bench_keystone_init.py
	$(PY) bench/cluster_timings.py

clean:
	rm -rf $(VENV) $(VENV3008) *.egg-info .pytest_cache

cluster:
	bash cluster/run up

cluster-destroy:
	bash cluster/run destroy
