"""Graph terms as the register has them, typed as what they are.

pyoxigraph types a triple's subject as NamedNode | BlankNode | Triple and its object as
NamedNode | BlankNode | Literal | Triple (RDF 1.2 triple terms). The register's graph, its
catalog, VoID and change log, and the answers of the queries the pages ask, never hold a
quoted triple, so these helpers narrow a term to what it is, and fail loudly otherwise (as
reading `.value` of a quoted triple always did).

rdflib types every term of a graph as a `Node`, which has no order; each one is an
`Identifier` (URIRef, BNode or Literal), which has.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.term import Identifier, Node

#: A term of an RDF 1.1 graph (a subject, an object, or a query answer's value).
Value = ox.NamedNode | ox.BlankNode | ox.Literal


def plain(term: Value | ox.Triple) -> Value:
    """`term`, which is known not to be a quoted triple."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"a quoted triple where the register has none: {term}")
    return term


def value(term: Value | ox.Triple) -> str:
    """The IRI, blank node id or lexical form of a term that is no quoted triple."""
    return plain(term).value


def written(body: bytes | None) -> bytes:
    """What a pyoxigraph `serialize` given no output file returns: the bytes (typed
    `bytes | None` because with an output file it writes there and returns None)."""
    assert body is not None, "serialize was given no output file, so it returns the bytes"
    return body


def ordered(nodes: Iterable[Node]) -> list[Identifier]:
    """Terms of an rdflib graph in rdflib's order (SPARQL's: by kind, then by text)."""
    terms: list[Identifier] = []
    for node in nodes:
        assert isinstance(node, Identifier), f"every term of a graph is an Identifier: {node!r}"
        terms.append(node)
    return sorted(terms)
