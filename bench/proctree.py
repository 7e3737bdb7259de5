"""Resident memory of a process tree: RSS, PSS and USS per process, from /proc (Linux).

Not a test. `python bench/proctree.py PID` prints every process under PID (PID included)
with its command and the sums; USS (private pages) is what killing the process gives back,
PSS shares each shared page among the processes that map it (so PSS sums are the tree's
real footprint).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that just ended
            continue
        found += [int(c) for c in text]
    return found


def tree(pid: int, depth: int = 0) -> list[tuple[int, int]]:
    out = [(pid, depth)]
    for child in children(pid):
        out += tree(child, depth + 1)
    return out


def rollup(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0])
    return values


def describe(pid: int) -> str:
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if "kg.query.worker" in cmd:
        return "query worker zygote / forked query worker"
    if "forkserver import main" in cmd:
        return "forkserver / forked query worker"
    if "resource_tracker" in cmd:
        return "multiprocessing resource tracker"
    if "spawn_main" in cmd:
        return "spawned child (uvicorn HTTP worker)"
    return cmd[:70]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("pid", type=int)
    a = p.parse_args()
    totals = {"Rss": 0, "Pss": 0, "Uss": 0}
    print(f"{'pid':>7} {'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7}  what")
    for pid, depth in tree(a.pid):
        r = rollup(pid)
        uss = r["Private_Clean"] + r["Private_Dirty"]
        for k, v in (("Rss", r["Rss"]), ("Pss", r["Pss"]), ("Uss", uss)):
            totals[k] += v
        print(
            f"{pid:7} {r['Rss'] / 1024:7.1f} {r['Pss'] / 1024:7.1f} {uss / 1024:7.1f}  "
            + "  " * depth
            + describe(pid)
        )
    print(
        f"{'sum':>7} {totals['Rss'] / 1024:7.1f} {totals['Pss'] / 1024:7.1f} "
        f"{totals['Uss'] / 1024:7.1f}"
    )


if __name__ == "__main__":
    main()
