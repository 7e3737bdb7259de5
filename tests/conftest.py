"""Shared fixtures: real servers on 127.0.0.1, each `kg serve` in a subprocess.

Why subprocesses: the tests talk HTTP to the same program a user runs (uvicorn, lifespan,
query worker processes), not to an in-process test client.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from kg.release.build import BuildResult

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_RELEASE = ROOT / "tests" / "fixtures" / "release-mini"
#: The main test server's time limit: short, so the runaway test is quick.
TEST_TIME_LIMIT = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    """A server subprocess and where it listens."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/sparql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def launch_on_free_port(
    command: Callable[[int], list[str]],
    ready_url: Callable[[int], str],
    log_path: Path,
    **popen: object,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `command(port)` on a free loopback port; return once `ready_url(port)` answers 200.

    A free port can be taken between probing and binding, so a start that fails because the
    address is in use is retried on another port (three tries).
    """
    for _attempt in range(3):
        port = free_port()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command(port), stdout=log, stderr=subprocess.STDOUT, **popen)  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(ready_url(port), timeout=1).status_code == 200:
                    return process, port
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        terminate(process)
        if "address already in use" not in log_path.read_text(errors="replace").lower():
            break
    raise RuntimeError(f"server did not start:\n{log_path.read_text(errors='replace')}")


#: What Oxigraph, Virtuoso, nginx and Apache log when the port they were given is taken.
PORT_TAKEN = ("address already in use", "could not bind", "failed to start listening")
#: Tries of a launcher that picks a free port and may lose it before binding.
PORT_TRIES = 3


def port_was_taken(*logs: Path) -> bool:
    """Whether a server's logs say it could not bind its port (then retry on another)."""
    text = " ".join(p.read_text(errors="replace").lower() for p in logs if p.exists())
    return any(phrase in text for phrase in PORT_TAKEN)


def terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_server(release_dir: Path, log_dir: Path, args: Sequence[str] = ()) -> RunningServer:
    """Start `kg serve` on a free loopback port and wait until /healthz answers.

    Every test client is 127.0.0.1, one client to the per-client /sparql rate limit, so the
    servers run without it unless a test sets ``--sparql-rate`` (tests/test_limits.py does).
    """
    log_path = log_dir / "server.log"
    if "--sparql-rate" not in args:
        args = [*args, "--sparql-rate", "0"]
    process, port = launch_on_free_port(
        lambda port: [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--release",
            str(release_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        lambda port: f"http://127.0.0.1:{port}/healthz",
        log_path,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return RunningServer(process, f"http://127.0.0.1:{port}", log_path)


def stop_server(server: RunningServer) -> None:
    terminate(server.process)


@dataclass(frozen=True)
class Built:
    """The release built once per session by `kg.release.build.build`."""

    site: Path  # the folder that holds the `dist` link and `.dist-builds/`
    dist: Path  # the link
    result: BuildResult


@pytest.fixture(scope="session")
def session_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The project's release, built once a session: every fixture that needs the real release
    (register, web, search) reads this one."""
    from kg.release.build import build

    site = tmp_path_factory.mktemp("site")
    dist = site / "dist"
    return Built(site, dist, build(dist))


@pytest.fixture(scope="session")
def release_dir(session_build: Built) -> Path:
    """The session's release folder (through the `dist` link). Read it, never change it."""
    return session_build.dist


@pytest.fixture(scope="session")
def validated(session_build: Built) -> BuildResult:
    """The project's data read, made a graph and put through the SHACL gate, once a session
    (the session build's own result; tests that change the graph change a copy)."""
    return session_build.result


@pytest.fixture(scope="session")
def fixture_release() -> Path:
    """A small release folder (a slice of the register as N-Triples) for server tests."""
    return FIXTURE_RELEASE


@pytest.fixture(scope="session")
def launch(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningServer]]:
    """Start more servers: ``launch(release_dir, [args])``; all stop at the end of the session."""
    started: list[RunningServer] = []

    def _launch(release_dir: Path, args: Sequence[str] = ()) -> RunningServer:
        running = start_server(release_dir, tmp_path_factory.mktemp("server"), args)
        started.append(running)
        return running

    yield _launch
    for running in started:
        stop_server(running)


@pytest.fixture(scope="session")
def server(launch: Callable[..., RunningServer]) -> RunningServer:
    """The fixture release with a 2 s time limit, in one HTTP process with two query workers
    (one process, so /healthz counters describe every request the tests send)."""
    args = ["--time-limit", str(TEST_TIME_LIMIT), "--workers", "2", "--http-workers", "1"]
    return launch(FIXTURE_RELEASE, args)


@pytest.fixture(scope="session")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


#: Fixtures that start a server process, a browser, an external store, web server or checker,
#: or export a whole static site. A test that uses one (itself or through another fixture) is
#: marked ``slow``, so ``pytest -m "not slow"`` (``make check``) runs without any of them.
SLOW_FIXTURES = frozenset(
    {
        "launch",  # every `kg serve` a fixture starts goes through it
        "browser",  # Chromium
        "exported",  # `kg site`: a full static export
        "static_server",
        "nginx",
        "apache",
        "store",  # Oxigraph or Virtuoso
        "external",
        "checkers",  # axe, vnu (java), node
        "hostile",
        # more releases built than the session's one (each a full build: seconds of CPU)
        "two_builds",  # two `kg build` processes with different hash seeds
        "releases",  # test_diff: the release and an amended one
        "fresh",  # test_release_1_1: a fresh clone's build
        "versioned",  # two versions of the release
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
