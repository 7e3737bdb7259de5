"""The dataset description: DCAT-AP 3.0.1 conformance (pyshacl over the SEMIC shapes), sizes
and checksums that match the files, VoID counts that match the dump, dates from release.toml."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, XSD

from kg.errors import KgError
from kg.release.catalog import catalog_artifacts, load_release_info
from kg.release.folder import Artifact
from kg.uris import Uris

pytest_plugins = ["web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
#: The SEMIC shapes, in `shared/` beside some parent of the project (as CI places it).
DCAT_AP = next(
    (
        p / "shared" / "conformance" / "dcat-ap"
        for p in ROOT.parents
        if (p / "shared" / "conformance" / "dcat-ap" / "shapes.ttl").is_file()
    ),
    ROOT.parent / "shared" / "conformance" / "dcat-ap",
)
BASE = "https://reg1042.example.org/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")
KAZ = URIRef("http://publications.europa.eu/resource/authority/country/KAZ")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """DCAT-AP 3.0.1: the cardinality/literal shapes and the class-range shapes."""
    if not (DCAT_AP / "shapes.ttl").is_file():
        pytest.fail(f"the DCAT-AP shapes are missing from {DCAT_AP}")
    return Graph().parse(DCAT_AP / "shapes.ttl").parse(DCAT_AP / "range.ttl")


@pytest.fixture(scope="module")
def catalog(web_release: Path) -> Graph:
    return Graph().parse(web_release / "catalog.ttl", format="turtle")


def test_catalog_conforms_to_dcat_ap_shapes(catalog: Graph, shapes: Graph) -> None:
    conforms, _, report = validate(catalog, shacl_graph=shapes, inference="none")
    assert conforms, report


def test_the_shapes_catch_an_untyped_licence_and_a_missing_access_url(
    catalog: Graph, shapes: Graph
) -> None:
    """The conformance test can fail: break the catalog two ways, both are violations."""
    broken = Graph()
    for t in catalog:
        broken.add(t)
    licence = next(catalog.objects(None, DCTERMS.license))
    broken.remove((licence, RDF.type, DCTERMS.LicenseDocument))
    dist = next(catalog.subjects(RDF.type, DCAT.Distribution))
    broken.remove((dist, DCAT.accessURL, None))
    conforms, report_graph, _ = validate(broken, shacl_graph=shapes, inference="none")
    assert not conforms
    sh = Namespace("http://www.w3.org/ns/shacl#")
    paths = set(report_graph.objects(None, sh.resultPath))
    assert DCTERMS.license in paths and DCAT.accessURL in paths


def test_distributions_match_the_files(catalog: Graph, web_release: Path) -> None:
    dataset = URIRef(BASE + "dataset")
    dists = set(catalog.objects(dataset, DCAT.distribution))
    names = set()
    for dist in dists:
        url = str(catalog.value(dist, DCAT.downloadURL))
        assert url.startswith(BASE + "downloads/")
        name = url.rsplit("/", 1)[1]
        names.add(name)
        data = (web_release / name).read_bytes()
        assert catalog.value(dist, DCAT.byteSize) == Literal(
            len(data), datatype=XSD.nonNegativeInteger
        )
        checksum = catalog.value(dist, SPDX.checksum)
        assert (checksum, RDF.type, SPDX.Checksum) in catalog
        assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = catalog.value(checksum, SPDX.checksumValue)
        assert value.datatype == XSD.hexBinary
        assert str(value) == hashlib.sha256(data).hexdigest()
        media = str(catalog.value(dist, DCAT.mediaType))
        assert media.startswith("https://www.iana.org/assignments/media-types/")
        # data/release.toml: the CC0 licence, and the dataset first issued on 2026-11-26
        assert catalog.value(dist, DCTERMS.license) == URIRef(
            "http://publications.europa.eu/resource/authority/licence/CC0"
        )
        assert catalog.value(dist, DCTERMS.issued) == Literal("2026-11-26", datatype=XSD.date)
    assert {"register.ttl", "register.nt", "register.jsonld", "register.rdf"} <= names
    assert "positions.csv" in names


def test_catalog_says_who_when_where_and_the_endpoint(catalog: Graph) -> None:
    dataset = URIRef(BASE + "dataset")
    cat = URIRef(BASE + "catalog")
    assert (cat, DCAT.dataset, dataset) in catalog
    assert (dataset, DCTERMS.spatial, KAZ) in catalog
    info = load_release_info(ROOT / "data")
    assert catalog.value(dataset, DCTERMS.issued) == Literal(
        info.issued.isoformat(), datatype=XSD.date
    )
    assert catalog.value(dataset, DCTERMS.modified) == Literal(
        info.modified.isoformat(), datatype=XSD.date
    )
    publisher = catalog.value(dataset, DCTERMS.publisher)
    assert publisher == URIRef(BASE + "publisher")
    assert catalog.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name")) == Literal(
        "Register 1042 open-data project", lang="en"
    )  # data/release.toml [publisher]
    service = catalog.value(cat, DCAT.service)
    assert (service, RDF.type, DCAT.DataService) in catalog
    assert catalog.value(service, DCAT.endpointURL) == URIRef(BASE + "sparql")
    assert (service, DCAT.servesDataset, dataset) in catalog


def test_catalog_jsonld_is_the_same_graph(catalog: Graph, web_release: Path) -> None:
    other = Graph().parse(web_release / "catalog.jsonld", format="json-ld")
    assert isomorphic(catalog, other)


def test_void_counts_match_the_dump(web_release: Path, release_graph_nt: Graph) -> None:
    void = Graph().parse(web_release / "void.ttl", format="turtle")
    ds = URIRef(BASE + "dataset")
    assert (ds, RDF.type, VOID.Dataset) in void
    lines = (web_release / "register.nt").read_bytes().count(b"\n")
    assert void.value(ds, VOID.triples).toPython() == lines == len(release_graph_nt)
    classes = set(release_graph_nt.objects(None, RDF.type))
    assert void.value(ds, VOID.classes).toPython() == len(classes)
    properties = set(release_graph_nt.predicates())
    assert void.value(ds, VOID.properties).toPython() == len(properties)
    entities = {
        s for s in release_graph_nt.subjects() if isinstance(s, URIRef) and str(s).startswith(BASE)
    }
    assert void.value(ds, VOID.entities).toPython() == len(entities)
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    assert str(void.value(ds, VOID.uriSpace)) == BASE
    dumps = {str(d) for d in void.objects(ds, VOID.dataDump)}
    assert BASE + "downloads/register.nt" in dumps
    assert URIRef("http://www.w3.org/2004/02/skos/core#") in set(void.objects(ds, VOID.vocabulary))
    positions = next(
        p
        for p in void.objects(ds, VOID.classPartition)
        if void.value(p, VOID["class"]) == URIRef("https://reg1042.example.org/def#Position")
    )
    n = len(
        set(release_graph_nt.subjects(RDF.type, URIRef("https://reg1042.example.org/def#Position")))
    )
    assert void.value(positions, VOID.entities).toPython() == n


# ---------------------------------------------------------------------------- release.toml


def _artifacts(release: Path) -> list[Artifact]:
    return [
        Artifact(
            name,
            "text/turtle" if name.endswith(".ttl") else "application/n-triples",
            (release / name).read_bytes(),
            name,
        )
        for name in ("register.nt", "register.ttl")
    ]


def test_same_inputs_same_bytes_and_dates_from_release_toml(
    web_release: Path, tmp_path: Path
) -> None:
    files = _artifacts(web_release)
    info = load_release_info(ROOT / "data")
    first = catalog_artifacts(files, Uris(), info)
    second = catalog_artifacts(files, Uris(), info)
    assert [a.data for a in first] == [a.data for a in second]
    data = tmp_path / "data"
    data.mkdir()
    text = (ROOT / "data" / "release.toml").read_text(encoding="utf-8")
    (data / "release.toml").write_text(
        text.replace(f"modified = {info.modified}", "modified = 2031-02-03"), encoding="utf-8"
    )
    changed = load_release_info(data)
    assert changed.modified == date(2031, 2, 3)
    catalog = catalog_artifacts(files, Uris(), changed)[1].data.decode()
    assert '"2031-02-03"^^xsd:date' in catalog


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("issued = ", "# issued = "), "missing key 'issued'"),
        (
            lambda t: re.sub(r'(?m)^version = ".*"$', "version = 1", t),
            "'version' must be a str",
        ),
        (lambda t: t + "\nthis is not toml\n", "release.toml"),
        (lambda t: t.replace("modified = ", "modified = 1999-01-01\n# "), "before 'issued'"),
    ],
)
def test_bad_release_toml_is_a_clear_error(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "release.toml", data / "release.toml")
    path = data / "release.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(KgError, match="release.toml") as err:
        load_release_info(data)
    assert message in str(err.value)
