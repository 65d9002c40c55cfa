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
