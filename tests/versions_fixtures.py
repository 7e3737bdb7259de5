"""Session fixtures of the versioned-release and static-site tests: two releases built into
one folder (so the archive holds both), the static export of the second, and servers on
loopback (`kg serve` over the release, a plain static file server over the export).

Load with ``pytest_plugins = ["versions_fixtures"]`` (with "web_fixtures" for `launch` users).
The first release is the project's data as version 1.0.0; the second is the fixture amendment
(tests/amendment.py) as version 1.1.0, released on a later date.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from amendment import amend, set_release
from conftest import launch_on_free_port, terminate

from kg.release.build import DATA_DIR, build
from kg.release.catalog import load_release_info

V1, V2 = "1.0.0", "1.1.0"
V2_DATE = "2030-02-01"
V1_NOTES = "Fixture release one."
V2_NOTES = "Fixture release two: one position moved, one renamed, one abolished."
BASE = "https://reg1042.example.org/"


@dataclass(frozen=True)
class Versioned:
    """Two releases built into `root/dist`; the archive `root/releases` holds both."""

    root: Path
    dist: Path
    archive: Path
    data_v1: Path
    data_v2: Path
    #: register.nt of the first release, read right after its build.
    v1_nt: bytes
    v1_date: str


@pytest.fixture(scope="session")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> Versioned:
    root = tmp_path_factory.mktemp("versions")
    v1_date = load_release_info(DATA_DIR).issued.isoformat()
    data_v1 = root / "data-v1"
    shutil.copytree(DATA_DIR, data_v1)
    set_release(data_v1, V1, v1_date, V1_NOTES)
    dist = root / "dist"
    build(dist, data_dir=data_v1)
    v1_nt = (dist / "register.nt").read_bytes()
    data_v2 = root / "data-v2"
    shutil.copytree(data_v1, data_v2)
    amend(data_v2)
    set_release(data_v2, V2, V2_DATE, V2_NOTES)
    build(dist, data_dir=data_v2)
    return Versioned(root, dist, root / "releases", data_v1, data_v2, v1_nt, v1_date)


@dataclass(frozen=True)
class Exported:
    out: Path
    files: int
    bytes: int
    seconds: float


@pytest.fixture(scope="session")
def exported(versioned: Versioned) -> Exported:
    """The static site of the second release (with both releases' files)."""
    from kg.export.site import export_site

    out = versioned.root / "site"
    done = export_site(versioned.dist.resolve(), out, BASE)
    print(
        f"\nstatic site: {done.files} files, {done.bytes / 1e6:.1f} MB, "
        f"{done.html} HTML pages, {done.resources} resources, written in {done.seconds:.1f} s"
    )
    return Exported(out, done.files, done.bytes, done.seconds)


@pytest.fixture(scope="session")
def static_server(exported: Exported, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m http.server` on loopback over the export: a plain static host, no rules."""
    log = tmp_path_factory.mktemp("http-server") / "log"
    process, port = launch_on_free_port(
        lambda port: [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(exported.out),
        ],
        lambda port: f"http://127.0.0.1:{port}/index.html",
        log,
    )
    yield f"http://127.0.0.1:{port}/"
    terminate(process)
