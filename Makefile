# One entry point for people and CI.
#   make test     install what the tests need, then run the whole suite
#   make bench    print the benchmark figures
#   make test-salt3008  the unit and functional tiers on Salt 3008 ($(SALT3008))
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

# constraints.txt pins the Salt the tests run on (setup.cfg allows 3007 and
# 3008): without it a fresh venv takes whatever Salt the index has newest.
$(VENV)/.installed: setup.cfg setup.py pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -c constraints.txt -e '.[tests]'
	have=$$($(PY) -c 'import salt.version; print(salt.version.__version__)'); \
	  grep -qx "salt==$$have" constraints.txt || { echo "salt $$have installed, not the one constraints.txt pins" >&2; exit 1; }
	touch $@

# Salt 3008 in its own venv: the same test extras, Salt 3008 instead of the
# pin.  (3008.0 declared no dependencies, saltstack/salt#69244; 3008.4 does.)
VENV3008 ?= .venv-salt3008
SALT3008 ?= 3008.4

$(VENV3008)/.installed: setup.cfg setup.py pyproject.toml Makefile
	test -x $(VENV3008)/bin/python || $(PYTHON) -m venv $(VENV3008)
	$(VENV3008)/bin/pip install -q --upgrade pip wheel
	$(VENV3008)/bin/pip install -q 'salt==$(SALT3008)' -e '.[tests]'
	touch $@

test-salt3008: system-deps $(VENV3008)/.installed
	$(VENV3008)/bin/python -c 'import salt.version as v; assert v.__version__ == "$(SALT3008)", v.__version__'
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
