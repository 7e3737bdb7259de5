"""Benchmark: how long `kg site` takes and how big the static site is.

Not a test: it prints figures and asserts nothing about time.

It builds the release into a temporary folder (or takes `--release`), then exports the static
site N times (default 2) into temporary folders with `kg.export.site.export_site` (what `kg site`
runs) and prints each run's time, the median, and the size of the site: files, bytes, HTML
pages, resources, and the share of each top-level folder (`position/`, `quote/`,
`downloads/`, ...), plus the size the site would take gzip-compressed file by file (what a
static host that compresses would store or send).

    .venv/bin/python bench/site.py [--runs 2] [--release dist]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.export.site import export_site  # noqa: E402
from kg.release.build import build  # noqa: E402
from kg.uris import Uris, base_from_env  # noqa: E402


def sizes(out: Path) -> tuple[Counter[str], Counter[str], int]:
    """Bytes and files per top-level entry, and the gzip-compressed total."""
    by_folder: Counter[str] = Counter()
    files: Counter[str] = Counter()
    compressed = 0
    for path in out.rglob("*"):
        if path.is_file():
            top = path.relative_to(out).parts[0]
            key = top + "/" if len(path.relative_to(out).parts) > 1 else "(top level)"
            data = path.read_bytes()
            by_folder[key] += len(data)
            files[key] += 1
            compressed += len(gzip.compress(data, compresslevel=6, mtime=0))
    return by_folder, files, compressed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="number of exports (default 2)")
    parser.add_argument("--release", help="release folder (default: build one into a temp folder)")
    args = parser.parse_args()
    base = Uris(base_from_env()).base
    print(f"python {platform.python_version()}, {os.cpu_count()} CPU(s), {args.runs} run(s)")
    with tempfile.TemporaryDirectory(prefix="kg-bench-site-") as tmp:
        if args.release:
            release = Path(args.release).resolve()
        else:
            started = time.perf_counter()
            build(Path(tmp) / "dist")
            release = (Path(tmp) / "dist").resolve()
            print(f"release built in {time.perf_counter() - started:.1f} s")
        times = []
        done = None
        for run in range(1, args.runs + 1):
            done = export_site(release, Path(tmp) / f"site-{run}", base)
            times.append(done.seconds)
            print(
                f"run {run}: {done.seconds:.1f} s, {done.files} files, "
                f"{done.bytes / 1e6:.1f} MB, {done.html} HTML pages, {done.resources} resources"
            )
        assert done is not None
        by_folder, files, compressed = sizes(done.out)
        print(f"\nmedian {statistics.median(times):.1f} s over {args.runs} run(s)")
        print(
            f"size: {done.bytes / 1e6:.1f} MB in {done.files} files "
            f"({compressed / 1e6:.1f} MB gzip-compressed file by file)"
        )
        width = max(len(k) for k in by_folder) + 2
        for key, size in by_folder.most_common():
            print(f"  {key:<{width}} {size / 1e6:7.2f} MB  {files[key]:6d} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
