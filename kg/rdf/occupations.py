"""Occupations and their ISCO-08 crosswalk as triples (the records come from kg.curate.occupations).

Each mapping is both a plain SKOS triple (occupation skos:broadMatch ISCO group) and a
`kg:Mapping` record of it in the SSSOM RDF style (owl:annotatedSource/Property/Target,
pav:authoredBy, dct:created, sssom:mapping_justification, sssom:object_source_version,
rdfs:comment), so that SKOS consumers get the links and curators get their provenance.
"""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kg.curate.occupations import (
    CC0,
    ESCO_ACKNOWLEDGEMENT,
    ISCO_VERSION,
    PREDICATES,
    mapping_set_description,
    mapping_set_version,
    position_unit_groups,
)
from kg.curate.records import Labels
from kg.rdf.builder import GraphBuilder
from kg.uris import ISCO_NS, ISCO_SCHEME, KG, PAV, SEMAPV, SSSOM


def add_occupations(b: GraphBuilder) -> None:
    """Occupation scheme, occupations, position links and translations, ISCO-08 targets and
    the mapping records, added to the builder's graph."""
    u, reg = b.u, b.reg
    for prefix, ns in (("sssom", SSSOM), ("semapv", SEMAPV), ("pav", PAV)):
        b.g.bind(prefix, ns)

    scheme = u.occupation_scheme()
    b.add(scheme, RDF.type, SKOS.ConceptScheme)
    b.labels(scheme, Labels("Кәсіптер", "Занятия", "Occupations"))
    b.add(
        scheme,
        SKOS.definition,
        Literal(
            "The jobs that the positions of the register name, one occupation per job whatever "
            "the grade, category or sector of the position (every position has exactly one, "
            "kg:occupation), mapped to ISCO-08 unit groups. The grouping, the labels and the "
            "mappings are the publisher's work, not words of the law.",
            lang="en",
        ),
    )
    b.add(scheme, DCTERMS.source, b.consolidated)
    b.add(scheme, RDFS.seeAlso, u.scheme())

    for occ in reg.occupations:
        c = u.occupation(occ.id)
        b.concept(c, KG.Occupation, scheme, occ.id, KG.OccupationCode)
        b.top(scheme, c)
        b.labels(c, occ.labels)
        if occ.scope_note:
            b.add(c, SKOS.scopeNote, Literal(occ.scope_note, lang="en"))
        b.add(c, DCTERMS.source, b.consolidated)
        b.derived(c)

    for po in reg.position_occupations:
        b.add(u.position(po.position), KG.occupation, u.occupation(po.occupation))
    for notation, (code, basis) in sorted(position_unit_groups(reg).items()):
        p = u.position(notation)
        if code:
            b.add(p, KG.iscoUnitGroup, URIRef(ISCO_NS + code))
        if basis:
            b.add(p, KG.iscoUnitGroupNote, Literal(basis, lang="en"))
    for t in reg.position_translations:
        p = u.position(t.position)
        for lang in ("ru", "en"):
            b.add(p, SKOS.prefLabel, Literal(getattr(t.labels, lang), lang=lang))
            b.add(p, KG.unofficialLabelLanguage, Literal(lang, datatype=XSD.language))

    _add_crosswalk(b)


def _add_crosswalk(b: GraphBuilder) -> None:
    u, reg = b.u, b.reg
    b.add(ISCO_SCHEME, RDF.type, SKOS.ConceptScheme)
    b.add(ISCO_SCHEME, SKOS.prefLabel, Literal("ISCO-08", lang="en"))
    b.add(
        ISCO_SCHEME,
        RDFS.comment,
        Literal(
            f"International Standard Classification of Occupations 2008, as published in "
            f"{ISCO_VERSION}. Only the unit groups the crosswalk uses are described here, with "
            f"their code and English label. {ESCO_ACKNOWLEDGEMENT}",
            lang="en",
        ),
    )
    mapping_set = u.mapping_set()
    b.add(mapping_set, RDF.type, SSSOM.MappingSet)
    b.add(mapping_set, DCTERMS.title, Literal("Occupations of Register 1042 to ISCO-08", lang="en"))
    b.add(mapping_set, DCTERMS.description, Literal(mapping_set_description(), lang="en"))
    b.add(mapping_set, DCTERMS.license, URIRef(CC0))
    b.add(mapping_set, SSSOM.object_source, ISCO_SCHEME)
    b.add(mapping_set, SSSOM.object_source_version, Literal(ISCO_VERSION))
    b.add(mapping_set, SSSOM.subject_source, u.occupation_scheme())
    b.add(mapping_set, OWL.versionInfo, Literal(mapping_set_version(reg)))

    used: set[str] = set()
    for m in reg.isco_mappings:
        occ, target = u.occupation(m.occupation), URIRef(ISCO_NS + m.isco_code)
        predicate = PREDICATES[m.predicate]
        used.add(m.isco_code)
        b.add(occ, predicate, target)
        rec = u.mapping(m.occupation, m.isco_code)
        b.add(mapping_set, SSSOM.mappings, rec)
        b.add(rec, RDF.type, KG.Mapping)
        b.add(rec, RDF.type, OWL.Axiom)
        b.add(rec, OWL.annotatedSource, occ)
        b.add(rec, OWL.annotatedProperty, predicate)
        b.add(rec, OWL.annotatedTarget, target)
        b.add(rec, SSSOM.mapping_justification, SEMAPV[m.justification.split(":", 1)[1]])
        b.add(rec, PAV.authoredBy, u.agent(m.author))
        b.add(rec, DCTERMS.created, Literal(m.date, datatype=XSD.date))
        b.add(rec, SSSOM.object_source, ISCO_SCHEME)
        b.add(rec, SSSOM.object_source_version, Literal(m.isco_version))
        b.add(rec, SSSOM.confidence, Literal(format(m.confidence, "g"), datatype=XSD.double))
        if m.qualification_level:
            b.add(rec, KG.appliesToQualificationLevel, u.qualification_level(m.qualification_level))
        if m.comment:
            b.add(rec, RDFS.comment, Literal(m.comment, lang="en"))
    for code in sorted(used):
        group = reg.isco_unit_groups[code]
        s = URIRef(group.uri)
        b.add(s, SKOS.inScheme, ISCO_SCHEME)
        b.add(s, SKOS.notation, Literal(code))
        b.add(s, SKOS.prefLabel, Literal(group.label, lang="en"))
    b.g.bind("isco", Namespace(ISCO_NS))
