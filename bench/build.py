"""Benchmark: the build pipeline, stage by stage, and the SHACL gate parallel vs sequential.

Not a test: it prints figures and asserts nothing about time.

In one process it runs `kg.release.build.build` N times (default 3) into a temporary folder and reads
the time of each stage from the build's own timer, so the stages are exactly what `kg build`
does:

- load:      read the law text (checksum), the curated files, the coverage check;
- graph:     curated records -> rdflib graph;
- shacl:     the SHACL gate over every shapes file, in parallel worker processes;
- write:     serialisation of every release file plus the atomic write of the folder.

After each build it runs the same gate sequentially (`validate_graph(..., parallel=False)`)
on the graph that build produced, and prints the median of each, with the ratio
parallel/sequential (below 1: the parallel gate is faster).

    .venv/bin/python bench/build.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.rdf.validate import shape_files, validate_graph  # noqa: E402
from kg.release.build import build  # noqa: E402

STAGES = [
    ("load+check", ("load",)),
    ("graph", ("graph",)),
    ("shacl (parallel)", ("shacl",)),
    ("serialise+write", ("serialise", "write")),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="number of builds (default 3)")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPU(s), "
        f"{len(shape_files())} shapes files, {args.runs} run(s)"
    )
    stage_times: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    totals: list[float] = []
    sequential: list[float] = []
    triples = 0
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        out = Path(tmp) / "dist"
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            result = build(out)
            totals.append(time.perf_counter() - started)
            for name, keys in STAGES:
                stage_times[name].append(sum(result.timings[k] for k in keys))
            triples = len(result.graph)

            started = time.perf_counter()
            check = validate_graph(result.graph, parallel=False)
            sequential.append(time.perf_counter() - started)
            if check.conforms != result.validation.conforms:
                print("warning: the sequential gate disagrees with the parallel one")
            print(
                f"run {run}: total {totals[-1]:.3f} s, "
                + ", ".join(f"{name} {times[-1]:.3f} s" for name, times in stage_times.items())
                + f"; shacl (sequential) {sequential[-1]:.3f} s"
            )

    print(f"\nmedians over {args.runs} run(s), {triples} triples:")
    width = max(len(name) for name in stage_times) + 2
    for name, times in stage_times.items():
        print(f"  {name:<{width}}{statistics.median(times):8.3f} s")
    print(f"  {'total (wall)':<{width}}{statistics.median(totals):8.3f} s")
    parallel = statistics.median(stage_times["shacl (parallel)"])
    seq = statistics.median(sequential)
    print(f"  {'shacl (sequential)':<{width}}{seq:8.3f} s")
    print(f"  {'parallel/sequential':<{width}}{parallel / seq:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
