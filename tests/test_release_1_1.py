"""Release 1.1.0 over release 1.0.0, as a fresh clone builds it.

A fresh clone has no archive: `kg build` seeds it with the releases committed in
data/releases/ (1.0.0), so the change log, the Atom feed, the catalog and `kg diff 1.0.0
1.1.0` compare the two. The expected changes are written here by hand from the review
(issue 13): the parts of the split cells added, the wholes deprecated, the labels the review
corrected, and the crosswalk's reviewed mappings; nothing else may change.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import RDF, SKOS, Graph, Namespace, URIRef
from test_splits import CELLS

from kg.release.build import DATA_DIR, build
from kg.release.diff import Diff, compare, load_release
from kg.uris import KG

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "data" / "releases" / "1.0.0"
BASE = "https://reg1042.example.org/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ATOM = "{http://www.w3.org/2005/Atom}"

WHOLES = set(CELLS)
PARTS = {p for _d, _l, parts in CELLS.values() for p in parts}
#: Concepts other than positions whose labels the review changed: е for ё (the occupations
#: controller and scientific-secretary, the institution types MQK and night-stay-house, two
#: decision kinds), bodies in full (the significance levels), C1's Russian cases (the four
#: unit heads), the new English titles (medical-registrar, storehouse-head) and the scope
#: of "psychoneurological".
OTHER_RELABELLED = {
    "MQK",
    "night-stay-house",
    "republican",
    "regional",
    "district",
    "duplicate",
    "split-across-page-break",
    "controller",
    "scientific-secretary",
    "maintenance-unit-head",
    "pharmacy-head",
    "canteen-head",
    "workshop-head",
    "medical-registrar",
    "storehouse-head",
    "psychoneurological-care-social-worker",
}
#: occupation -> its mapping changes (kg.release.diff's detail), from the review's table
MAPPING_CHANGES = {
    "swimming-instructor": {"-skos:broadMatch C3423", "+skos:closeMatch C3422"},
    "organisation-head": {
        "-skos:broadMatch C1344",
        "+skos:closeMatch C1343",
        "+skos:closeMatch C1344",
    },
    "unit-head": {"-skos:broadMatch C1344", "+skos:closeMatch C1343", "+skos:closeMatch C1344"},
    "home-care-unit-head": {
        "-skos:broadMatch C1344",
        "+skos:closeMatch C1343",
        "+skos:closeMatch C1344",
    },
    "directorate-head": {"+skos:closeMatch C1223"},
    "educator": {"-skos:closeMatch C2342", "+skos:closeMatch C2352"},
    "educator-assistant": {"-skos:closeMatch C5312", "+skos:closeMatch C5311"},
    "design-engineer": {"-skos:closeMatch C2144", "+skos:closeMatch C2149"},
    "safety-engineer": {"-skos:broadMatch C2149", "+skos:closeMatch C2263"},
    "civil-defence-head": {"-skos:closeMatch C1349", "+skos:closeMatch C2422"},
    "economist": {"+skos:closeMatch C3314"},
    "librarian": {"-skos:closeMatch C4411", "+skos:closeMatch C3433"},
    "methodologist": {"-skos:broadMatch C2351", "+skos:closeMatch C2351", "+skos:closeMatch C2424"},
    "assistant": {"+skos:closeMatch C4229"},
}


@pytest.fixture(scope="module")
def v1() -> Graph:
    """Release 1.0.0's graph, from its committed dump (not from this release)."""
    return Graph().parse(COMMITTED / "register.nt", format="nt")


def relabelled_positions_of_1_0_0(v1: Graph) -> set[str]:
    """Positions of release 1.0.0 whose labels the review's rules change."""
    out = {"C1.01", "C1.02", "C1.03", "C1.04"}
    for position in v1.subjects(RDF.type, KG.Position):
        labels = {o.language: str(o) for o in v1.objects(position, SKOS.prefLabel)}
        ru, en = labels.get("ru", ""), labels.get("en", "")
        if (
            any(x in ru for x in ("ГЦВП", "ГУ и КГП", "ё"))
            or "state institutions and enterprises" in en
            or en.startswith(("Medical registrar", "Head of the storehouse"))
            or "с психоневрологическими заболеваниями и лицами" in ru
        ):
            out.add(str(v1.value(position, SKOS.notation)))
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release folder as in a fresh clone: no archive before the build."""
    root = tmp_path_factory.mktemp("fresh-clone")
    build(root / "dist", data_dir=DATA_DIR)
    return root


@pytest.fixture(scope="module")
def diff(fresh: Path) -> Diff:
    archive = fresh / "releases"
    return compare(load_release(archive / "1.0.0"), load_release(archive / "1.1.0"))


def test_the_build_seeds_1_0_0_into_the_archive(fresh: Path) -> None:
    archive = fresh / "releases"
    assert sorted(p.name for p in archive.iterdir()) == ["1.0.0", "1.1.0"]
    assert (archive / "1.0.0" / "SHA256SUMS").read_bytes() == (
        COMMITTED / "SHA256SUMS"
    ).read_bytes()


def test_the_committed_1_0_0_is_release_1_0_0(v1: Graph) -> None:
    assert len(set(v1.subjects(RDF.type, KG.Position))) == 368
    assert len(v1) == 23199
    assert 'dcat:version "1.0.0"' in (COMMITTED / "catalog.ttl").read_text(encoding="utf-8")


def test_the_diff_lists_exactly_the_reviews_changes(diff: Diff, v1: Graph) -> None:
    by_kind: dict[str, set[str]] = {}
    for change in diff.changes:
        by_kind.setdefault(change.kind, set()).add(change.notation)
    assert set(by_kind) == {"added", "deprecated", "relabelled", "mappings"}
    assert by_kind["added"] == PARTS | {"coordination-kept", "ending-adjusted"}
    assert by_kind["deprecated"] == WHOLES
    assert by_kind["relabelled"] == relabelled_positions_of_1_0_0(v1) | OTHER_RELABELLED
    assert by_kind["mappings"] == set(MAPPING_CHANGES)
    for change in diff.of_kind("mappings"):
        assert set(change.detail.replace("isco:", "").split(", ")) == {
            x.replace(" C", " http://data.europa.eu/esco/isco/C")
            for x in MAPPING_CHANGES[change.notation]
        } or set(change.detail.split(", ")) == {
            x.replace(" C", " isco:C") for x in MAPPING_CHANGES[change.notation]
        }, change.detail
    for change in diff.of_kind("deprecated"):
        _d, _l, parts = CELLS[change.notation]
        assert all(f"position/{p}" in change.detail for p in parts)


def test_the_change_log_and_the_feed_say_the_same(fresh: Path, diff: Diff) -> None:
    feed = ET.parse(fresh / "dist" / "changes.atom").getroot()
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.iter(f"{ATOM}entry")}
    entry = entries[f"{BASE}changes#v1.1.0"]
    counts = {k: len(diff.of_kind(k)) for k in ("added", "deprecated", "relabelled", "mappings")}
    assert entry.findtext(f"{ATOM}title") == (
        f"Release 1.1.0: {counts['added']} added, {counts['deprecated']} deprecated, "
        f"{counts['relabelled']} relabelled, {counts['mappings']} mappings"
    )
    assert counts["added"] == 36 + 2 and counts["deprecated"] == 17 and counts["mappings"] == 14
    lines = (entry.findtext(f"{ATOM}content") or "").splitlines()
    listed = {tuple(line.split(" ", 2)[:2]) for line in lines}
    assert listed == {(f"{c.kind}:", c.notation) for c in diff.changes}
    log = Graph().parse(fresh / "dist" / "changes.ttl")
    sets = {
        s
        for s in log.subjects(
            URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            URIRef("http://purl.org/vocab/changeset/schema#ChangeSet"),
        )
        if str(s).startswith(f"{BASE}changes#v1.1.0-")
    }
    assert len(sets) == len(diff.changes)


def test_the_catalog_describes_both_versions(fresh: Path) -> None:
    catalog = Graph().parse(fresh / "dist" / "catalog.ttl")
    dataset = URIRef(f"{BASE}dataset")
    versions = set(catalog.objects(dataset, DCAT.hasVersion))
    assert versions == {URIRef(f"{BASE}dataset#v1.0.0"), URIRef(f"{BASE}dataset#v1.1.0")}
    assert (
        URIRef(f"{BASE}dataset#v1.1.0"),
        DCAT.previousVersion,
        URIRef(f"{BASE}dataset#v1.0.0"),
    ) in catalog
    notes = {
        o.language
        for o in catalog.objects(dataset, URIRef("http://www.w3.org/ns/adms#versionNotes"))
    }
    assert notes == {"kk", "ru", "en"}


def test_kg_diff_takes_archived_versions_by_name(fresh: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "kg.cli", "diff", "1.0.0", "1.1.0"],
        cwd=fresh,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "deprecated (17):" in out and "added (38):" in out and "mappings (14):" in out
