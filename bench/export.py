"""Benchmark: `kg site` (the static export) against `kg build` (the release it exports).

Not a test: it prints figures and asserts nothing about time. In one process, N times
(default 2) and interleaved, so a noisy neighbour slows both alike, it builds the release
into a temporary folder with `kg.release.build.build` (what `kg build` runs) and exports that
release with `kg.export.site.export_site` (what `kg site` runs). It prints each run's wall time
and CPU time (this process and the worker processes it waited for), the medians, and the
ratio site/build with the goal: the export within 3x the build. An untimed build comes
first, so the timed ones do not pay the imports and first-use costs the export shares.

    .venv/bin/python bench/export.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.export.site import export_site  # noqa: E402
from kg.release.build import build  # noqa: E402
from kg.uris import Uris, base_from_env  # noqa: E402

GOAL = 3.0  # site/build


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


def timed(step: Callable[[], object]) -> tuple[float, float]:
    wall, used = time.perf_counter(), cpu()
    step()
    return time.perf_counter() - wall, cpu() - used


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="builds and exports each (default 2)")
    args = parser.parse_args()
    base = Uris(base_from_env()).base
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s), {args.runs} run(s); load average {load_average()}"
    )
    times: dict[str, list[tuple[float, float]]] = {"build": [], "site": []}
    with tempfile.TemporaryDirectory(prefix="kg-bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        build(tmp / "warm-up")  # untimed: the first build also pays imports the export shares
        for run in range(1, args.runs + 1):
            release = tmp / f"dist-{run}"
            times["build"].append(timed(lambda release=release: build(release)))
            site = tmp / f"site-{run}"
            times["site"].append(timed(lambda r=release, s=site: export_site(r.resolve(), s, base)))
            print(
                f"run {run}: "
                + ", ".join(
                    f"{k} {v[-1][0]:.1f} s (CPU {v[-1][1]:.1f} s)" for k, v in times.items()
                )
            )
    med = {k: [statistics.median(t[i] for t in v) for i in (0, 1)] for k, v in times.items()}
    print(f"\nmedians over {args.runs} run(s){'':8} {'wall s':>7} {'CPU s':>7}")
    for k in ("build", "site"):
        print(f"  kg {k:<29} {med[k][0]:7.1f} {med[k][1]:7.1f}")
    wall, used = (med["site"][i] / med["build"][i] for i in (0, 1))
    print(f"  {'site/build':<32} {wall:6.2f}x {used:6.2f}x")
    print(f"goal site/build <= {GOAL:.0f}x: {'met' if wall <= GOAL else 'not met'} (wall time)")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
