"""`kg package`: one reproducible zip with every release file, READMEs and checksums."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kg.errors import KgError
from kg.release.build import build
from kg.release.package import package

# the running interpreter's scripts, wherever its environment lives
BIN = Path(sys.executable).parent


pytestmark = pytest.mark.slow  # a full build of its own (and Oxigraph for kg publish)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "dist"
    build(out)
    return out.resolve()


def test_zip_holds_every_release_file_and_readmes(release: Path, tmp_path: Path) -> None:
    zpath = package(release, tmp_path / "r.zip")
    with zipfile.ZipFile(zpath) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
        for f in release.iterdir():
            assert f.name in names, f.name
        assert {"README.en.md", "README.kk.md", "SHA256SUMS"} <= names
        sums = zf.read("register-1042/SHA256SUMS").decode().splitlines()
        listed = {}
        for line in sums:
            digest, name = line.split("  ", 1)
            listed[name] = digest
        assert set(listed) == names - {"SHA256SUMS"}
        for name, digest in listed.items():
            assert hashlib.sha256(zf.read(f"register-1042/{name}")).hexdigest() == digest, name


def test_zip_is_reproducible(release: Path, tmp_path: Path) -> None:
    a = package(release, tmp_path / "a.zip").read_bytes()
    b = package(release, tmp_path / "b.zip").read_bytes()
    assert a == b


def test_unpacked_package_passes_checksums_and_csvw(release: Path, tmp_path: Path) -> None:
    zpath = package(release, tmp_path / "r.zip")
    with zipfile.ZipFile(zpath) as zf:
        zf.extractall(tmp_path / "x")
    folder = tmp_path / "x" / "register-1042"
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    csvw = subprocess.run(
        [str(BIN / "csvwvalidate"), "--lax", "positions.csv-metadata.json"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert csvw.returncode == 0, csvw.stdout + csvw.stderr


def test_broken_release_is_refused(release: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in release.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "register.nt").write_bytes(b"tampered\n")
    with pytest.raises(KgError, match="register.nt does not match its checksum"):
        package(broken, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
