"""A process tree from /proc (Linux): its processes, their memory and their CPU time.

Used by bench/sparql.py (CPU time per request) and bench/memory.py (RSS and PSS per process);
run alone, `python bench/proctree.py PID` prints the memory of every process under PID
(PID included) and the sums. RSS counts every page a process maps, shared ones included (so
a tree's RSS sum counts shared pages once per process); PSS shares each shared page among
the processes that map it (so a tree's PSS sum is its real footprint); USS is the private
pages, what ending the process gives back.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:  # the process just ended
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
            continue
    return found


def tree(pid: int, depth: int = 0) -> list[tuple[int, int]]:
    """(pid, depth) of `pid` and every descendant, parents before their children."""
    out = [(pid, depth)]
    for child in children(pid):
        out += tree(child, depth + 1)
    return out


def cpu_seconds(pid: int) -> float:
    """utime+stime of the process and of its ended children it has waited for (0 if gone):
    summed over a living tree, this counts the work of query workers that were replaced."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK  # utime, stime, cutime, cstime


def tree_cpu(pid: int) -> dict[int, float]:
    return {p: cpu_seconds(p) for p, _ in tree(pid)}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the tree spent between two `tree_cpu` snapshots: the difference of the
    sums, so a process born in between counts from zero and one that ended and was waited
    for is counted in its parent's cutime+cstime, not lost."""
    return sum(after.values()) - sum(before.values())


@dataclass(frozen=True)
class Memory:
    pid: int
    depth: int
    rss: int  # bytes
    pss: int
    uss: int
    command: str


def memory(pid: int, depth: int = 0) -> Memory | None:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return None
    kb = {}
    for line in lines:
        name, _, rest = line.partition(":")
        kb[name] = int(rest.split()[0])
    uss = kb["Private_Clean"] + kb["Private_Dirty"]
    return Memory(pid, depth, kb["Rss"] * 1024, kb["Pss"] * 1024, uss * 1024, command.strip())


def tree_memory(pid: int) -> list[Memory]:
    return [m for p, depth in tree(pid) if (m := memory(p, depth)) is not None]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("pid", type=int)
    a = p.parse_args()
    rows = tree_memory(a.pid)
    print(f"{'pid':>7} {'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7}  command")
    for m in rows:
        print(
            f"{m.pid:7} {m.rss / 2**20:7.1f} {m.pss / 2**20:7.1f} {m.uss / 2**20:7.1f}  "
            + "  " * m.depth
            + m.command[:70]
        )
    rss, pss, uss = (sum(getattr(m, k) for m in rows) / 2**20 for k in ("rss", "pss", "uss"))
    print(f"{'sum':>7} {rss:7.1f} {pss:7.1f} {uss:7.1f}")


if __name__ == "__main__":
    main()
