"""
cluster/verify.py's results: which checks run (--check), a check's result
and how an exception classifies, the final table, redaction of secrets in
a detail, and --report, which merges several runs' JSON documents (the
document itself is cluster/results.py's).
"""

import json
import sys

# cluster/results.py, beside this package: the results, the exit statuses and
# the --json document.
from results import (EXIT_ERROR, FAIL, NOT_RUNNABLE, PASS, RESULTS, SKIPPED, exit_code, summarize,
                     verify_document, write_document)

from .common import CHECKS, DEFAULT_CHECKS, NotRunnable, Skipped


def redact(text, secrets):
    """`text` with every non-empty secret replaced by ******."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "******")
    return text


def select_checks(selection):
    """
    Check names to run from --check values (names or numbers, comma
    separated); the default set when empty.  Raises ValueError on an
    unknown name.
    """
    by_number = {str(n): name for n, name, _ in CHECKS if n is not None}
    names = {name for _, name, _ in CHECKS}
    if not selection:
        return list(DEFAULT_CHECKS)
    chosen = []
    for item in selection:
        for part in str(item).split(","):
            part = part.strip().lower()
            if not part:
                continue
            name = by_number.get(part, part)
            if name not in names:
                raise ValueError(f"unknown check {part!r} (known: {', '.join(sorted(names))})")
            if name not in chosen:
                chosen.append(name)
    order = [name for _, name, _ in CHECKS]
    return sorted(chosen, key=order.index)


def make_result(name, result, seconds, detail):
    number = next((n for n, nm, _ in CHECKS if nm == name), None)
    title = next((t for _, nm, t in CHECKS if nm == name), name)
    if result not in RESULTS:
        raise ValueError(f"unknown result {result!r}")
    # One line per detail: tools' multi-line messages would break the table.
    detail = " ".join(str(detail or "").split())
    return {"number": number, "check": name, "title": title, "result": result,
            "seconds": round(float(seconds), 1), "detail": detail}


def classify(exc):
    """The result a check's exception stands for."""
    if exc is None:
        return PASS
    if isinstance(exc, NotRunnable):
        return NOT_RUNNABLE
    if isinstance(exc, Skipped):
        return SKIPPED
    return FAIL


def render_table(results, width=None):
    """The final table: #, check, result, seconds, detail (wrapped)."""
    headers = ("#", "check", "result", "secs", "detail")
    rows = []
    for r in results:
        rows.append((str(r["number"]) if r["number"] is not None else "-", r["check"],
                     r["result"], f"{r['seconds']:.1f}", r["detail"] or ""))
    widths = [max([len(headers[i])] + [len(row[i]) for row in rows]) for i in range(4)]
    detail_width = max(30, (width or 120) - sum(widths) - 4 * 3)
    sep = "-+-".join("-" * w for w in widths) + "-+-" + "-" * min(detail_width, max(
        [len(headers[4])] + [len(row[4]) for row in rows]))

    def line(cells):
        return " | ".join(c.rjust(w) if i in (0, 3) else c.ljust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))

    out = [line(headers[:4]) + " | " + headers[4], sep]
    for row in rows:
        chunks = _wrap(row[4], detail_width)
        out.append(line(row[:4]) + " | " + chunks[0])
        for chunk in chunks[1:]:
            out.append(line(("", "", "", "")) + " | " + chunk)
    counts = summarize(results)
    out.append(sep)
    out.append(", ".join(f"{counts[k]} {k}" for k in RESULTS if counts[k]) or "no checks")
    # Each failure again, unwrapped, last: a log's tail (CI shows only that) names them.
    out.extend(f"{FAIL} {r['check']}: {r['detail'] or '(no detail)'}"
               for r in results if r["result"] == FAIL)
    return "\n".join(out)


def _wrap(text, width):
    words = text.split(" ")
    lines, cur = [], ""
    for word in words:
        while len(word) > width:
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:width])
            word = word[width:]
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


def merge_results(docs):
    """
    One result per check from the JSON documents of several runs (the
    cluster driver runs verify more than once): a check's latest result
    that is not SKIPPED wins, SKIPPED only when no run ran it.  Sorted in
    check order.
    """
    merged = {}
    for doc in docs:
        for res in doc.get("results") or []:
            prev = merged.get(res["check"])
            if prev is None or res["result"] != SKIPPED or prev["result"] == SKIPPED:
                merged[res["check"]] = res
    order = [name for _, name, _ in CHECKS]
    return sorted(merged.values(),
                  key=lambda r: order.index(r["check"]) if r["check"] in order else len(order))


def report(paths, json_path=None):
    """--report: merge earlier runs' JSON files, print the table; exit code."""
    docs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                docs.append(json.load(fh))
        except (OSError, ValueError) as exc:
            print(f"verify: --report {path}: {exc}", file=sys.stderr)
            return EXIT_ERROR
    results = merge_results(docs)
    print(render_table(results))
    code = exit_code(results)
    if any(d.get("exit_code") == EXIT_ERROR for d in docs):
        code = EXIT_ERROR
    write_document(json_path, verify_document(results, merged_from=list(paths), code=code))
    return code
