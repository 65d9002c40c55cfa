"""Load one of the repository's Python files as a module, by path (the
custom Salt modules are not importable packages)."""
import importlib.util
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]


def load(relpath, name):
    spec = importlib.util.spec_from_file_location(name, REPO / relpath)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
