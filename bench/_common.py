"""Tiny helpers shared by the benchmark scripts: timing, a text table, JSON results."""
import json
import pathlib
import time

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"


def timed(function, *args, **kwargs):
    """Run ``function`` once; return (wall seconds, its result)."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def print_table(headers, rows):
    """Print rows (sequences of str-able cells) as an aligned text table."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def write_results(name, data):
    """Write ``data`` as JSON to bench/results/<name>.json; return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path
