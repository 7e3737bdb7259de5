"""The release folder: every published file side by side, with SHA256SUMS, swapped in atomically.

`dist` is a symbolic link to a complete build folder under `.dist-builds/`. A build
writes a new folder and only when every file is written and the SHACL gate passed does
it repoint the link (one atomic rename); an interrupted or failed build leaves the
previous release untouched.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.errors import KgError
from kg.rdf import dumps, sssom, tables
from kg.uris import Uris

BUILDS_DIR_NAME = ".dist-builds"
SUMS_NAME = "SHA256SUMS"
#: The fingerprint of a release's build inputs (kg.release.build writes it).
INPUTS_STAMP = "build-inputs.sha256"


@dataclass(frozen=True)
class Artifact:
    name: str
    media_type: str
    data: bytes
    title: str


def rdf_artifacts(g: Graph) -> list[Artifact]:
    nt = dumps.ntriples(g)
    ts = dumps.triples(nt)
    context = json.dumps(dumps.jsonld_context(), indent=2, sort_keys=True) + "\n"
    return [
        Artifact("register.ttl", "text/turtle", dumps.turtle(ts), "Register, Turtle"),
        Artifact("register.nt", "application/n-triples", nt, "Register, N-Triples"),
        Artifact(
            "register.jsonld", "application/ld+json", dumps.jsonld(ts), "Register, JSON-LD 1.1"
        ),
        Artifact("register.rdf", "application/rdf+xml", dumps.rdfxml(ts), "Register, RDF/XML"),
        Artifact(
            "context.jsonld",
            "application/ld+json",
            context.encode(),
            "JSON-LD context of the dumps",
        ),
    ]


def table_artifacts(g: Graph, uris: Uris, modified: str = "2000-01-01") -> list[Artifact]:
    """The CSV (with its CSVW description), the spreadsheet and the SSSOM crosswalk;
    `modified` (the release's date) stamps the spreadsheet, so no clock is read."""
    # imported here: openpyxl (and numpy through it) would otherwise load into the server,
    # which reads this module for verify_release only
    from kg.rdf import spreadsheet

    return [
        Artifact(tables.POSITIONS_CSV, "text/csv", tables.positions_csv(g), "Positions, CSV"),
        Artifact(
            spreadsheet.XLSX,
            spreadsheet.MEDIA_TYPE,
            spreadsheet.positions_xlsx(g, modified),
            spreadsheet.TITLE,
        ),
        Artifact(
            f"{tables.POSITIONS_CSV}-metadata.json",
            "application/csvm+json",
            tables.positions_csvw(uris, g),
            "Positions, CSVW metadata",
        ),
        *mapping_artifacts(g, uris),
    ]


def mapping_artifacts(g: Graph, uris: Uris) -> list[Artifact]:
    """The ISCO-08 crosswalk as SSSOM/TSV; its metadata (mapping set id, version, licence,
    ESCO acknowledgement, CURIE map) is the file's own YAML header."""
    return [Artifact(sssom.SSSOM_TSV, sssom.MEDIA_TYPE, sssom.sssom_tsv(g, uris), sssom.TITLE)]


def sha256sums(files: dict[str, bytes]) -> bytes:
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ]
    return "".join(lines).encode("ascii")


def write_release(
    out: Path, artifacts: list[Artifact], fail_after: Callable[[str], None] | None = None
) -> Path:
    """Write all artifacts into a fresh folder and atomically point `out` at it.

    `fail_after` is called after each file is written (tests use it to simulate a crash).
    """
    out = out.absolute()
    builds = out.parent / BUILDS_DIR_NAME
    builds.mkdir(parents=True, exist_ok=True)
    # One build at a time per output folder: pruning must never remove a folder that a
    # concurrent build is still writing.
    with (out.parent / f".{out.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = _resolve_or_none(out)
        folder = Path(tempfile.mkdtemp(prefix="build-", dir=builds))
        folder.chmod(0o755)
        try:
            files: dict[str, bytes] = {}
            for art in artifacts:
                (folder / art.name).write_bytes(art.data)
                files[art.name] = art.data
                if fail_after:
                    fail_after(art.name)
            (folder / SUMS_NAME).write_bytes(sha256sums(files))
            _fsync_dir(folder)
            _swap_link(out, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _prune(builds, keep={folder.resolve(), previous})
    return folder


def _swap_link(out: Path, folder: Path) -> None:
    if out.exists() and not out.is_symlink():
        if not out.is_dir():
            raise KgError(f"{out} exists and is not a release folder; move it away")
        # An old-style real folder: move it aside once, then switch to the link layout.
        out.rename(out.parent / BUILDS_DIR_NAME / f"legacy-{os.getpid()}")
    tmp_link = out.parent / f".{out.name}.link-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(folder, out.parent))
    os.replace(tmp_link, out)


def _resolve_or_none(path: Path) -> Path | None:
    return path.resolve() if path.exists() else None


def _prune(builds: Path, keep: set[Path | None]) -> None:
    """Keep the new release and the one it replaced (for a quick rollback); remove the
    rest, including folders that interrupted builds left behind."""
    for entry in builds.iterdir():
        if entry.resolve() in keep:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def listed_digests(folder: Path) -> dict[str, str]:
    """{file name: SHA-256 hex} as SHA256SUMS lists them (empty if there is no SHA256SUMS)."""
    sums = folder / SUMS_NAME
    if not sums.is_file():
        return {}
    listed = {}
    for line in sums.read_text(encoding="ascii", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    return listed


def verify_release(folder: Path, required: Iterable[str] = ()) -> list[str]:
    """Problems with a release folder: missing files or checksum mismatches (empty if sound).

    `required` names files that must be listed in SHA256SUMS (the server needs register.nt:
    a SHA256SUMS that does not list it would vouch for nothing).
    """
    sums = folder / SUMS_NAME
    if not sums.is_file():
        return [f"{sums} is missing"]
    listed = listed_digests(folder)
    problems = [f"{name} is not listed in {SUMS_NAME}" for name in required if name not in listed]
    for name, digest in listed.items():
        path = folder / name
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            problems.append(f"{name!r} in {SUMS_NAME} is not a file name of the release")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name} does not match its checksum")
    return problems


def release_version(release: Path) -> str:
    """The release's version: its build fingerprint, short (the same inputs give the same id)."""
    stamp = release / INPUTS_STAMP
    if not stamp.is_file():
        raise KgError(f"{release}: no build-inputs.sha256; build the release with `kg build`")
    return stamp.read_text(encoding="ascii").strip()[:16]
