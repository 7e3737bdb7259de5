"""The dataset description: a DCAT-AP 3 catalog and a VoID description of the release.

Why built with the release: the catalog states each dump's size and SHA-256, so it can only be
written once the dumps' bytes exist; `kg.release.build` calls `catalog_artifacts` after the dumps and
before SHA256SUMS. Dates, version, publisher and licence come from the curated
`data/release.toml`, never from the clock, so the same inputs give the same bytes.

Objects such as media types, licences and places are typed explicitly (dct:MediaType,
dct:LicenseDocument, dct:Location, ...), because the DCAT-AP range shapes check classes and
a consumer cannot be expected to load the EU authority tables. No blank nodes: checksums and
class partitions get hash IRIs under the dataset's IRI, so the files are deterministic.

At serve time `read_publication` loads both files back (the server answers /catalog, /dataset,
/void, /publisher from them, and /changes from the change log, kg.release.changes) and `release_files`
lists what /downloads/ offers.

Versions: the dataset `<base>dataset` is always the latest release (its distributions are the
unversioned `/downloads/<file>`); each release is also a dataset of its own, `<base>dataset#v<version>`
(dcat:isVersionOf the dataset, dcat:previousVersion the one before), whose distributions are
the versioned `/downloads/<version>/<file>` kept in the archive (kg.release.archive). The catalog of a
release lists every archived version older than it, read from the archive's files, so it
changes when the archive does (not when the clock does).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.rdf import dumps, sssom, terms
from kg.release.archive import ArchivedRelease, check_version
from kg.release.changes import ATOM_MEDIA_TYPE, CHANGES_ATOM, CHANGES_TTL
from kg.release.folder import SUMS_NAME, Artifact
from kg.settings import DATA_DIR
from kg.uris import ADMS, DCAT, FOAF, KG, SPDX, VOID, Uris

RELEASE_TOML = "release.toml"
CATALOG_TTL = "catalog.ttl"
CATALOG_JSONLD = "catalog.jsonld"
VOID_TTL = "void.ttl"
#: The release files that are the dataset's data, each one DCAT distribution.
DISTRIBUTIONS = (
    "register.ttl",
    "register.nt",
    "register.jsonld",
    "register.rdf",
    "positions.csv",
    "positions.csv-metadata.json",
    "positions.xlsx",
    "mappings.sssom.tsv",
)
#: Release files the catalog does not describe as distributions: media type and title.
OTHER_FILES: dict[str, tuple[str, str]] = {
    "context.jsonld": ("application/ld+json", "JSON-LD context of the dumps"),
    "shacl-report.ttl": ("text/turtle", "SHACL validation report of this release"),
    "build-inputs.sha256": ("text/plain", "Fingerprint of the build inputs"),
    VOID_TTL: ("text/turtle", "VoID description of the dataset"),
    CATALOG_TTL: ("text/turtle", "DCAT-AP catalog, Turtle"),
    CATALOG_JSONLD: ("application/ld+json", "DCAT-AP catalog, JSON-LD"),
    SUMS_NAME: ("text/plain", "SHA-256 checksums of every file of the release"),
    CHANGES_TTL: ("text/turtle", "What changed, release by release (Talis Changeset)"),
    CHANGES_ATOM: (ATOM_MEDIA_TYPE, "What changed, release by release (Atom feed)"),
}
#: Media types of the distributions, also for archived releases (whose artifacts are gone).
DISTRIBUTION_MEDIA = {
    "register.ttl": "text/turtle",
    "register.nt": "application/n-triples",
    "register.jsonld": "application/ld+json",
    "register.rdf": "application/rdf+xml",
    "positions.csv": "text/csv",
    "positions.csv-metadata.json": "application/csvm+json",
    "positions.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "mappings.sssom.tsv": "text/tab-separated-values",
}
_BY_EXTENSION = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".csv": "text/csv",
    ".json": "application/json",
    ".txt": "text/plain",
    ".sha256": "text/plain",
    ".tsv": "text/tab-separated-values",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".atom": ATOM_MEDIA_TYPE,
}
#: EU file-type authority codes for the media types we publish.
_FILE_TYPES = {
    "text/turtle": "RDF_TURTLE",
    "application/n-triples": "RDF_N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "text/csv": "CSV",
    "application/csvm+json": "JSON",
    "application/json": "JSON",
    "text/plain": "TXT",
    "text/tab-separated-values": "TSV",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}
#: What a distribution conforms to, beyond its media type.
_CONFORMS_TO = {
    "positions.csv": "http://www.w3.org/TR/tabular-data-model/",
    "positions.csv-metadata.json": "http://www.w3.org/TR/tabular-metadata/",
    "mappings.sssom.tsv": "https://w3id.org/sssom/spec",
}

EU = "http://publications.europa.eu/resource/authority/"
KAZAKHSTAN = EU + "country/KAZ"
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
SKOS_CORE = "http://www.w3.org/2004/02/skos/core"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
FORMATS_NS = "http://www.w3.org/ns/formats/"

#: Prefixes of the Turtle files (and compact IRIs of catalog.jsonld, via kg.rdf.dumps).
PREFIXES = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dct": DCT,
    "foaf": str(FOAF),
    "kg": str(KG),
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "spdx": str(SPDX),
    "void": str(VOID),
    "xsd": XSD,
}
#: Vocabularies (namespace -> void:vocabulary IRI) that VoID lists when the data uses them.
_VOCABULARIES = {
    SKOS: SKOS,
    DCT: DCT,
    PROV: PROV,
    "http://data.europa.eu/eli/ontology#": "http://data.europa.eu/eli/ontology#",
    "http://www.w3.org/ns/oa#": "http://www.w3.org/ns/oa#",
    str(FOAF): str(FOAF),
    str(KG): str(KG),
    "http://www.w3.org/2002/07/owl#": "http://www.w3.org/2002/07/owl#",
    RDFS: RDFS,
}
OWL = "http://www.w3.org/2002/07/owl#"


# ---------------------------------------------------------------------------- release.toml


@dataclass(frozen=True)
class ReleaseInfo:
    """The curated facts about a release (data/release.toml)."""

    version: str
    issued: date
    modified: date
    title: Mapping[str, str]
    description: Mapping[str, str]
    keywords: tuple[str, ...]
    themes: Mapping[str, str]
    languages: tuple[str, ...]
    publisher_name: str
    publisher_homepage: str | None
    licence_iri: str
    licence_title: str
    licence_see_also: str | None
    licence_note: str | None
    #: What this release changes, by language (adms:versionNotes).
    version_notes: Mapping[str, str] = field(default_factory=dict)


def _need(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise KgError(f"{where}: missing key '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise KgError(f"{where}: '{key}' must be a {names}, not {value!r}")
    return value


def _strings(table: Mapping[str, Any], where: str) -> dict[str, str]:
    for k, v in table.items():
        if not isinstance(v, str) or not v.strip():
            raise KgError(f"{where}: '{k}' must be a non-empty string")
    return dict(table)


def load_release_info(data_dir: Path) -> ReleaseInfo:
    """Read `<data_dir>/release.toml`; problems are KgErrors naming the file (and line)."""
    path = data_dir / RELEASE_TOML
    where = f"{data_dir.name}/{RELEASE_TOML}"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KgError(
            f"{where}: missing; it holds the release's version, dates and licence"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise KgError(f"{where}: {e}") from None
    issued = _need(doc, "issued", date, where)
    modified = _need(doc, "modified", date, where)
    if modified < issued:
        raise KgError(f"{where}: 'modified' ({modified}) is before 'issued' ({issued})")
    dataset = _need(doc, "dataset", dict, where)
    publisher = _need(doc, "publisher", dict, where)
    licence = _need(doc, "licence", dict, where)
    title = _strings(_need(dataset, "title", dict, where + " [dataset]"), where + " [dataset]")
    if "en" not in title:
        raise KgError(f"{where} [dataset]: 'title' needs an 'en' entry")
    description = _strings(
        _need(dataset, "description", dict, where + " [dataset]"), where + " [dataset]"
    )
    version = _need(doc, "version", str, where)
    try:
        check_version(version)
    except KgError as e:
        raise KgError(f"{where}: {e}") from None
    notes = _strings(doc.get("version_notes", {}), where + " [version_notes]")
    return ReleaseInfo(
        version=version,
        issued=issued,
        modified=modified,
        title=title,
        description=description,
        keywords=tuple(dataset.get("keywords", ())),
        themes=_strings(dataset.get("themes", {}), where + " [dataset.themes]"),
        languages=tuple(dataset.get("languages", ())),
        publisher_name=_need(publisher, "name", str, where + " [publisher]"),
        publisher_homepage=publisher.get("homepage"),
        licence_iri=_need(licence, "iri", str, where + " [licence]"),
        licence_title=_need(licence, "title", str, where + " [licence]"),
        licence_see_also=licence.get("see_also"),
        licence_note=licence.get("note"),
        version_notes=notes,
    )


def release_info(data_dir: Path) -> ReleaseInfo:
    """The release metadata for a build from `data_dir`: its own release.toml, or the
    project's when a (test) data folder has none."""
    if not (data_dir / RELEASE_TOML).is_file():
        data_dir = DATA_DIR
    return load_release_info(data_dir)


# ---------------------------------------------------------------------------- building


class _Triples:
    """A small triple collector over pyoxigraph terms."""

    def __init__(self) -> None:
        self.items: list[ox.Triple] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.items.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj))

    def typed(self, s: str, *classes: str) -> None:
        for c in classes:
            self.add(s, RDF + "type", c)

    def sorted(self) -> list[ox.Triple]:
        unique = {str(t): t for t in self.items}
        return [unique[k] for k in sorted(unique)]


def _lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def publisher_iri(uris: Uris) -> str:
    return str(uris.publisher())


def service_iri(uris: Uris) -> str:
    """The SPARQL endpoint as a DCAT data service: the IRI its service description uses."""
    return str(uris.sparql_service())


def void_iri(uris: Uris) -> str:
    return str(uris.void())


def distribution_iri(uris: Uris, name: str) -> str:
    return str(uris.distribution(name))


def _shared(t: _Triples, uris: Uris, info: ReleaseInfo) -> None:
    """Publisher and licence: described in both files, so each stands on its own."""
    pub = publisher_iri(uris)
    t.typed(pub, str(FOAF.Agent))
    t.add(pub, str(FOAF.name), _lit(info.publisher_name, "en"))
    if info.publisher_homepage:
        t.add(pub, str(FOAF.homepage), info.publisher_homepage)
        t.typed(info.publisher_homepage, str(FOAF.Document))
    t.typed(info.licence_iri, DCT + "LicenseDocument")
    t.add(info.licence_iri, RDFS + "label", _lit(info.licence_title, "en"))
    if info.licence_see_also:
        t.add(info.licence_iri, RDFS + "seeAlso", info.licence_see_also)


@dataclass(frozen=True)
class _File:
    """What a distribution states about its file."""

    name: str
    media_type: str
    title: str
    size: int
    sha256: str


def _distribution(
    t: _Triples,
    ds: str,
    dist: str,
    url: str,
    f: _File,
    info: ReleaseInfo,
    issued: ox.Literal,
    modified: ox.Literal,
) -> None:
    media = f"{IANA_MEDIA}{f.media_type}"
    file_type = f"{EU}file-type/{_FILE_TYPES[f.media_type]}"
    checksum = str(Uris.checksum(dist))
    t.add(ds, str(DCAT.distribution), dist)
    t.typed(dist, str(DCAT.Distribution))
    t.add(dist, DCT + "title", _lit(f.title, "en"))
    t.add(dist, str(DCAT.accessURL), url)
    t.add(dist, str(DCAT.downloadURL), url)
    t.add(dist, str(DCAT.mediaType), media)
    t.typed(media, DCT + "MediaType")
    t.add(dist, DCT + "format", file_type)
    t.typed(file_type, DCT + "MediaTypeOrExtent")
    t.add(dist, str(DCAT.byteSize), _typed(f.size, "nonNegativeInteger"))
    t.add(dist, str(SPDX.checksum), checksum)
    t.typed(checksum, str(SPDX.Checksum))
    t.add(checksum, str(SPDX.algorithm), str(SPDX.checksumAlgorithm_sha256))
    t.add(checksum, str(SPDX.checksumValue), _typed(f.sha256, "hexBinary"))
    t.add(dist, DCT + "license", info.licence_iri)
    t.add(dist, DCT + "issued", issued)
    t.add(dist, DCT + "modified", modified)
    if f.name in _CONFORMS_TO:
        t.add(dist, DCT + "conformsTo", _CONFORMS_TO[f.name])
        t.typed(_CONFORMS_TO[f.name], DCT + "Standard")


@dataclass(frozen=True)
class _Version:
    version: str
    when: date | None
    notes: Mapping[str, str]
    files: tuple[_File, ...]


def _versions(
    files: Sequence[Artifact], info: ReleaseInfo, history: Sequence[ArchivedRelease]
) -> list[_Version]:
    """Every version the catalog describes, oldest first: the archived ones, then this one."""
    out = []
    for old in history:
        listed = tuple(
            _File(name, DISTRIBUTION_MEDIA[name], _TITLES.get(name, name), f.size, f.sha256)
            for name in DISTRIBUTIONS
            if (f := old.files.get(name)) is not None
        )
        out.append(_Version(old.version, old.date, old.notes, listed))
    by_name = {a.name: a for a in files}
    current = tuple(
        _File(name, a.media_type, a.title, len(a.data), hashlib.sha256(a.data).hexdigest())
        for name in DISTRIBUTIONS
        if (a := by_name.get(name)) is not None
    )
    out.append(_Version(info.version, info.modified, info.version_notes, current))
    return out


#: Titles of the distributions of archived releases (the build's artifacts say the same).
_TITLES = {
    "register.ttl": "Register, Turtle",
    "register.nt": "Register, N-Triples",
    "register.jsonld": "Register, JSON-LD 1.1",
    "register.rdf": "Register, RDF/XML",
    "positions.csv": "Positions, CSV",
    "positions.csv-metadata.json": "Positions, CSVW metadata",
    "positions.xlsx": "Positions, spreadsheet (XLSX)",
    sssom.SSSOM_TSV: sssom.TITLE,
}


def catalog_triples(
    files: Sequence[Artifact],
    uris: Uris,
    info: ReleaseInfo,
    history: Sequence[ArchivedRelease] = (),
) -> list[ox.Triple]:
    """DCAT-AP 3: catalog, dataset, one distribution per data file, the SPARQL data service;
    the dataset's versions (this release and each one in `history`, the archived releases
    older than it) with their versioned distributions."""
    t = _Triples()
    cat, ds, svc = str(uris.catalog()), str(uris.dataset()), service_iri(uris)
    pub, home = publisher_iri(uris), uris.base
    issued, modified = _typed(info.issued, "date"), _typed(info.modified, "date")
    _shared(t, uris, info)

    t.typed(cat, str(DCAT.Catalog))
    t.add(cat, DCT + "title", _lit(f"Catalog: {info.title['en']}", "en"))
    t.add(
        cat,
        DCT + "description",
        _lit("The published files and the SPARQL endpoint of " + info.title["en"] + ".", "en"),
    )
    t.add(cat, DCT + "publisher", pub)
    t.add(cat, DCT + "license", info.licence_iri)
    t.add(cat, DCT + "issued", issued)
    t.add(cat, DCT + "modified", modified)
    t.add(cat, DCT + "spatial", KAZAKHSTAN)
    t.add(cat, str(FOAF.homepage), home)
    t.typed(home, str(FOAF.Document))
    t.add(cat, str(DCAT.dataset), ds)
    t.add(cat, str(DCAT.service), svc)
    for code in info.languages:
        t.add(cat, DCT + "language", f"{EU}language/{code}")
        t.typed(f"{EU}language/{code}", DCT + "LinguisticSystem")
    t.typed(KAZAKHSTAN, DCT + "Location")
    t.add(KAZAKHSTAN, SKOS + "prefLabel", _lit("Kazakhstan", "en"))

    t.typed(ds, str(DCAT.Dataset))
    for lang, text in info.title.items():
        t.add(ds, DCT + "title", _lit(text, lang))
    for lang, text in info.description.items():
        t.add(ds, DCT + "description", _lit(text, lang))
    t.add(ds, DCT + "identifier", _lit(ds))
    t.add(ds, DCT + "publisher", pub)
    t.add(ds, DCT + "issued", issued)
    t.add(ds, DCT + "modified", modified)
    t.add(ds, DCT + "spatial", KAZAKHSTAN)
    t.add(ds, str(DCAT.version), _lit(info.version))
    t.add(ds, str(DCAT.landingPage), home)
    t.add(ds, DCT + "conformsTo", SKOS_CORE)
    t.typed(SKOS_CORE, DCT + "Standard")
    t.add(SKOS_CORE, RDFS + "label", _lit("SKOS Simple Knowledge Organization System", "en"))
    t.add(ds, PROV + "wasDerivedFrom", str(uris.act("order-2015-1042-consolidated")))
    t.add(ds, RDFS + "seeAlso", void_iri(uris))
    for keyword in info.keywords:
        t.add(ds, str(DCAT.keyword), _lit(keyword, "en"))
    for code in info.languages:
        t.add(ds, DCT + "language", f"{EU}language/{code}")
    for code, label in sorted(info.themes.items()):
        theme = f"{EU}data-theme/{code}"
        t.add(ds, str(DCAT.theme), theme)
        t.typed(theme, SKOS + "Concept")
        t.add(theme, SKOS + "prefLabel", _lit(label, "en"))

    versions = _versions(files, info, history)
    current = versions[-1]
    for f in current.files:
        url = str(uris.download(f.name))
        _distribution(t, ds, distribution_iri(uris, f.name), url, f, info, issued, modified)

    # versions: this release and the archived ones, each a dataset of its own
    t.add(ds, OWL + "versionInfo", _lit(info.version))
    for lang, text in sorted(info.version_notes.items()):
        t.add(ds, str(ADMS.versionNotes), _lit(text, lang))
    t.add(ds, str(DCAT.hasCurrentVersion), str(uris.dataset_version(info.version)))
    previous = None
    for v in versions:
        ver = str(uris.dataset_version(v.version))
        when = _typed(v.when, "date") if v.when else modified
        t.add(ds, str(DCAT.hasVersion), ver)
        t.add(ds, DCT + "hasVersion", ver)
        t.typed(ver, str(DCAT.Dataset))
        for lang, text in info.title.items():
            t.add(ver, DCT + "title", _lit(f"{text} ({v.version})", lang))
        for lang, text in info.description.items():
            t.add(ver, DCT + "description", _lit(text, lang))
        t.add(ver, DCT + "identifier", _lit(ver))
        t.add(ver, DCT + "publisher", pub)
        t.add(ver, DCT + "issued", when)
        t.add(ver, DCT + "modified", when)
        t.add(ver, str(DCAT.version), _lit(v.version))
        t.add(ver, OWL + "versionInfo", _lit(v.version))
        for lang, text in sorted(v.notes.items()):
            t.add(ver, str(ADMS.versionNotes), _lit(text, lang or None))
        t.add(ver, str(DCAT.isVersionOf), ds)
        t.add(ver, DCT + "isVersionOf", ds)
        if previous is not None:
            t.add(ver, str(DCAT.previousVersion), previous)
        t.add(ver, str(DCAT.landingPage), home)
        for f in v.files:
            url = str(uris.download(f"{v.version}/{f.name}"))
            dist = str(uris.version_distribution(v.version, f.name))
            _distribution(t, ver, dist, url, f, info, when, when)
        previous = ver

    t.typed(svc, str(DCAT.DataService))
    t.add(svc, DCT + "title", _lit("SPARQL endpoint of the register", "en"))
    t.add(
        svc,
        DCT + "description",
        _lit(
            "Read-only SPARQL 1.1 Query endpoint over this release; limits are stated in its service description.",
            "en",
        ),
    )
    t.add(svc, str(DCAT.endpointURL), str(uris.sparql_endpoint()))
    t.add(svc, str(DCAT.endpointDescription), str(uris.sparql_endpoint()))
    t.add(svc, str(DCAT.servesDataset), ds)
    t.add(svc, DCT + "conformsTo", SPARQL_PROTOCOL)
    t.typed(SPARQL_PROTOCOL, DCT + "Standard")
    t.add(svc, DCT + "license", info.licence_iri)
    t.add(svc, DCT + "publisher", pub)
    return t.sorted()


@dataclass(frozen=True)
class GraphStats:
    """What VoID counts in the register's graph."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    properties: Counter[str]
    classes: Counter[str]  # class IRI -> number of distinct instances


def graph_stats(triples: Iterable[ox.Triple], uri_space: str) -> GraphStats:
    count, subjects, objects, entities = 0, set(), set(), set()
    properties: Counter[str] = Counter()
    instances: dict[str, set[str]] = {}
    for t in triples:
        count += 1
        s = terms.value(t.subject)
        subjects.add(str(t.subject))
        objects.add(str(t.object))
        properties[t.predicate.value] += 1
        if isinstance(t.subject, ox.NamedNode) and s.startswith(uri_space):
            entities.add(s)
        if t.predicate.value == RDF + "type" and isinstance(t.object, ox.NamedNode):
            instances.setdefault(t.object.value, set()).add(s)
    classes = Counter({c: len(members) for c, members in instances.items()})
    return GraphStats(count, len(entities), len(subjects), len(objects), properties, classes)


def _local(iri: str) -> str:
    for prefix, ns in sorted(dumps.CONTEXT_PREFIXES.items()):
        if iri.startswith(ns):
            return f"{prefix}-{iri[len(ns) :]}"
    return hashlib.sha256(iri.encode()).hexdigest()[:12]


def void_triples(
    files: Sequence[Artifact], register: Sequence[ox.Triple], uris: Uris, info: ReleaseInfo
) -> list[ox.Triple]:
    """VoID: counts, the SPARQL endpoint, the dumps, the URI space and the vocabularies."""
    t = _Triples()
    ds, doc = str(uris.dataset()), void_iri(uris)
    stats = graph_stats(register, uris.base)
    _shared(t, uris, info)
    t.typed(doc, str(VOID.DatasetDescription))
    t.add(doc, DCT + "title", _lit(f"VoID description: {info.title['en']}", "en"))
    t.add(doc, str(FOAF.primaryTopic), ds)
    t.add(doc, DCT + "modified", _typed(info.modified, "date"))

    t.typed(ds, str(VOID.Dataset))
    t.add(ds, DCT + "title", _lit(info.title["en"], "en"))
    t.add(ds, DCT + "license", info.licence_iri)
    t.add(ds, DCT + "publisher", publisher_iri(uris))
    t.add(ds, DCT + "modified", _typed(info.modified, "date"))
    t.add(ds, str(FOAF.homepage), uris.base)
    t.add(ds, str(VOID.sparqlEndpoint), str(uris.sparql_endpoint()))
    t.add(ds, str(VOID.uriSpace), _lit(uris.base))
    t.add(ds, str(VOID.rootResource), str(uris.scheme()))
    t.add(ds, str(VOID.exampleResource), str(uris.position("A1-1.01")))
    t.add(ds, str(VOID.triples), _typed(stats.triples, "integer"))
    t.add(ds, str(VOID.entities), _typed(stats.entities, "integer"))
    t.add(ds, str(VOID.classes), _typed(len(stats.classes), "integer"))
    t.add(ds, str(VOID.properties), _typed(len(stats.properties), "integer"))
    t.add(ds, str(VOID.distinctSubjects), _typed(stats.distinct_subjects, "integer"))
    t.add(ds, str(VOID.distinctObjects), _typed(stats.distinct_objects, "integer"))
    names = {a.name: a for a in files}
    for name, feature in (
        ("register.nt", "N-Triples"),
        ("register.ttl", "Turtle"),
        ("register.jsonld", "JSON-LD"),
        ("register.rdf", "RDF_XML"),
    ):
        if name in names:
            t.add(ds, str(VOID.dataDump), str(uris.download(name)))
            t.add(ds, str(VOID.feature), FORMATS_NS + feature)
    used = set(stats.properties) | set(stats.classes)
    for ns, vocabulary in _VOCABULARIES.items():
        if any(iri.startswith(ns) for iri in used):
            t.add(ds, str(VOID.vocabulary), vocabulary)
    for cls, n in sorted(stats.classes.items()):
        part = str(uris.class_partition(_local(cls)))
        t.add(ds, str(VOID.classPartition), part)
        t.add(part, str(VOID["class"]), cls)
        t.add(part, str(VOID.entities), _typed(n, "integer"))
    return t.sorted()


def _turtle(triples: list[ox.Triple]) -> bytes:
    return terms.written(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))


def catalog_artifacts(
    files: Sequence[Artifact],
    uris: Uris,
    info: ReleaseInfo,
    history: Sequence[ArchivedRelease] = (),
) -> list[Artifact]:
    """void.ttl, catalog.ttl and catalog.jsonld for a release made of `files`.

    `files` must include register.nt (the counts of VoID come from it) and the dumps the
    catalog lists (their bytes give sizes and checksums); `history` are the archived releases
    older than this one (kg.release.archive), oldest first.
    """
    by_name = {a.name: a for a in files}
    if "register.nt" not in by_name:
        raise KgError("the catalog needs register.nt among the release files")
    register = dumps.triples(by_name["register.nt"].data)
    catalog = catalog_triples(files, uris, info, history)
    return [
        Artifact(
            VOID_TTL,
            "text/turtle",
            _turtle(void_triples(files, register, uris, info)),
            OTHER_FILES[VOID_TTL][1],
        ),
        Artifact(CATALOG_TTL, "text/turtle", _turtle(catalog), OTHER_FILES[CATALOG_TTL][1]),
        Artifact(
            CATALOG_JSONLD,
            "application/ld+json",
            dumps.jsonld(catalog),
            OTHER_FILES[CATALOG_JSONLD][1],
        ),
    ]


# ---------------------------------------------------------------------------- serving


def read_publication(release_dir: Path) -> dict[str, list[ox.Triple]]:
    """The triples of catalog.ttl, void.ttl and changes.ttl ({'catalog': [...], 'void': [...],
    'changes': [...]}); a file the release lacks gives an empty list (e.g. a test release of
    register.nt alone)."""
    out: dict[str, list[ox.Triple]] = {}
    for key, name in (("catalog", CATALOG_TTL), ("void", VOID_TTL), ("changes", CHANGES_TTL)):
        path = release_dir / name
        out[key] = (
            [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
            if path.is_file()
            else []
        )
    return out


@dataclass(frozen=True)
class ReleaseFile:
    """One file of /downloads/."""

    name: str
    media_type: str
    size: int
    sha256: str
    title: str
    licence: str | None
    licence_title: str | None
    distribution: bool


def _sums(release_dir: Path) -> dict[str, str]:
    path = release_dir / SUMS_NAME
    if not path.is_file():
        return {}
    sums = {}
    for line in path.read_text(encoding="ascii").splitlines():
        digest, _, name = line.partition("  ")
        if name and "/" not in name and not name.startswith("."):
            sums[name] = digest
    return sums


def media_type_of(name: str) -> str:
    """A file's media type when the catalog does not state it."""
    if name in OTHER_FILES:
        return OTHER_FILES[name][0]
    return _BY_EXTENSION.get(Path(name).suffix, "application/octet-stream")


def release_files(release_dir: Path, catalog: Sequence[ox.Triple] = ()) -> list[ReleaseFile]:
    """Every file of the release listed in SHA256SUMS (plus SHA256SUMS itself); media types,
    titles and licence from the catalog where it describes the file.

    Without SHA256SUMS (a bare test release) the folder's regular files are listed instead.
    """
    sums = _sums(release_dir)
    if (release_dir / SUMS_NAME).is_file():
        sums[SUMS_NAME] = hashlib.sha256((release_dir / SUMS_NAME).read_bytes()).hexdigest()
    else:
        for path in sorted(release_dir.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                sums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    described: dict[str, dict[str, str]] = {}
    licence, licence_title = None, None
    for t in catalog:
        s, p, o = terms.value(t.subject), t.predicate.value, terms.value(t.object)
        if p == str(DCAT.downloadURL) and o.rsplit("/", 2)[-2] == "downloads":  # unversioned
            described.setdefault(s, {})["name"] = o.rsplit("/", 1)[-1]
        elif p == str(DCAT.mediaType):
            described.setdefault(s, {})["media"] = o.removeprefix(IANA_MEDIA)
        elif p == DCT + "title" and getattr(t.object, "language", None) == "en":
            described.setdefault(s, {})["title"] = o
        elif p == DCT + "license":
            licence = o
    for t in catalog:
        if licence and terms.value(t.subject) == licence and t.predicate.value == RDFS + "label":
            licence_title = terms.value(t.object)
    by_file = {d["name"]: d for d in described.values() if "name" in d}
    files = []
    for name in sorted(sums):
        path = release_dir / name
        if not path.is_file():
            continue
        d = by_file.get(name, {})
        files.append(
            ReleaseFile(
                name=name,
                media_type=d.get("media") or media_type_of(name),
                size=path.stat().st_size,
                sha256=sums[name],
                title=d.get("title") or OTHER_FILES.get(name, ("", name))[1],
                licence=licence,
                licence_title=licence_title,
                distribution=name in by_file,
            )
        )
    return files


@dataclass(frozen=True)
class ReleaseSummary:
    """What the pages say about the release they belong to (from its catalog)."""

    version: str | None = None
    issued: str | None = None
    modified: str | None = None
    notes: str | None = None
    licence: str | None = None
    licence_title: str | None = None


def release_summary(catalog: Sequence[ox.Triple]) -> ReleaseSummary:
    """Version, dates, English version notes and licence of the latest-release dataset (the
    one with a dcat:version that is no version of another); empty without a catalog."""
    versioned = {terms.value(t.subject) for t in catalog if t.predicate.value == str(DCAT.version)}
    versions = {
        terms.value(t.subject) for t in catalog if t.predicate.value == str(DCAT.isVersionOf)
    }
    main = min(versioned - versions, default=None)
    if main is None:
        return ReleaseSummary()
    facts: dict[str, str] = {}
    for t in catalog:
        if terms.value(t.subject) != main:
            continue
        p, o = t.predicate.value, t.object
        key = {
            str(DCAT.version): "version",
            DCT + "issued": "issued",
            DCT + "modified": "modified",
            DCT + "license": "licence",
        }.get(p)
        if key:
            facts[key] = terms.value(o)
        elif p == str(ADMS.versionNotes) and isinstance(o, ox.Literal) and o.language == "en":
            facts["notes"] = o.value
    if "licence" in facts:
        facts["licence_title"] = next(
            (
                terms.value(t.object)
                for t in catalog
                if terms.value(t.subject) == facts["licence"]
                and t.predicate.value == RDFS + "label"
            ),
            facts["licence"],
        )
    return ReleaseSummary(**facts)
