"""ruff over the Python, salt-lint and yamllint over the state tree and
pillar: make lint runs these tests, and so do make unit and make test."""
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def _tool(name):
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def _sls_files():
    return sorted(str(p) for p in (REPO / "salt").rglob("*.sls")) + sorted(
        str(p) for p in (REPO / "pillar").rglob("*.sls")
    )


def test_salt_lint_clean():
    proc = subprocess.run(
        [_tool("salt-lint"), *_sls_files()], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_yamllint_clean():
    yaml_files = sorted(str(p) for p in (REPO / "salt").rglob("*.yaml"))
    proc = subprocess.run(
        [_tool("yamllint"), "-c", str(REPO / ".yamllint"), *yaml_files, str(REPO / "pillar")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_clean():
    # pyproject.toml's [tool.ruff] says which checks, and Salt's dunders
    proc = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
