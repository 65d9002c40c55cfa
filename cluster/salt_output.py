"""Reading Salt's output, for the cluster's scripts (verify.py,
orch_summary.py, orch_profile.py): its JSON answers and its state keys.

Standard library only, and no newer Python than Salt's own: orch_profile.py
imports it on the master under Salt's Python (`orch_profile.py fetch`).
"""
import json
import re


def parse_salt_json(text):
    """
    The `salt --out=json --static` answer: {minion: value}.  Salt prints one
    JSON document; older CLIs may print one per minion.  Log lines Salt
    writes before it on the same stream ("[WARNING ] ...", braces and all)
    are skipped.
    """
    # the document starts a line; a log line may hold braces itself
    first = re.search(r"^\{", text, re.M)
    start = first.start() if first else text.find("{")
    text = text[start:].strip() if start >= 0 else ""
    if not text:
        return {}
    try:
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    except json.JSONDecodeError:
        merged = {}
        decoder = json.JSONDecoder()
        pos = 0
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            obj, pos = decoder.raw_decode(text, pos)
            if isinstance(obj, dict):
                merged.update(obj)
        return merged


def state_key(key, ret=None):
    """
    A state's id and function from its key in a state run's return
    (`module_|-id_|-name_|-function`) and the return itself: (id,
    "module.function").  The id is the return's `__id__` when it has one,
    else the key's; the function is "" for a key of another shape.

        pkg_|-common-packages_|-common-packages_|-installed
            -> ("common-packages", "pkg.installed")
    """
    parts = key.split("_|-")
    sid = (ret or {}).get("__id__") or (parts[1] if len(parts) > 1 else key)
    fun = f"{parts[0]}.{parts[-1]}" if len(parts) == 4 else ""
    return sid, fun
