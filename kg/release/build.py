"""The pipeline: law text -> curated records -> graph -> SHACL gate -> release folder.

After the release folder is published, `build` copies it into the archive beside it
(`releases/<version>/`, kg.release.archive), and before that it compares the new graph with the
previous archived release to write the change log (kg.release.changes) and lists the archived
versions in the catalog (kg.release.catalog).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.curate.records import Register
from kg.curate.register import load_register
from kg.curate.source import load_source, uncovered_words
from kg.errors import KgError
from kg.rdf.graph import build_graph
from kg.rdf.validate import ValidationResult, validate_graph
from kg.release.archive import (
    ArchivedRelease,
    archive_dir_for,
    archive_release,
    archived_releases,
    is_archived,
    seed_archive,
    version_key,
)
from kg.release.catalog import ReleaseInfo, catalog_artifacts, release_info
from kg.release.changes import (
    ATOM_MEDIA_TYPE,
    CHANGES_ATOM,
    CHANGES_TTL,
    atom_feed,
    build_log,
    log_turtle,
    read_log,
)
from kg.release.folder import (
    INPUTS_STAMP,
    Artifact,
    rdf_artifacts,
    table_artifacts,
    verify_release,
    write_release,
)
from kg.settings import DATA_DIR, PROJECT_ROOT
from kg.uris import Uris

SHACL_REPORT = "shacl-report.ttl"
#: Everything a release is made from; a change to any of these makes a release stale.
INPUT_DIRS = ("data", "ontology", "shapes", "kg")
#: Earlier releases committed with the data (data/releases/<version>/), seeded into the archive.
COMMITTED_RELEASES = "releases"


def inputs_fingerprint(data_dir: Path, uris: Uris) -> str:
    """SHA-256 over the build's inputs (curated data, vocabulary, shapes, code) and base IRI."""
    digest = hashlib.sha256(uris.base.encode())
    roots = [data_dir] + [PROJECT_ROOT / d for d in INPUT_DIRS if d != "data"]
    for root in roots:
        for path in sorted(
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def release_is_current(out: Path, data_dir: Path, uris: Uris) -> bool:
    """True if `out` is a sound release built from exactly the current inputs and the archive
    beside it holds it (the catalog promises its versioned URLs)."""
    stamp = out / INPUTS_STAMP
    if not stamp.is_file() or verify_release(out):
        return False
    if stamp.read_text(encoding="ascii").strip() != inputs_fingerprint(data_dir, uris):
        return False
    return is_archived(out, archive_dir_for(out), release_info(data_dir).version)


@dataclass
class BuildResult:
    register: Register
    graph: Graph
    validation: ValidationResult
    release: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now


def load_and_check(data_dir: Path = DATA_DIR) -> Register:
    """Read the source and the curated files; refuse if any word of the register is unquoted."""
    source = load_source(data_dir / "source")
    reg = load_register(data_dir, source)
    missing = uncovered_words(source, ((s.start, s.end) for s in reg.all_spans()))
    if missing:
        listed = ", ".join(f"{w.text!r}@{w.start}" for w in missing[:20])
        raise KgError(f"{len(missing)} word(s) of the register are covered by no quote: {listed}")
    return reg


def validate(data_dir: Path = DATA_DIR, uris: Uris | None = None) -> BuildResult:
    timer = _Timer()
    reg = load_and_check(data_dir)
    timer.lap("load")
    graph = build_graph(reg, uris or Uris())
    timer.lap("graph")
    result = validate_graph(graph)
    timer.lap("shacl")
    return BuildResult(reg, graph, result, timings=timer.timings)


def build(
    out: Path,
    data_dir: Path = DATA_DIR,
    uris: Uris | None = None,
    fail_after: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build and publish; raise KgError (leaving `out` untouched) if the graph is invalid."""
    uris = uris or Uris()
    result = validate(data_dir, uris)
    timer = _Timer()
    report = result.validation.report_graph.serialize(format="turtle", encoding="utf-8")
    if not result.validation.conforms:
        failed = out.absolute().parent / f"{out.name}.{SHACL_REPORT}"
        failed.write_bytes(report)
        raise KgError(
            f"{result.validation.summary()}\nNothing was published; the SHACL report is in {failed}"
        )
    artifacts: list[Artifact] = rdf_artifacts(result.graph)
    info = release_info(data_dir)
    artifacts += table_artifacts(result.graph, uris, str(info.modified))
    artifacts.append(Artifact(SHACL_REPORT, "text/turtle", report, "SHACL validation report"))
    stamp = (inputs_fingerprint(data_dir, uris) + "\n").encode()
    artifacts.append(Artifact(INPUTS_STAMP, "text/plain", stamp, "Fingerprint of the build inputs"))
    archive = archive_dir_for(out)
    seed_archive(archive, data_dir / COMMITTED_RELEASES, info.version, uris.base)
    history = [
        r for r in archived_releases(archive) if version_key(r.version) < version_key(info.version)
    ]
    timer.lap("serialise")
    artifacts += change_artifacts(artifacts, uris, info, history[-1] if history else None)
    timer.lap("changes")
    artifacts += catalog_artifacts(artifacts, uris, info, history)  # DCAT-AP, VoID
    result.release = write_release(out, artifacts, fail_after=fail_after)
    archive_release(result.release, archive, info.version)
    timer.lap("write")
    result.timings.update(timer.timings)
    return result


def change_artifacts(
    artifacts: list[Artifact], uris: Uris, info: ReleaseInfo, previous: ArchivedRelease | None
) -> list[Artifact]:
    """changes.ttl and changes.atom: this release against the previous archived one."""
    nt = next(a.data for a in artifacts if a.name == "register.nt")
    notes = dict(info.version_notes)
    triples = build_log(uris.base, info.version, info.modified, notes, nt, previous)
    feed = atom_feed(
        read_log(triples, uris.base),
        uris.base,
        info.publisher_name,
        str(uris.download(CHANGES_ATOM)),
    )
    return [
        Artifact(CHANGES_TTL, "text/turtle", log_turtle(triples), "What changed (Talis Changeset)"),
        Artifact(CHANGES_ATOM, ATOM_MEDIA_TYPE, feed, "What changed (Atom feed)"),
    ]
