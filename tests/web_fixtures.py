"""Session fixtures of the linked-data, page, catalog and browser tests.

Load it from a test module with ``pytest_plugins = ["web_fixtures"]`` (a plugin's session
fixtures exist once per session). The release is the one `register_fixtures` builds when that
plugin is loaded too (so the session builds it once), else one built here with
`kg.release.build.build`. Servers are real `kg serve` processes on loopback, started
with conftest's `launch`.

Helpers that read the release do so with rdflib and hashlib, never with the code under test.
Test modules import constants from here before pytest registers it as a plugin, so it opts
out of assertion rewriting: PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph

ROOT = Path(__file__).resolve().parent.parent
MINI_RELEASE = ROOT / "tests" / "fixtures" / "release-mini"
BASE = "https://reg1042.example.org/"
#: A label no page may show unescaped (it lands in a position of the small hostile release).
HOSTILE_LABEL = "<script>alert(\"x\")</script> & <b>bold</b> 'quoted' </script><!--"
HOSTILE_POSITION = "A1-1.01"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: A guard against a hung browser, not a measure: the test fails if Chromium never returns.
CHROMIUM_TIMEOUT = 120


def write_sums(folder: Path) -> None:
    """A SHA256SUMS over every file of `folder`, as a release has (the server checks it)."""
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="ascii")


@pytest.fixture(scope="session")
def web_release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's real release folder (built by kg.release.build.build once per session)."""
    try:
        return Path(request.getfixturevalue("release_dir")).resolve()
    except pytest.FixtureLookupError:
        from kg.release.build import build

        dist = tmp_path_factory.mktemp("web-site") / "dist"
        build(dist)
        return dist.resolve()


@pytest.fixture(scope="session")
def release_graph_nt(web_release: Path) -> Graph:
    """register.nt of the release, parsed by rdflib."""
    return Graph().parse(web_release / "register.nt", format="nt")


@pytest.fixture(scope="session")
def web_server(launch: Callable[..., Any], web_release: Path) -> Any:
    """`kg serve` over the real release: one HTTP process, two query workers."""
    return launch(web_release, ["--workers", "2", "--http-workers", "1"])


@pytest.fixture(scope="session")
def web(web_server: Any) -> Iterator[httpx.Client]:
    """An httpx client on the server that never follows redirects (tests look at the 303s)."""
    with httpx.Client(base_url=web_server.base_url, timeout=30, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def hostile_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small fixture release with one position labelled with markup and quotes."""
    folder = tmp_path_factory.mktemp("hostile")
    text = (MINI_RELEASE / "register.nt").read_text(encoding="utf-8")
    subject = f"<{BASE}position/{HOSTILE_POSITION}>"
    lines = []
    replaced = 0
    for line in text.splitlines(keepends=True):
        if line.startswith(f"{subject} <http://www.w3.org/2004/02/skos/core#prefLabel>"):
            escaped = HOSTILE_LABEL.replace("\\", "\\\\").replace('"', '\\"')
            line = f'{subject} <http://www.w3.org/2004/02/skos/core#prefLabel> "{escaped}"@kk .\n'
            replaced += 1
        lines.append(line)
    assert replaced == 1, "the fixture release no longer has that position's label"
    (folder / "register.nt").write_text("".join(lines), encoding="utf-8")
    write_sums(folder)
    return folder


@pytest.fixture(scope="session")
def hostile_server(launch: Callable[..., Any], hostile_release: Path) -> Any:
    return launch(hostile_release, ["--workers", "1", "--http-workers", "1"])


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """GET with the request target sent byte for byte (no client normalises '..' away)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii")
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@dataclass
class Browser:
    """Headless Chromium, run as a subprocess per page (Debian's package)."""

    executable: str
    profile: Path

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        cmd = [
            self.executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={self.profile}",
            *args,
        ]
        try:
            return subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT, check=True)
        except subprocess.TimeoutExpired:
            pytest.fail(f"chromium did not finish within {CHROMIUM_TIMEOUT} s: {' '.join(cmd)}")

    def dom(self, url: str) -> str:
        """The document as Chromium built it (after parsing, styles and any script)."""
        return self._run("--dump-dom", url).stdout.decode("utf-8")

    def screenshot(self, url: str, path: Path, width: int = 1280, height: int = 1600) -> Path:
        self._run(f"--window-size={width},{height}", f"--screenshot={path}", url)
        return path


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    if not Path(CHROMIUM).is_file():
        pytest.fail("chromium is missing: run scripts/install-chromium (make test does)")
    return Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
