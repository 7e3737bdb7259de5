"""Hidden labels as triples: one skos:hiddenLabel per curated row (kg.curate.hidden_labels)."""

from __future__ import annotations

from rdflib import SKOS, Literal, URIRef

from kg.rdf.builder import GraphBuilder


def add_hidden_labels(b: GraphBuilder) -> None:
    """One skos:hiddenLabel per row, on the concept it names."""
    u = b.u
    uri_of = {
        "occupation": u.occupation,
        "position": u.position,
        "institution-type": u.institution_type,
        "category": u.category,
        "qualification-level": u.qualification_level,
    }
    for h in b.reg.hidden_labels:
        subject: URIRef = uri_of[h.kind](h.id)
        b.add(subject, SKOS.hiddenLabel, Literal(h.label, lang=h.lang))
