# One entry point for people and CI.
#   make test     install what the tests need, then run the whole suite
#   make unit     the unit tier alone, without root (the venv only, no apt)
#   make lint     ruff, salt-lint and yamllint, without root
#   make bench    print the benchmark figures
#   make test-salt3007  the unit, render and functional tiers on Salt 3007 ($(SALT3007))
#   make test-salt3008  the unit, render and functional tiers on Salt 3008 (the pin)
#   make cluster  a real multi-host cloud in LXC containers (Vagrantfile), deployed
#                 by the orchestration, re-run for zero changes, verified
#   make cluster-destroy  remove everything the cluster made
#   make bench-floor  the package floor: fresh machines install their packages
#                 with plain apt-get, then the cold orchestration (about 25 min;
#                 destroys the cluster there is first)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test unit lint deps system-deps venv bench bench-floor clean test-salt3007 test-salt3008 cluster cluster-destroy

# Every tier; the functional one against Debian 13 (trixie)'s programs: on
# a Debian 13 host its own packages, on any other in the trixie root
# (.ci/trixie-root, cached in .cache/trixie-root).  .ci/run-tests says how.
test: deps
	bash .ci/run-tests $(PYTEST_ARGS)

deps: system-deps venv

# Without root, once the venv can be made (python3-venv, and a C compiler
# for Salt's timelib: make deps installs them, or the distribution's
# packages do): no apt, no daemon, the pure-logic tier.  The rendering
# tier (tests/render) and the rest need make test.
unit: venv
	$(PY) -P -m pytest -q -p no:cacheprovider tests/unit $(PYTEST_ARGS)

# The linters' configuration: pyproject.toml ([tool.ruff]), .yamllint and
# salt-lint's defaults; tests/unit/test_lint.py runs them, so make unit and
# make test do too.
lint: venv
	$(PY) -P -m pytest -q -p no:cacheprovider tests/unit/test_lint.py $(PYTEST_ARGS)

system-deps:
	bash .ci/install-system-deps
	bash .ci/fetch-sample-configs

# constraints.txt pins the Salt the tests run on (setup.cfg allows 3007 and
# 3008): without it a fresh venv takes whatever Salt the index has newest.
venv:
	bash .ci/make-venv $(VENV) $(PYTHON)

# Salt 3007 in its own venvs (the host's, and the trixie root's where the
# functional tier runs there): the same test extras, Salt 3007 instead of
# the pin (constraints.txt says why the pin is 3008).
VENV3007 ?= .venv-salt3007
SALT3007 ?= 3007.16

test-salt3007: system-deps
	TIERS="unit render functional" HOST_VENV=$(VENV3007) ROOT_VENV=/opt/venv-salt3007 \
	  SALT=salt==$(SALT3007) bash .ci/run-tests $(PYTEST_ARGS)

# Salt 3008 is the pin (constraints.txt): the same three tiers in the usual
# venvs.  Kept so that both Salts setup.cfg allows have a target.
test-salt3008: deps
	TIERS="unit render functional" bash .ci/run-tests $(PYTEST_ARGS)

bench: deps
	$(PY) bench/bench_openstack_config.py
	$(PY) bench/bench_keystone_init.py
	$(PY) bench/cluster_timings.py

clean:
	rm -rf $(VENV) $(VENV3007) *.egg-info .pytest_cache

cluster:
	bash cluster/run up

cluster-destroy:
	bash cluster/run destroy

# Issue 14's floor: not part of `make cluster` or CI; leaves the cloud up.
bench-floor:
	bash cluster/run floor
	python3 bench/cluster_timings.py
