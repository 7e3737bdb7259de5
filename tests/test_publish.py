"""`kg publish` into a real Graph Store: `oxigraph serve` started on loopback by the test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kg.errors import KgError
from kg.query.publish import publish, release_graph_iri
from kg.release.build import build
from kg.uris import Uris

ROOT = Path(__file__).resolve().parent.parent
OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


pytestmark = pytest.mark.slow  # a full build of its own (and Oxigraph for kg publish)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pub") / "dist"
    build(out)
    return out.resolve()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _count(base: str, graph: str | None = None) -> int:
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
    r = httpx.get(
        f"{base}/query",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    r.raise_for_status()
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def _dump_lines(release: Path) -> int:
    return sum(1 for line in (release / "register.nt").read_bytes().splitlines() if line.strip())


def test_publish_puts_the_release_as_one_named_graph(release: Path, store: str) -> None:
    uris = Uris()
    result = publish(release, f"{store}/store", uris)
    assert result.graph == release_graph_iri(uris, release)
    assert result.triples == _dump_lines(release)
    assert _count(store, result.graph) == _dump_lines(release)


def test_publish_is_idempotent(release: Path, store: str) -> None:
    uris = Uris()
    publish(release, f"{store}/store", uris)
    total = _count(store)
    again = publish(release, f"{store}/store", uris)
    assert _count(store) == total == again.triples


def test_unreachable_store_is_a_clean_error(release: Path) -> None:
    with pytest.raises(KgError):
        publish(release, f"http://127.0.0.1:{_free_port()}/store", Uris(), timeout=2)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "publish",
            "--release",
            str(release),
            "--graph-store",
            f"http://127.0.0.1:{_free_port()}/store",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr and "publish" in run.stderr
