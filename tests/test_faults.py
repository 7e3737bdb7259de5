"""The server on missing, corrupted or changing release folders: a clear error or a rebuild,
never a store that answers from half the data.

(Builds killed at random points are tested in tests/test_release.py.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURE_RELEASE, ROOT, RunningServer, free_port, start_server, stop_server

pytest_plugins = ["search_fixtures"]  # `search_release`: the real release, built once a session

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def serve_and_fail(
    release: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `kg serve --release RELEASE` and expect it to exit on its own."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--release", str(release)]
        + ["--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clear_refusal(run: subprocess.CompletedProcess[str], *words: str) -> None:
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def copy_release(tmp_path: Path) -> Path:
    release = tmp_path / "release"
    shutil.copytree(FIXTURE_RELEASE, release)
    return release


def lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def count(base_url: str, salt: str = "") -> httpx.Response:
    query = COUNT + (f" # {salt}" if salt else "")
    return httpx.get(
        f"{base_url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert_clear_refusal(serve_and_fail(tmp_path / "nowhere"), "no release folder", "kg build")


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert_clear_refusal(serve_and_fail(tmp_path), "SHA256SUMS is missing")


def test_truncated_dump_is_refused(tmp_path: Path) -> None:
    release = copy_release(tmp_path)
    data = (release / "register.nt").read_bytes()
    cut = data[: len(data) // 2]
    (release / "register.nt").write_bytes(cut[: cut.rindex(b"\n") + 1])  # still valid N-Triples
    assert_clear_refusal(serve_and_fail(release), "register.nt does not match its checksum")


def test_missing_dump_is_refused(tmp_path: Path) -> None:
    release = copy_release(tmp_path)
    (release / "register.nt").unlink()
    assert_clear_refusal(serve_and_fail(release), "register.nt is missing")


def test_sums_that_do_not_vouch_for_the_dump_are_refused(tmp_path: Path) -> None:
    release = copy_release(tmp_path)
    (release / "SHA256SUMS").write_text("")
    assert_clear_refusal(serve_and_fail(release), "register.nt is not listed in SHA256SUMS")


@pytest.mark.slow
def test_a_release_for_another_base_iri_is_refused(tmp_path: Path) -> None:
    """A release built with `kg --base OTHER build`, served with the default base IRI: its
    URIs would not dereference there, so the server refuses it and names both bases."""
    other = "https://data.example.kz/reg1042/"
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "--base", other, "build", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    run = serve_and_fail(out)
    assert_clear_refusal(run, other, "https://reg1042.example.org/", "void:uriSpace")
    assert "serving" not in run.stdout


def zygotes_of(pid: int) -> list[int]:
    """The query worker zygotes started by server process `pid` (its direct children)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"kg.query.worker" in Path(f"/proc/{child}/cmdline").read_bytes():
            found.append(int(child))
    return found


def test_a_dump_changed_while_serving_is_never_loaded(
    tmp_path: Path, launch: Callable[..., RunningServer]
) -> None:
    """A replacement worker (after a kill) is a fork of the data checked at start, so it answers
    from the original data; a new zygote (the old one died) checks the dump again, refuses the
    altered file, and the server answers 503 rather than counts from the altered data."""
    release = copy_release(tmp_path)
    expected = lines(release / "register.nt")
    # one query worker in all (none kept for pages), so after the kill none holds the old data
    args = ["--workers", "1", "--page-workers", "0", "--http-workers", "1", "--time-limit", "1"]
    server = launch(release, args)
    first = count(server.base_url)
    assert first.status_code == 200
    assert int(first.json()["results"]["bindings"][0]["n"]["value"]) == expected

    data = (release / "register.nt").read_bytes()
    (release / "register.nt").write_bytes(data[: data.index(b"\n", len(data) // 3) + 1])
    runaway = httpx.get(server.endpoint, params={"query": RUNAWAY}, timeout=60)
    assert runaway.status_code == 503  # its worker was killed and replaced by a new fork
    again = count(server.base_url, salt="after the kill")
    assert again.status_code == 200
    assert int(again.json()["results"]["bindings"][0]["n"]["value"]) == expected

    (zygote,) = zygotes_of(server.process.pid)
    os.kill(zygote, signal.SIGKILL)  # its worker dies with it; a new zygote must reload
    statuses = []
    for attempt in range(5):
        r = count(server.base_url, salt=f"after change {attempt}")
        statuses.append(r.status_code)
        if r.status_code == 200:  # only the original data may ever answer
            assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == expected
    assert statuses[1:] == [503] * 4, statuses
    deadline = time.monotonic() + 30
    while "does not match the checksum" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "does not match the checksum" in server.log()
    assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200


@pytest.mark.slow
def test_kg_serve_rebuilds_a_corrupted_release(tmp_path: Path, search_release: Path) -> None:
    """`kg serve --out DIR` on a corrupted release builds a fresh one and serves it whole."""
    out = tmp_path / "dist"
    shutil.copytree(search_release.resolve(), out)  # a release of the current inputs...
    nt = out / "register.nt"  # ...whose dump is then cut short
    nt.write_bytes(nt.read_bytes()[:1000])
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--out", str(out), "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert "building the release" in server.log(), server.log()
        r = count(server.base_url)
        assert r.status_code == 200, server.log()
        served = int(r.json()["results"]["bindings"][0]["n"]["value"])
        assert served == lines(out / "register.nt") > 10_000
    finally:
        stop_server(server)


@pytest.mark.slow
def test_start_server_helper_refuses_a_corrupted_release(tmp_path: Path) -> None:
    """The test harness's own start-up sees the refusal too (no server on a bad release)."""
    release = copy_release(tmp_path)
    (release / "register.nt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="does not match its checksum"):
        server = start_server(release, tmp_path)
        stop_server(server)


def _pids_answering(base_url: str, want: int, attempts: int = 400) -> set[int]:
    """PIDs seen on /healthz over fresh connections (the kernel spreads them over workers)."""
    pids: set[int] = set()
    for _ in range(attempts):
        try:
            r = httpx.get(f"{base_url}/healthz", timeout=10)
        except httpx.HTTPError:
            continue
        if r.status_code == 200:
            pids.add(r.json()["pid"])
        if len(pids) >= want:
            break
    return pids


def test_two_http_workers_both_answer_and_a_killed_one_is_replaced(
    launch: Callable[..., RunningServer],
) -> None:
    server = launch(FIXTURE_RELEASE, ["--http-workers", "2", "--workers", "1"])
    pids = _pids_answering(server.base_url, 2)
    assert len(pids) == 2, pids
    assert server.process.pid not in pids  # the supervisor does not answer itself

    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    for _ in range(20):  # the survivor answers meanwhile (a connection may hit the dead one)
        r = httpx.get(f"{server.base_url}/healthz", timeout=10)
        assert r.status_code == 200
    deadline = time.monotonic() + 60
    seen: set[int] = set()
    while time.monotonic() < deadline and not (seen - pids):
        seen |= _pids_answering(server.base_url, 2, attempts=50)
        time.sleep(0.2)
    assert seen - pids, f"no replacement worker answered (saw {seen}, had {pids})"
    assert victim not in seen
