"""
A bad pillar, served by the real master, is refused before anything runs,
with an error naming the pillar key: by ``salt-run state.orchestrate
openstack`` (validated on the master while rendering) and by
``state.highstate`` on a minion (top file and formulas validate while
rendering).  Both in test mode: a refusal must not depend on it.

One master whose pillar file is rewritten for each case (the master
compiles the pillar afresh for each orchestration and each highstate, no
refresh needed), and one minion: the refusal happens before any minion
would be contacted by the orchestration.  The minion is a compute: a bad
secret its roles do not use never reaches it (the master's per-role
secrets filter), nor does another host's operator TLS key, so for those
only the orchestration is asked; the validator's refusal on the role that
holds it is a unit test (tests/unit/test_secrets_per_role.py,
tests/unit/test_public_tls_pillar.py).
"""
import concurrent.futures
import pathlib
import shutil
import time

import pytest
import yaml
from bad_pillars import CASES, bad_pillar
from masters import master_overrides, minion_overrides
from saltfactories.utils import random_string

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
MINION = "compute1"


@pytest.fixture(scope="module")
def example():
    return yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())


@pytest.fixture(scope="module")
def bad_cluster(salt_factories, tmp_path_factory):
    pillar_dir = tmp_path_factory.mktemp("bad-pillar")
    shutil.copy(REPO / "pillar" / "top.sls", pillar_dir / "top.sls")
    root = tmp_path_factory.mktemp("bad-pillar-master")
    master = salt_factories.salt_master_daemon(
        random_string("master-"),
        overrides=master_overrides(pillar_dir, root / "cache"),
    )
    minion = master.salt_minion_daemon(MINION, overrides=minion_overrides(MINION))
    with master.started(), minion.started():
        yield {
            "pillar_file": pillar_dir / "openstack.sls",
            "salt_cli": master.salt_cli(timeout=120),
            "salt_run_cli": master.salt_run_cli(timeout=120),
        }


def _text(data):
    return yaml.safe_dump(data, default_flow_style=False) if not isinstance(data, str) else data


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_pillar_is_refused(bad_cluster, example, case):
    key = CASES[case][1]
    pillar = dict(example, openstack=bad_pillar(example["openstack"], case))
    bad_cluster["pillar_file"].write_text(yaml.safe_dump(pillar, sort_keys=False))
    started = time.monotonic()
    secret = key.split(":")[2] if key.startswith("openstack:passwords:") else None
    if key.startswith("openstack:tls:public:") and key.endswith(":key"):
        secret = key  # another host's operator key: the filter gives it no compute
    roles = example["openstack"]["hosts"][MINION]["roles"]
    ask_minion = secret is None or secret in openstack_pillar.allowed_secrets(roles)

    # The orchestration and the highstate at once: two processes, each
    # mostly waiting on its own Salt start-up and the master's rendering.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        orchestrated = pool.submit(bad_cluster["salt_run_cli"].run,
                                   "state.orchestrate", "openstack", "test=True")
        highstate = pool.submit(bad_cluster["salt_cli"].run, "state.highstate", "test=True",
                                minion_tgt=MINION) if ask_minion else None

    ret = orchestrated.result()
    assert ret.returncode != 0, ret
    runs = ret.data.get("data", ret.data) if isinstance(ret.data, dict) else {}
    assert runs, ret
    errors = next(iter(runs.values()))
    # Refused while rendering: a list of errors, not the steps' results.
    assert isinstance(errors, list), f"{case}: the orchestration ran: {errors}"
    assert "Invalid pillar" in _text(errors) and key + ":" in _text(errors), errors

    if highstate is None:
        print(f"{case}: refused by the orchestration; {MINION} never receives {secret}")
        return
    ret = highstate.result()
    assert ret.returncode != 0, ret
    assert isinstance(ret.data, list), f"{case}: the highstate ran states: {ret.data}"
    assert "Invalid pillar" in _text(ret.data) and key + ":" in _text(ret.data), ret.data
    print(f"{case}: refused in {time.monotonic() - started:.1f} s")
