"""Reading Salt's output, for the cluster's scripts (verify.py,
orch_profile.py): its JSON answers.

Standard library only, and no newer Python than Salt's own: orch_profile.py
imports it on the master under Salt's Python (`orch_profile.py fetch`).
"""
import json


def parse_salt_json(text):
    """
    The `salt --out=json --static` answer: {minion: value}.  Salt prints one
    JSON document; older CLIs may print one per minion.  Log lines Salt
    writes before it on the same stream ("[WARNING ] ...") are skipped.
    """
    start = text.find("{")
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

