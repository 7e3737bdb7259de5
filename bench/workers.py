"""Throughput of the bench/load.py mix with 1 and then 2 HTTP worker processes.

    python bench/workers.py [--release dist] [--seconds 20] [--clients 32]

Starts `kg serve --release RELEASE --http-workers N` on a free loopback port for each N
(each HTTP worker with its own query workers, `--workers` per HTTP worker as given), runs the
mix, stops the server, and prints both results and the ratio. No assertions: figures only.
On a 2-core machine the load generator shares the cores with the server, so the ratio is a
lower bound of what a second core gives a server alone on its machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(release: Path, http_workers: int, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--release",
            str(release),
            "--port",
            str(port),
            "--http-workers",
            str(http_workers),
            "--workers",
            str(workers),
            "--sparql-rate",  # one loopback client: no per-client rate limit
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--release", type=Path, default=ROOT / "dist")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--workers", type=int, default=1, help="query workers per HTTP worker")
    a = p.parse_args()
    results = {}
    for n in (1, 2):
        process, url = start(a.release.resolve(), n, a.workers)
        try:
            print(f"\n--http-workers {n} --workers {a.workers}")
            results[n] = asyncio.run(run(url, a.clients, a.seconds))
        finally:
            stop(process)
        time.sleep(1)
    one, two = results[1]["throughput"], results[2]["throughput"]
    print(
        f"\nthroughput: 1 HTTP worker {one:.1f} req/s, 2 HTTP workers {two:.1f} req/s, "
        f"ratio {two / one:.2f} (errors {results[1]['errors']} / {results[2]['errors']}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
