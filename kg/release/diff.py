"""Compare two releases: which concepts were added, removed, moved to another grade or
relabelled, and which mappings changed.

A release is a folder holding `register.nt` (as `kg build` writes it) or a single dump
file (.nt, .ttl). The result reads as a plain report and as RDF: one
`cs:ChangeSet` (Talis Changeset vocabulary) per changed concept, with the removed and
added statements reified, so the change log is data like the register itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from kg.curate.notation import natural_key
from kg.errors import KgError
from kg.rdf.terms import ordered
from kg.uris import CS, KG

MAPPING_PROPERTIES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)
_FORMATS = {".nt": "nt", ".ttl": "turtle"}


def load_release(path: Path) -> Graph:
    """The graph of a release folder or dump file (only formats we write ourselves)."""
    if path.is_dir():
        path = path / "register.nt"
    fmt = _FORMATS.get(path.suffix)
    if fmt is None:
        raise KgError(f"{path}: give a release folder or a .nt/.ttl dump")
    if not path.is_file():
        raise KgError(f"{path}: no such file")
    return Graph().parse(path, format=fmt)


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | deprecated | moved | relabelled | mappings
    concept: URIRef
    notation: str
    detail: str
    removed: tuple[tuple, ...] = ()
    added: tuple[tuple, ...] = ()


@dataclass
class Diff:
    changes: list[Change] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def report(self) -> str:
        if not self.changes:
            return "No changes."
        lines = []
        for kind in ("added", "removed", "deprecated", "moved", "relabelled", "mappings"):
            items = self.of_kind(kind)
            if items:
                lines.append(f"{kind} ({len(items)}):")
                lines += [f"  {c.notation or c.concept}: {c.detail}" for c in items]
        return "\n".join(lines)

    def to_rdf(self, base: str, prefix: str | None = None) -> Graph:
        """One cs:ChangeSet per change, named `<prefix><n>` (default `<base>changes/<n>`;
        kg.release.changes names the published ones after their release: `<base>changes#v1.1.0-<n>`)."""
        g = Graph()
        g.bind("cs", CS)
        g.bind("kg", KG)
        prefix = prefix if prefix is not None else f"{base}changes/"
        for i, change in enumerate(self.changes, start=1):
            cs = URIRef(f"{prefix}{i}")
            g.add((cs, RDF.type, CS.ChangeSet))
            g.add((cs, CS.subjectOfChange, change.concept))
            g.add((cs, CS.changeReason, Literal(f"{change.kind}: {change.detail}", lang="en")))
            g.add((cs, KG.changeKind, Literal(change.kind)))
            for j, (s, p, o) in enumerate(change.removed, start=1):
                _statement(g, URIRef(f"{cs}/removal/{j}"), cs, CS.removal, s, p, o)
            for j, (s, p, o) in enumerate(change.added, start=1):
                _statement(g, URIRef(f"{cs}/addition/{j}"), cs, CS.addition, s, p, o)
        return g


def _statement(g: Graph, node: URIRef, cs: URIRef, link: URIRef, s, p, o) -> None:
    g.add((cs, link, node))
    g.add((node, RDF.type, RDF.Statement))
    g.add((node, RDF.subject, s))
    g.add((node, RDF.predicate, p))
    g.add((node, RDF.object, o))


def _concepts(g: Graph) -> set[URIRef]:
    return {c for c in g.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef)}


def _notation(g: Graph, c: Node | None) -> str:
    value = g.value(c, SKOS.notation)
    return "" if value is None else str(value)


def _deprecated(g: Graph, c: URIRef) -> bool:
    return any(bool(v.toPython()) for v in g.objects(c, OWL.deprecated) if isinstance(v, Literal))


def _labels(g: Graph, c: URIRef) -> set[Literal]:
    return {v for v in g.objects(c, SKOS.prefLabel) if isinstance(v, Literal)}


def compare(old: Graph, new: Graph) -> Diff:
    """Every change of a concept between two releases, in notation order."""
    diff = Diff()
    old_c, new_c = _concepts(old), _concepts(new)

    def key(c: URIRef) -> tuple:
        return natural_key(_notation(new, c) or _notation(old, c)), str(c)

    for c in sorted(new_c - old_c, key=key):
        label = next((str(v) for v in _labels(new, c) if v.language == "kk"), "")
        diff.changes.append(
            Change("added", c, _notation(new, c), label, added=tuple(new.triples((c, None, None))))
        )
    for c in sorted(old_c - new_c, key=key):
        diff.changes.append(
            Change(
                "removed",
                c,
                _notation(old, c),
                "no longer in the graph",
                removed=tuple(old.triples((c, None, None))),
            )
        )
    for c in sorted(old_c & new_c, key=key):
        n = _notation(new, c)
        old_g, new_g = old.value(c, KG.grade), new.value(c, KG.grade)
        if _deprecated(new, c) and not _deprecated(old, c):
            successors = ordered(new.objects(c, DCTERMS.isReplacedBy))
            moved_to = [s for s in successors if new.value(s, KG.grade) not in (None, old_g)]
            kind = "moved" if moved_to else "deprecated"
            if moved_to:
                grades = ", ".join(_notation(new, new.value(s, KG.grade)) for s in moved_to)
                detail = f"grade {_notation(old, old_g)} -> {grades} as {', '.join(_notation(new, s) for s in moved_to)}"
            else:
                detail = "deprecated" + (
                    f", replaced by {', '.join(map(str, successors))}" if successors else ""
                )
            added = tuple(new.triples((c, OWL.deprecated, None))) + tuple(
                new.triples((c, DCTERMS.isReplacedBy, None))
            )
            diff.changes.append(Change(kind, c, n, detail, added=added))
        elif old_g != new_g and old_g is not None and new_g is not None:
            detail = f"grade {_notation(old, old_g)} -> {_notation(new, new_g)}"
            diff.changes.append(
                Change(
                    "moved",
                    c,
                    n,
                    detail,
                    removed=((c, KG.grade, old_g),),
                    added=((c, KG.grade, new_g),),
                )
            )
        old_l, new_l = _labels(old, c), _labels(new, c)
        if old_l != new_l:
            gone, came = sorted(old_l - new_l), sorted(new_l - old_l)
            detail = (
                "; ".join(f"{v.language}: {v}" for v in gone)
                + " -> "
                + "; ".join(f"{v.language}: {v}" for v in came)
            )
            diff.changes.append(
                Change(
                    "relabelled",
                    c,
                    n,
                    detail,
                    removed=tuple((c, SKOS.prefLabel, v) for v in gone),
                    added=tuple((c, SKOS.prefLabel, v) for v in came),
                )
            )
        old_m = {(p, o) for p in MAPPING_PROPERTIES for o in old.objects(c, p)}
        new_m = {(p, o) for p in MAPPING_PROPERTIES for o in new.objects(c, p)}
        if old_m != new_m:
            gone_m, came_m = sorted(old_m - new_m), sorted(new_m - old_m)
            detail = ", ".join(f"-{p.n3(new.namespace_manager)} {o}" for p, o in gone_m)
            detail += (", " if gone_m and came_m else "") + ", ".join(
                f"+{p.n3(new.namespace_manager)} {o}" for p, o in came_m
            )
            diff.changes.append(
                Change(
                    "mappings",
                    c,
                    n,
                    detail,
                    removed=tuple((c, p, o) for p, o in gone_m),
                    added=tuple((c, p, o) for p, o in came_m),
                )
            )
    return diff
