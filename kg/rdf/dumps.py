"""Serialise the graph into the published RDF formats, byte-for-byte reproducibly.

The graph is first written as N-Triples with its lines sorted; every other format is
serialised from that sorted list of triples (by pyoxigraph, which is fast, and a small
JSON-LD writer of our own), so the same graph always gives the same bytes whatever the
Python hash seed.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from kg.rdf.terms import Value, plain, value, written

#: Prefixes of the published JSON-LD context (also served as context.jsonld).
CONTEXT_PREFIXES = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "isco": "http://data.europa.eu/esco/isco/",
    "kg": "https://reg1042.example.org/def#",
    "oa": "http://www.w3.org/ns/oa#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "pav": "http://purl.org/pav/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "sssom": "https://w3id.org/sssom/",
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def jsonld_context() -> dict[str, Any]:
    """The context document: the prefixes the dumps use for compact IRIs."""
    return {"@context": {"@version": 1.1, **CONTEXT_PREFIXES}}


def ntriples(g: Graph) -> bytes:
    """Sorted, duplicate-free N-Triples: the canonical form every other dump derives from."""
    lines = g.serialize(format="nt", encoding="utf-8").splitlines()
    return b"".join(line + b"\n" for line in sorted(set(lines)) if line.strip())


def triples(nt: bytes) -> list[ox.Triple]:
    return list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))


def turtle(ts: list[ox.Triple]) -> bytes:
    return written(ox.serialize(ts, format=ox.RdfFormat.TURTLE, prefixes=CONTEXT_PREFIXES))


def rdfxml(ts: list[ox.Triple]) -> bytes:
    return written(ox.serialize(ts, format=ox.RdfFormat.RDF_XML, prefixes=CONTEXT_PREFIXES))


def jsonld(ts: list[ox.Triple]) -> bytes:
    """JSON-LD 1.1, flattened: one node object per subject, the context embedded
    (readers need no network), compact IRIs from the published prefixes."""
    nodes: dict[str, dict[str, Any]] = {}
    for t in ts:
        subject = value(t.subject)
        node = nodes.setdefault(subject, {"@id": _compact(subject)})
        predicate = t.predicate.value
        if predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(_compact(t.object.value))
            continue
        node.setdefault(_compact(predicate), []).append(_value(plain(t.object)))
    doc = {
        "@context": jsonld_context()["@context"],
        "@graph": [nodes[key] for key in sorted(nodes)],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _compact(iri: str) -> str:
    best = ""
    for prefix, ns in CONTEXT_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(CONTEXT_PREFIXES.get(best, "")):
            local = iri[len(ns) :]
            if local and "/" not in local and "#" not in local and not local.startswith("//"):
                best = prefix
    return f"{best}:{iri[len(CONTEXT_PREFIXES[best]) :]}" if best else iri


def _value(term: Value) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": _compact(term.datatype.value)}
