"""Fixtures shared by the unit tests (the example pillar's: tests/conftest.py)."""
import pytest


@pytest.fixture
def shadow(tmp_path):
    """A 0600 file like /etc/shadow (root-owned when run as root), that no
    module may read, publish or write through a link."""
    secret = tmp_path / "shadow"
    secret.write_text("root:$y$j9T$hash:19000:0:99999:7:::\nnova:!:19000::::::\n")
    secret.chmod(0o600)
    return secret


@pytest.fixture
def nova_manage_runs(monkeypatch):
    """``install(run_all)``: nova_manage then runs every program (all found
    in /usr/bin) through ``run_all``, a fake ``cmd.run_all``, with an
    empty ``__context__``."""
    from saltext_openstack._modules import nova_manage, openstack_config

    def install(run_all):
        monkeypatch.setattr(nova_manage, "__salt__", {
            "cmd.run_all": run_all, "openstack_config.escape": openstack_config.escape},
            raising=False)  # fmt: skip
        monkeypatch.setattr(nova_manage, "__context__", {}, raising=False)
        monkeypatch.setattr(nova_manage.salt.utils.path, "which", lambda name: f"/usr/bin/{name}")

    return install
