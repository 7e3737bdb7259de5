"""Versioned releases and the change log: two releases built into one folder keep both at
their versioned URLs, the catalog describes both as versions of the dataset, and the change
log (RDF, Atom, the /changes page) shows exactly the fixture amendment's changes.

Expectations come from the fixture amendment (tests/amendment.py), from the files themselves
(read with rdflib, hashlib, ElementTree) and from hand-written dates and versions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from amendment import EXPECTED_CHANGES, set_release
from pyshacl import validate
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from kg.errors import KgError
from kg.release.archive import archive_release, archived_releases, previous_release
from kg.release.build import DATA_DIR, build, release_is_current
from kg.release.catalog import load_release_info

pytest_plugins = ["web_fixtures", "versions_fixtures"]

from versions_fixtures import (  # noqa: E402
    BASE,
    V1,
    V1_NOTES,
    V2,
    V2_DATE,
    V2_NOTES,
    Versioned,
)

ROOT = Path(__file__).resolve().parent.parent
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
CS = Namespace("http://purl.org/vocab/changeset/schema#")
KG = Namespace("https://reg1042.example.org/def#")
ATOM = "{http://www.w3.org/2005/Atom}"
DATASET = URIRef(BASE + "dataset")
DCAT_AP = next(
    (
        p / "shared" / "conformance" / "dcat-ap"
        for p in ROOT.parents
        if (p / "shared" / "conformance" / "dcat-ap" / "shapes.ttl").is_file()
    ),
    ROOT.parent / "shared" / "conformance" / "dcat-ap",
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------- the archive


def test_both_releases_stay_in_the_archive(versioned: Versioned) -> None:
    found = archived_releases(versioned.archive)
    assert [r.version for r in found] == [V1, V2]
    v1 = versioned.archive / V1
    assert (v1 / "register.nt").read_bytes() == versioned.v1_nt
    # dist is the latest; its files are those of the archived 1.1.0, byte for byte
    for f in versioned.dist.iterdir():
        assert sha256(f) == sha256(versioned.archive / V2 / f.name), f.name
    assert (versioned.dist / "register.nt").read_bytes() != versioned.v1_nt
    assert found[0].notes == {"en": V1_NOTES} and str(found[0].date) == versioned.v1_date
    assert previous_release(versioned.archive, V2).version == V1  # type: ignore[union-attr]
    assert previous_release(versioned.archive, V1) is None


def test_a_release_without_its_archive_is_not_current(versioned: Versioned, tmp_path: Path) -> None:
    """The catalog promises the versioned URLs, so `kg serve` rebuilds when they are gone."""
    site = tmp_path / "site"
    shutil.copytree(versioned.root / ".dist-builds", site / ".dist-builds", symlinks=True)
    os.symlink(os.readlink(versioned.dist), site / "dist")
    shutil.copytree(versioned.archive, site / "releases")
    assert release_is_current(site / "dist", versioned.data_v2, _uris())
    shutil.rmtree(site / "releases" / V2)
    assert not release_is_current(site / "dist", versioned.data_v2, _uris())


def _uris() -> Any:
    from kg.uris import Uris

    return Uris(BASE)


def test_archiving_the_same_release_again_leaves_it_untouched(
    versioned: Versioned, tmp_path: Path
) -> None:
    archive = tmp_path / "releases"
    first = archive_release(versioned.dist.resolve(), archive, V2)
    inode = (first / "register.nt").stat().st_ino
    again = archive_release(versioned.dist.resolve(), archive, V2)
    assert again == first and (again / "register.nt").stat().st_ino == inode
    assert {p.name for p in archive.iterdir()} == {V2}  # no leftovers


def test_a_rebuilt_version_replaces_only_its_own_folder(
    versioned: Versioned, tmp_path: Path
) -> None:
    archive = tmp_path / "releases"
    archive_release(versioned.archive / V1, archive, V1)
    v1_sums = (archive / V1 / "SHA256SUMS").read_bytes()
    archive_release(versioned.archive / V2, archive, "2.0.0")
    archive_release(versioned.archive / V1, archive, "2.0.0")  # 2.0.0 rebuilt with other data
    assert (archive / "2.0.0" / "register.nt").read_bytes() == versioned.v1_nt
    assert (archive / V1 / "SHA256SUMS").read_bytes() == v1_sums
    assert sorted(p.name for p in archive.iterdir()) == ["1.0.0", "2.0.0"]


def test_a_version_that_cannot_name_a_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "release.toml", data / "release.toml")
    set_release(data, "../1.0", "2030-01-01", "x")
    with pytest.raises(KgError, match="release.toml: release version '../1.0' cannot name"):
        load_release_info(data)


def test_an_unsound_archived_release_is_left_out(versioned: Versioned, tmp_path: Path) -> None:
    archive = tmp_path / "releases"
    shutil.copytree(versioned.archive, archive)
    (archive / V1 / "register.ttl").write_bytes(b"tampered\n")
    assert [r.version for r in archived_releases(archive)] == [V2]


# ---------------------------------------------------------------------------- the catalog


@pytest.fixture(scope="module")
def catalog(versioned: Versioned) -> Graph:
    return Graph().parse(versioned.dist / "catalog.ttl", format="turtle")


def test_catalog_names_both_versions_with_their_files(versioned: Versioned, catalog: Graph) -> None:
    v1, v2 = URIRef(f"{BASE}dataset#v{V1}"), URIRef(f"{BASE}dataset#v{V2}")
    assert catalog.value(DATASET, OWL.versionInfo) == Literal(V2)
    assert catalog.value(DATASET, DCAT.version) == Literal(V2)
    assert catalog.value(DATASET, ADMS.versionNotes) == Literal(V2_NOTES, lang="en")
    assert catalog.value(DATASET, DCTERMS.modified) == Literal(V2_DATE, datatype=XSD.date)
    assert set(catalog.objects(DATASET, DCAT.hasVersion)) == {v1, v2}
    assert set(catalog.objects(DATASET, DCTERMS.hasVersion)) == {v1, v2}
    assert catalog.value(DATASET, DCAT.hasCurrentVersion) == v2
    assert catalog.value(v2, DCAT.previousVersion) == v1
    assert catalog.value(v1, DCAT.previousVersion) is None
    for version, node, when in ((V1, v1, versioned.v1_date), (V2, v2, V2_DATE)):
        assert catalog.value(node, DCAT.isVersionOf) == DATASET
        assert catalog.value(node, OWL.versionInfo) == Literal(version)
        assert catalog.value(node, DCTERMS.issued) == Literal(when, datatype=XSD.date)
        names = set()
        for dist in catalog.objects(node, DCAT.distribution):
            url = str(catalog.value(dist, DCAT.downloadURL))
            assert url.startswith(f"{BASE}downloads/{version}/"), url
            name = url.rsplit("/", 1)[1]
            names.add(name)
            archived = versioned.archive / version / name
            assert catalog.value(dist, DCAT.byteSize).toPython() == archived.stat().st_size
            checksum = catalog.value(dist, SPDX.checksum)
            assert str(catalog.value(checksum, SPDX.checksumValue)) == sha256(archived)
        assert {"register.ttl", "register.nt", "positions.csv"} <= names
    # the unversioned distributions are this release's files
    for dist in catalog.objects(DATASET, DCAT.distribution):
        url = str(catalog.value(dist, DCAT.downloadURL))
        assert url.rsplit("/", 2)[-2] == "downloads"


def test_catalog_with_versions_conforms_to_dcat_ap(catalog: Graph) -> None:
    if not (DCAT_AP / "shapes.ttl").is_file():
        pytest.fail(f"the DCAT-AP shapes are missing from {DCAT_AP}")
    shapes = Graph().parse(DCAT_AP / "shapes.ttl").parse(DCAT_AP / "range.ttl")
    conforms, _, report = validate(catalog, shacl_graph=shapes, inference="none")
    assert conforms, report


def test_dates_come_from_release_toml_not_the_clock(versioned: Versioned, tmp_path: Path) -> None:
    """Rebuilding the second release over the same archive gives the same bytes."""
    site = tmp_path / "again"
    site.mkdir()
    shutil.copytree(versioned.archive / V1, site / "releases" / V1)
    build(site / "dist", data_dir=versioned.data_v2)
    for name in ("catalog.ttl", "catalog.jsonld", "changes.ttl", "changes.atom", "void.ttl"):
        assert (site / "dist" / name).read_bytes() == (versioned.dist / name).read_bytes(), name


# ---------------------------------------------------------------------------- the change log


@pytest.fixture(scope="module")
def changes(versioned: Versioned) -> Graph:
    return Graph().parse(versioned.dist / "changes.ttl", format="turtle")


def test_change_log_holds_exactly_the_amendment(changes: Graph) -> None:
    release = URIRef(f"{BASE}changes#v{V2}")
    sets = set(changes.subjects(RDF.type, CS.ChangeSet))
    assert sets == set(changes.objects(release, DCTERMS.hasPart))
    found = sorted(
        (str(changes.value(cs, KG.changeKind)), str(changes.value(cs, DCTERMS.identifier)))
        for cs in sets
    )
    assert found == EXPECTED_CHANGES
    created = Literal(f"{V2_DATE}T00:00:00Z", datatype=XSD.dateTime)
    for cs in sets:
        assert str(cs).startswith(f"{BASE}changes#v{V2}-")
        assert changes.value(cs, CS.createdDate) == created
        assert changes.value(cs, DCTERMS.isPartOf) == release
        subject = changes.value(cs, CS.subjectOfChange)
        assert str(subject).startswith(BASE + "position/")
    moved = next(cs for cs in sets if str(changes.value(cs, KG.changeKind)) == "moved")
    assert "B1-1 -> B1-2" in str(changes.value(moved, CS.changeReason))
    assert changes.value(moved, RDFS.label) is not None


def test_change_log_keeps_the_first_release_and_links_the_versions(changes: Graph) -> None:
    log = URIRef(f"{BASE}changes")
    r1, r2 = URIRef(f"{BASE}changes#v{V1}"), URIRef(f"{BASE}changes#v{V2}")
    assert set(changes.objects(log, DCTERMS.hasPart)) == {r1, r2}
    assert changes.value(r1, OWL.versionInfo) == Literal(V1)
    assert not list(changes.objects(r1, DCTERMS.hasPart))  # the first has nothing to compare
    prov = Namespace("http://www.w3.org/ns/prov#")
    assert set(changes.objects(r2, prov.wasDerivedFrom)) == {
        URIRef(f"{BASE}dataset#v{V1}"),
        URIRef(f"{BASE}dataset#v{V2}"),
    }
    assert changes.value(r2, ADMS.versionNotes) == Literal(V2_NOTES, lang="en")


def test_atom_feed(versioned: Versioned) -> None:
    feed = ET.parse(versioned.dist / "changes.atom").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == f"{BASE}changes"
    assert feed.findtext(f"{ATOM}updated") == f"{V2_DATE}T00:00:00Z"
    # data/release.toml [publisher] name
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Register 1042 open-data project"
    self_link = [e for e in feed.findall(f"{ATOM}link") if e.get("rel") == "self"]
    assert self_link[0].get("href") == f"{BASE}downloads/changes.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"{BASE}changes#v{V2}",
        f"{BASE}changes#v{V1}",
    ]
    newest = entries[0]
    assert newest.findtext(f"{ATOM}title") == (
        f"Release {V2}: 1 added, 1 deprecated, 1 moved, 1 relabelled"
    )
    assert newest.findtext(f"{ATOM}updated") == f"{V2_DATE}T00:00:00Z"
    content = newest.findtext(f"{ATOM}content") or ""
    for kind, notation in EXPECTED_CHANGES:
        assert f"{kind}: {notation}" in content
    assert newest.findtext(f"{ATOM}summary") == V2_NOTES
    assert "first" in (entries[1].findtext(f"{ATOM}title") or "")


@pytest.mark.slow  # another full build
def test_a_single_release_says_there_is_nothing_to_compare(tmp_path: Path) -> None:
    from kg.release.changes import read_log_file

    # the data without the releases committed beside it (data/releases/): nothing before it
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("releases"))
    out = tmp_path / "dist"
    build(out, data_dir=data)
    log = read_log_file(out, BASE)
    assert log is not None and len(log.releases) == 1
    assert log.releases[0].previous is None and log.releases[0].changes == ()


# ---------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def served(launch: Any, versioned: Versioned) -> Any:
    return launch(versioned.dist.resolve(), ["--workers", "1", "--http-workers", "1"])


def test_server_serves_every_release_by_version(served: Any, versioned: Versioned) -> None:
    with httpx.Client(base_url=served.base_url, timeout=30) as web:
        r = web.get(f"/downloads/{V1}/register.nt")
        assert r.status_code == 200 and r.content == versioned.v1_nt
        assert r.headers["etag"] == f'"{hashlib.sha256(versioned.v1_nt).hexdigest()}"'
        assert r.headers["content-type"].startswith("application/n-triples")
        latest = web.get("/downloads/register.nt").content
        assert web.get(f"/downloads/{V2}/register.nt").content == latest
        for bad in ("/downloads/9.9.9/register.nt", f"/downloads/{V1}/nothing.nt"):
            assert web.get(bad).status_code == 404, bad
        status = web.get(f"/downloads/{V1}/%2E%2E/{V2}/register.nt").status_code
        assert status == 404
        page = web.get("/downloads/").text
        for version in (V1, V2):
            assert f'href="/downloads/{version}/register.ttl"' in page
        assert V2_NOTES in page
        data = web.get("/downloads.json").json()
        assert [r["version"] for r in data["releases"]] == [V2, V1]
        assert data["release"]["version"] == V2


def test_changes_page_lists_the_changes_with_links(served: Any) -> None:
    with httpx.Client(base_url=served.base_url, timeout=30) as web:
        r = web.get("/changes", headers={"Accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"] == "/changes.html"
        html = web.get("/changes.html").text
        for kind, notation in EXPECTED_CHANGES:
            assert f'href="/position/{notation}.html"' in html, notation
            assert f'kind-{kind}"' in html
        assert f'id="v{V2}"' in html and f'id="v{V1}"' in html
        english = web.get("/en/changes.html").text
        assert "This is the first release" in english  # the entry of 1.0.0
        assert 'type="application/atom+xml"' in html
        ttl = web.get("/changes", headers={"Accept": "text/turtle"})
        assert ttl.status_code == 303
        g = Graph().parse(data=web.get(ttl.headers["location"]).content, format="turtle")
        assert len(set(g.subjects(RDF.type, CS.ChangeSet))) == len(EXPECTED_CHANGES)
        about = web.get("/about").text
        assert "This service uses the ESCO classification of the European Commission" in about
        assert V2 in about
