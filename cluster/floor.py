#!/usr/bin/env python3
"""The package floor of issue 14 (`cluster/run floor`, `make bench-floor`):
what the package manager alone needs to install what the formulas install,
against which the cold orchestration's time is measured.

    floor.py packages LOWSTATE DIR [MINION...]

LOWSTATE is the master's `salt --out=json --static '*' state.show_lowstate`
(each minion's highstate, rendered from its pillar by the formulas
themselves: the one source of what each role installs).  Writes
DIR/MINION.pkgs, the packages of every `pkg.installed` and `pkg.latest`
state, one per line, sorted; a minion whose highstate did not render
fails the command, named with its errors, and so does a MINION named
that did not answer or installs nothing.

    floor.py record RESULTS DIR COLD_SECONDS [ATTEMPTS]

DIR holds MINION.pkgs and MINION.seconds (how long that minion's one
plain `apt-get update` and `apt-get install` took, all minions at once)
and wall.seconds (the whole, the floor); MINION.warm.seconds (the apt
proxy's warming) is no floor and is not read.  Writes "floor" into RESULTS
(bench/results/cluster.json, results.set_floor): the floor, each host's
time and the number of packages its states ask for, the cold
orchestration's time on fresh machines from the same apt cache (ATTEMPTS:
2 when it ran twice, the second after a failure of the mirror or of
Salt's transport: both are in the time), its profile (DIR/profile.json,
written by orch_profile.py in the floor's run) and the ratio beside the
goal (1.3).  The ratio compares the whole cold orchestration (configuration,
migrations, registration, service starts) with the package manager's work
alone.
"""
import json
import pathlib
import sys
import time

import results

# Issue 14: the cold orchestration within 1.3 times the package floor.
GOAL_RATIO = 1.3
PROFILE = "orchestrate_floor_cold"
PKG_FUNS = ("installed", "latest")


def _names(chunk):
    """The package names of one pkg state chunk: its pkgs (names, or
    {name: version} mappings) or else its name."""
    pkgs = chunk.get("pkgs")
    if not pkgs:
        return [chunk["name"]] if chunk.get("name") else []
    names = []
    for item in pkgs:
        if isinstance(item, dict):
            names.extend(item)
        else:
            names.append(str(item))
    return names


def packages(lowstate, expected=()):
    """{minion: sorted package names} from show_lowstate's {minion: chunks}.
    A minion that answered errors (a list of strings, or a string) raises
    ValueError naming it; so does an ``expected`` minion that did not
    answer or whose states install nothing."""
    if not isinstance(lowstate, dict) or not lowstate:
        raise ValueError("no minion answered state.show_lowstate")
    found = {}
    for minion, chunks in sorted(lowstate.items()):
        if not isinstance(chunks, list) or any(not isinstance(c, dict) for c in chunks):
            errors = chunks if isinstance(chunks, list) else [chunks]
            raise ValueError(f"{minion}: its highstate did not render: "
                             + "; ".join(str(e) for e in errors if not isinstance(e, dict))[:2000])
        names = set()
        for chunk in chunks:
            if chunk.get("state") == "pkg" and chunk.get("fun") in PKG_FUNS:
                names.update(_names(chunk))
        found[minion] = sorted(names)
    for minion in expected:
        if not found.get(minion):
            raise ValueError(f"{minion}: " + ("no package state in its highstate" if minion in found
                                              else "did not answer state.show_lowstate"))
    return found


def document(pkgs, seconds, wall, cold, attempts=1, profile=None, date=None):
    """The "floor" entry: pkgs {minion: [names]}, seconds {minion: s},
    wall and cold in seconds, the cold run's attempts and profile rows.
    A minion timed without packages raises ValueError."""
    for minion in seconds:
        if not pkgs.get(minion):
            raise ValueError(f"{minion}: timed, but no package list ({minion}.pkgs)")
    doc = {
        "date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "floor_s": round(wall, 1),
        "orchestrate_cold_s": round(cold, 1),
        "ratio": round(cold / wall, 2) if wall > 0 else None,
        "goal_ratio": GOAL_RATIO,
        "attempts": attempts,
        "hosts": {m: {"packages": len(pkgs[m]), "apt_s": round(seconds[m], 1)}
                  for m in sorted(seconds)},
    }
    if profile:
        doc["profile"] = profile
    return doc


def _read_dir(directory):
    directory = pathlib.Path(directory)
    pkgs = {p.stem: p.read_text(encoding="utf-8").split() for p in sorted(directory.glob("*.pkgs"))}
    # (wall.seconds and MINION.warm.seconds, the proxy's warming, are no minion's floor)
    seconds = {p.stem: float(p.read_text(encoding="utf-8"))
               for p in sorted(directory.glob("*.seconds"))
               if p.stem != "wall" and not p.name.endswith(".warm.seconds")}
    wall = float((directory / "wall.seconds").read_text(encoding="utf-8"))
    if not seconds:
        raise ValueError("no MINION.seconds file")
    profile = results.load(directory / "profile.json").get("profile", {}).get(PROFILE)
    return pkgs, seconds, wall, profile


def main(argv):
    if len(argv) >= 3 and argv[0] == "packages":
        try:
            found = packages(json.loads(pathlib.Path(argv[1]).read_text(encoding="utf-8")), argv[3:])
        except (OSError, ValueError) as exc:
            print(f"floor.py packages: {argv[1]}: {exc}", file=sys.stderr)
            return 2
        out = pathlib.Path(argv[2])
        out.mkdir(parents=True, exist_ok=True)
        for minion, names in found.items():
            (out / f"{minion}.pkgs").write_text("".join(n + "\n" for n in names), encoding="utf-8")
            print(f"{minion}: {len(names)} packages")
        return 0
    if len(argv) in (4, 5) and argv[0] == "record":
        try:
            pkgs, seconds, wall, profile = _read_dir(argv[2])
            doc = document(pkgs, seconds, wall, float(argv[3]),
                           int(argv[4]) if len(argv) == 5 else 1, profile)
        except (OSError, ValueError) as exc:
            print(f"floor.py record: {argv[2]}: {exc}", file=sys.stderr)
            return 2
        results.set_floor(argv[1], doc)
        print(json.dumps({k: v for k, v in doc.items() if k != "profile"}, indent=2))
        return 0
    print("\n".join(line.strip() for line in __doc__.splitlines()
                    if line.startswith("    floor.py")), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
