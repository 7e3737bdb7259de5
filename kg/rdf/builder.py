"""The graph builder's primitives: labels, concepts, hierarchy links and source quotes.

Apart from the register's own sections (kg.rdf.graph), so that the occupation and hidden-label
modules can add their triples with the same primitives without importing the graph module.
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import OWL, RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.curate.records import Labels, Register, Span
from kg.uris import ELI, FOAF, KG, OA, Uris

#: Languages whose labels are the publisher's translations, not words of the law.
UNOFFICIAL = ("ru", "en")


class GraphBuilder:
    """Adds triples to one graph, with the register's records and URIs at hand."""

    def __init__(self, reg: Register, uris: Uris):
        self.reg = reg
        self.u = uris
        self.g = Graph()
        self.consolidated = uris.act("order-2015-1042-consolidated")
        self.quote_count: dict[str, int] = defaultdict(int)
        self._bind()

    def _bind(self) -> None:
        for prefix, ns in {
            "skos": SKOS,
            "dct": DCTERMS,
            "prov": PROV,
            "eli": ELI,
            "oa": OA,
            "kg": KG,
            "owl": OWL,
            "xsd": XSD,
            "foaf": FOAF,
        }.items():
            self.g.bind(prefix, ns)

    # ---------------------------------------------------------------- helpers
    def add(self, s: URIRef, p: URIRef, o) -> None:
        self.g.add((s, p, o))

    def labels(self, s: URIRef, labels: Labels, unofficial: bool = True) -> None:
        self.add(s, SKOS.prefLabel, Literal(labels.kk, lang="kk"))
        for lang in UNOFFICIAL:
            value = getattr(labels, lang)
            if value:
                self.add(s, SKOS.prefLabel, Literal(value, lang=lang))
                if unofficial:
                    self.add(s, KG.unofficialLabelLanguage, Literal(lang, datatype=XSD.language))

    def concept(
        self, s: URIRef, cls: URIRef, scheme: URIRef, notation: str, datatype: URIRef
    ) -> None:
        self.add(s, RDF.type, SKOS.Concept)
        self.add(s, RDF.type, cls)
        self.add(s, SKOS.inScheme, scheme)
        self.add(s, SKOS.notation, Literal(notation, datatype=datatype))

    def narrower(self, parent: URIRef, child: URIRef) -> None:
        self.add(child, SKOS.broader, parent)
        self.add(parent, SKOS.narrower, child)

    def top(self, scheme: URIRef, concept: URIRef) -> None:
        self.add(scheme, SKOS.hasTopConcept, concept)
        self.add(concept, SKOS.topConceptOf, scheme)

    def derived(self, s: URIRef) -> None:
        self.add(s, PROV.wasDerivedFrom, self.consolidated)

    def quote(self, subject: URIRef, subject_path: str, role: str, span: Span) -> URIRef:
        key = f"{subject_path}/{role}"
        self.quote_count[key] += 1
        q = self.u.quote(subject_path, role, self.quote_count[key])
        text = self.reg.source.text
        exact, position = URIRef(f"{q}#exact"), URIRef(f"{q}#position")
        self.add(subject, KG.sourceQuote, q)
        self.add(q, RDF.type, OA.SpecificResource)
        self.add(q, RDF.type, KG.SourceQuote)
        self.add(q, OA.hasSource, self.u.source_text())
        self.add(q, KG.quoteRole, Literal(role))
        self.add(q, OA.hasSelector, exact)
        self.add(q, OA.hasSelector, position)
        self.add(exact, RDF.type, OA.TextQuoteSelector)
        self.add(exact, OA.exact, Literal(span.quote))
        self.add(exact, OA.prefix, Literal(text[max(0, span.start - 32) : span.start]))
        self.add(exact, OA.suffix, Literal(text[span.end : span.end + 32]))
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(span.start, datatype=XSD.integer))
        self.add(position, OA.end, Literal(span.end, datatype=XSD.integer))
        return q
