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

# Every tier; the functional one against Debian 13 (trixie)'s programs: on
# a Debian 13 host its own packages, on any other in the trixie root
# (.ci/trixie-root, cached in .cache/trixie-root).  .ci/run-tests says how.
test: deps
	bash .ci/run-tests $(PYTEST_ARGS)

deps: system-deps venv

system-deps:
	bash .ci/install-system-deps
	bash .ci/fetch-sample-configs

# constraints.txt pins the Salt the tests run on (setup.cfg allows 3007 and
# 3008): without it a fresh venv takes whatever Salt the index has newest.
venv:
	bash .ci/make-venv $(VENV) $(PYTHON)

# Salt 3008 in its own venvs (the host's, and the trixie root's where the
# functional tier runs there): the same test extras, Salt 3008 instead of
# the pin.  (3008.0 declared no dependencies, saltstack/salt#69244; 3008.4
# does.)
VENV3008 ?= .venv-salt3008
SALT3008 ?= 3008.4

test-salt3008: system-deps
	TIERS="unit functional" HOST_VENV=$(VENV3008) ROOT_VENV=/opt/venv-salt3008 \
	  SALT=salt==$(SALT3008) bash .ci/run-tests $(PYTEST_ARGS)

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
