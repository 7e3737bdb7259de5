"""pyshacl settings shared by the build's SHACL gate and the SHACL tests.

One place, so the tests validate exactly as `kg validate` / `kg build` do.

Why these values (measured with pyshacl 0.40.1 on a synthetic 29k-triple SKOS graph,
3,030 concepts; see tests/test_skos_conformance.py):

* ``inference="none"``: RDFS inference with the SKOS core ontology as ``ont_graph`` takes
  ~20 s on that graph. The shapes need no entailment: they follow inverse, symmetric and
  transitive SKOS properties with property paths, and the build states both skos:broader
  and skos:narrower and skos:inScheme on every concept. No ``ont_graph`` either: without
  inference it would only be mixed into (a copy of) the data graph.
* ``advanced=True``: the SKOS publication rules use SHACL-AF SPARQL-based targets, which
  pre-select the few candidate nodes so that SPARQL constraints (about 7 ms per focus node
  in pyshacl) do not run on every concept.
* ``inplace=True``: advanced mode otherwise copies the data graph first (~0.5 s on that
  graph). Nothing is written to the data graph when there is no inference, no ``ont_graph``
  and no ``sh:rule``; pass the shapes graph to :func:`validation_kwargs` and it turns
  ``inplace`` off if the shapes contain rules, which would add triples to the graph.
* ``allow_warnings=True`` (and infos): results of severity sh:Warning or sh:Info are
  reported but do not fail the gate; every sh:Violation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from rdflib import Graph
from rdflib.namespace import SH

#: Keyword arguments for ``pyshacl.validate(data_graph, shacl_graph=..., **PYSHACL_OPTIONS)``.
PYSHACL_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "inference": "none",
        "ont_graph": None,
        "advanced": True,
        "inplace": True,
        "abort_on_first": False,
        "allow_infos": True,
        "allow_warnings": True,
        "meta_shacl": False,
        "js": False,
        "debug": False,
    }
)


def validation_kwargs(shacl_graph: Graph | None = None) -> dict[str, Any]:
    """Return a fresh copy of the pyshacl keyword arguments (without ``shacl_graph``).

    Given the shapes graph, ``inplace`` is switched off if it holds SHACL-AF rules, so that
    validation can never add triples to the caller's data graph.
    """
    kwargs = dict(PYSHACL_OPTIONS)
    if shacl_graph is not None and (None, SH.rule, None) in shacl_graph:
        kwargs["inplace"] = False
    return kwargs
