"""What changed between releases: the change log of the release, as RDF, an Atom feed and a page.

Why at build time: the change log compares the release being built with the previous one in
the archive (kg.release.archive), and the release folder is the only thing `serve` and `site` read;
so `kg build` writes `changes.ttl` (the log as Talis Changeset RDF) and `changes.atom` (its
feed), and the server and the static export show the `/changes` page from `changes.ttl`.

The log is cumulative: it holds the previous release's log (read from its archived
`changes.ttl`) plus one entry for this release, so every change set keeps its IRI from
release to release. IRIs are fragments of the `/changes` document, which dereferences:

- `<base>changes`: the log (rdfs:label, dct:title, dct:hasPart every release entry);
- `<base>changes#v1.1.0`: one release (owl:versionInfo, dct:issued, adms:versionNotes,
  foaf:primaryTopic the dataset version, prov:wasDerivedFrom the two dataset versions
  compared; dct:hasPart its change sets);
- `<base>changes#v1.1.0-3`: one cs:ChangeSet (kg.release.diff: cs:subjectOfChange, kg:changeKind,
  cs:changeReason, reified cs:removal/cs:addition statements), with dct:isPartOf its release,
  cs:createdDate, dct:identifier (the concept's notation) and rdfs:label (its Kazakh label).

Nothing here reads the clock: dates come from data/release.toml (through kg.release.catalog), so the
same inputs and the same archive give the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from kg.rdf import dumps
from kg.rdf.terms import Value, plain, value, written
from kg.release.archive import ArchivedRelease, version_key
from kg.release.diff import CS, Diff, compare
from kg.uris import KG, Uris

CHANGES_TTL = "changes.ttl"
CHANGES_ATOM = "changes.atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
#: Kinds of change in the order the page and the feed list them (kg.release.diff's kinds).
KINDS = ("added", "removed", "deprecated", "moved", "relabelled", "mappings")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
ADMS = "http://www.w3.org/ns/adms#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CSNS = str(CS)
KG_CHANGE_KIND = str(KG.changeKind)
ATOM = "http://www.w3.org/2005/Atom"

LOG_TITLE = "What changed in the register, release by release"


def log_iri(base: str) -> str:
    return str(Uris(base).changes())


def release_iri(base: str, version: str) -> str:
    return str(Uris(base).release_changes(version))


def dataset_version_iri(base: str, version: str) -> str:
    """The dataset version the catalog describes (kg.release.catalog)."""
    return str(Uris(base).dataset_version(version))


# ---------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ChangeEntry:
    """One changed concept."""

    iri: str
    kind: str
    concept: str
    notation: str
    label: str
    detail: str


@dataclass(frozen=True)
class ReleaseChanges:
    """One release and what changed since the one before it (none: the first release)."""

    iri: str
    version: str
    date: date | None
    previous: str | None
    notes: dict[str, str]
    changes: tuple[ChangeEntry, ...]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.kind for c in self.changes)
        return {k: counted[k] for k in KINDS if counted[k]}

    def summary(self) -> str:
        """'2 added, 1 moved' (or why there is nothing to list)."""
        if self.previous is None:
            return "first release"
        if not self.changes:
            return "no changes to concepts"
        return ", ".join(f"{n} {kind}" for kind, n in self.counts.items())


@dataclass(frozen=True)
class ChangeLog:
    iri: str
    title: str
    #: Newest first.
    releases: tuple[ReleaseChanges, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------- building


def _named(g: Graph, concept: URIRef) -> tuple[str, str]:
    notation = next((str(n) for n in g.objects(concept, URIRef(SKOS + "notation"))), "")
    label = next(
        (
            str(v)
            for v in g.objects(concept, URIRef(SKOS + "prefLabel"))
            if isinstance(v, Literal) and v.language == "kk"
        ),
        "",
    )
    return notation, label


def release_triples(
    base: str,
    version: str,
    when: date,
    notes: dict[str, str],
    previous_version: str | None,
    diff: Diff | None,
    old: Graph | None,
    new: Graph | None,
) -> list[ox.Triple]:
    """The log entry of one release and its change sets (none without a previous release)."""
    g = Graph()
    entry = URIRef(release_iri(base, version))
    g.add((entry, URIRef(RDFS + "label"), Literal(f"Release {version}", lang="en")))
    g.add((entry, URIRef(OWL + "versionInfo"), Literal(version)))
    g.add((entry, URIRef(DCT + "issued"), Literal(when.isoformat(), datatype=URIRef(XSD + "date"))))
    for lang, text in sorted(notes.items()):
        g.add((entry, URIRef(ADMS + "versionNotes"), Literal(text, lang=lang or None)))
    g.add((entry, URIRef(DCT + "isPartOf"), URIRef(log_iri(base))))
    g.add((entry, URIRef(FOAF + "primaryTopic"), URIRef(dataset_version_iri(base, version))))
    g.add((entry, URIRef(PROV + "wasDerivedFrom"), URIRef(dataset_version_iri(base, version))))
    if previous_version is not None:
        g.add(
            (
                entry,
                URIRef(PROV + "wasDerivedFrom"),
                URIRef(dataset_version_iri(base, previous_version)),
            )
        )
    if diff is not None:
        g += diff.to_rdf(base, prefix=Uris(base).change_sets(version))
        created = Literal(f"{when.isoformat()}T00:00:00Z", datatype=URIRef(XSD + "dateTime"))
        for i, change in enumerate(diff.changes, start=1):
            cs = Uris(base).change_set(version, i)
            g.add((entry, URIRef(DCT + "hasPart"), cs))
            g.add((cs, URIRef(DCT + "isPartOf"), entry))
            g.add((cs, CS.createdDate, created))
            notation, label = ("", "")
            for graph in (new, old):
                if graph is not None and not label:
                    notation, label = _named(graph, change.concept)
            g.add((cs, URIRef(DCT + "identifier"), Literal(notation or change.notation)))
            if label:
                g.add((cs, URIRef(RDFS + "label"), Literal(label, lang="kk")))
    return dumps.triples(dumps.ntriples(g))


def history_triples(base: str, previous: ArchivedRelease | None) -> list[ox.Triple]:
    """The previous release's log, without its root (rebuilt with every release).

    A previous release archived without a log (built before logs existed) gets an entry of
    its own, so the log still names every release.
    """
    if previous is None:
        return []
    path = previous.folder / CHANGES_TTL
    prefix = log_iri(base) + "#"
    if path.is_file():
        return [
            q.triple
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
        ]
    when = previous.date or date(1970, 1, 1)
    return release_triples(base, previous.version, when, previous.notes, None, None, None, None)


def log_triples(base: str, parts: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The whole log: the root, which names every release entry, and the entries' triples."""
    parts = list(parts)
    root = ox.NamedNode(log_iri(base))
    entries = {
        value(t.subject)
        for t in parts
        if t.predicate.value == DCT + "isPartOf" and t.object == root
    }
    triples = [
        ox.Triple(root, ox.NamedNode(RDFS + "label"), ox.Literal("What changed", language="en")),
        ox.Triple(root, ox.NamedNode(DCT + "title"), ox.Literal(LOG_TITLE, language="en")),
        *(ox.Triple(root, ox.NamedNode(DCT + "hasPart"), ox.NamedNode(e)) for e in entries),
        *parts,
    ]
    unique = {str(t): t for t in triples}
    return [unique[k] for k in sorted(unique)]


def build_log(
    base: str,
    version: str,
    when: date,
    notes: dict[str, str],
    new_nt: bytes,
    previous: ArchivedRelease | None,
) -> list[ox.Triple]:
    """The log of a release whose N-Triples dump is `new_nt`, given the previous archived one."""
    if previous is None:
        entry = release_triples(base, version, when, notes, None, None, None, None)
        return log_triples(base, entry)
    old = Graph().parse(previous.folder / "register.nt", format="nt")
    new = Graph().parse(data=new_nt.decode("utf-8"), format="nt")
    diff = compare(old, new)
    entry = release_triples(base, version, when, notes, previous.version, diff, old, new)
    return log_triples(base, [*history_triples(base, previous), *entry])


#: Prefixes of changes.ttl.
PREFIXES = {
    "adms": ADMS,
    "cs": CSNS,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": DCT,
    "foaf": FOAF,
    "kg": "https://reg1042.example.org/def#",
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "xsd": XSD,
}


def log_turtle(triples: list[ox.Triple]) -> bytes:
    """changes.ttl: the log's triples, sorted, as Turtle."""
    return written(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))


# ---------------------------------------------------------------------------- reading


def read_log(triples: Sequence[ox.Triple], base: str) -> ChangeLog:
    """The log as the page and the feed show it, from its triples (e.g. changes.ttl)."""
    by_subject: dict[str, dict[str, list[Value]]] = {}
    for t in triples:
        by_subject.setdefault(value(t.subject), {}).setdefault(t.predicate.value, []).append(
            plain(t.object)
        )

    def first(s: str, p: str) -> str | None:
        values = by_subject.get(s, {}).get(p, [])
        return min((v.value for v in values), default=None)

    root = log_iri(base)
    title = first(root, DCT + "title") or LOG_TITLE
    entries = [
        s
        for s, props in by_subject.items()
        if any(v.value == root for v in props.get(DCT + "isPartOf", []))
        and OWL + "versionInfo" in props
    ]
    entries.sort(key=lambda s: version_key(first(s, OWL + "versionInfo") or ""))
    releases: list[ReleaseChanges] = []
    previous: str | None = None
    for s in entries:
        props = by_subject[s]
        version = first(s, OWL + "versionInfo") or ""
        issued = first(s, DCT + "issued")
        notes = {
            (v.language or ""): v.value
            for v in props.get(ADMS + "versionNotes", [])
            if isinstance(v, ox.Literal)
        }
        compared = len(props.get(PROV + "wasDerivedFrom", [])) > 1
        changes = []
        for cs in sorted(
            (v.value for v in props.get(DCT + "hasPart", [])), key=lambda c: _ordinal(c)
        ):
            reason = first(cs, CSNS + "changeReason") or ""
            kind = first(cs, KG_CHANGE_KIND) or reason.partition(":")[0]
            changes.append(
                ChangeEntry(
                    iri=cs,
                    kind=kind,
                    concept=first(cs, CSNS + "subjectOfChange") or "",
                    notation=first(cs, DCT + "identifier") or "",
                    label=first(cs, RDFS + "label") or "",
                    detail=reason.removeprefix(f"{kind}: "),
                )
            )
        releases.append(
            ReleaseChanges(
                iri=s,
                version=version,
                date=date.fromisoformat(issued) if issued else None,
                previous=previous if compared else None,
                notes=dict(sorted(notes.items())),
                changes=tuple(changes),
            )
        )
        previous = version
    return ChangeLog(root, title, tuple(reversed(releases)))


def _ordinal(iri: str) -> tuple[int, str]:
    tail = iri.rsplit("-", 1)[-1]
    return (int(tail), iri) if tail.isdigit() else (0, iri)


def read_log_file(release_dir: Path, base: str) -> ChangeLog | None:
    path = Path(release_dir) / CHANGES_TTL
    if not path.is_file():
        return None
    return read_log([q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)], base)


# ---------------------------------------------------------------------------- the feed


def _stamp(when: date | None, fallback: date) -> str:
    return f"{(when or fallback).isoformat()}T00:00:00Z"


def atom_feed(log: ChangeLog, base: str, publisher: str, feed_url: str) -> bytes:
    """The log as an Atom feed (RFC 4287): one entry per release, newest first.

    Deterministic: dates are the releases' own dates, entries follow the log's order.
    """
    ET.register_namespace("", ATOM)

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        e = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            e.text = text
        return e

    newest = max((r.date for r in log.releases if r.date), default=date(1970, 1, 1))
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "en"})
    el(feed, "id", log.iri)
    el(feed, "title", log.title)
    el(feed, "updated", _stamp(newest, newest))
    el(el(feed, "author"), "name", publisher)
    el(feed, "link", rel="self", type=ATOM_MEDIA_TYPE, href=feed_url)
    el(feed, "link", rel="alternate", type="text/html", href=log.iri)
    for release in log.releases:
        entry = el(feed, "entry")
        el(entry, "id", release.iri)
        el(entry, "title", f"Release {release.version}: {release.summary()}")
        el(entry, "updated", _stamp(release.date, newest))
        el(entry, "link", rel="alternate", type="text/html", href=release.iri)
        notes = release.notes.get("en") or next(iter(release.notes.values()), "")
        if notes:
            el(entry, "summary", notes)
        lines = [
            f"{c.kind}: {c.notation or c.concept}"
            + (f" {c.label}" if c.label else "")
            + (f" ({c.detail})" if c.detail and c.kind != "added" else "")
            for c in release.changes
        ]
        if release.previous is None:
            lines = ["The first release in this log: nothing to compare it with."]
        elif not lines:
            lines = [f"No concept changed since release {release.previous}."]
        el(entry, "content", "\n".join(lines), type="text")
    ET.indent(feed, space=" ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
