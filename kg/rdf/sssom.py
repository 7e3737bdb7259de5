"""The ISCO-08 crosswalk as SSSOM/TSV (`mappings.sssom.tsv`), written from the validated graph.

Why SSSOM: it is what mapping curators and tools (sssom-py, OxO, Mapping Commons) exchange,
one row per mapping with its justification, author, date and the version of the target
vocabulary. Why from the graph: like the positions CSV, the file then says exactly what the
RDF dumps say (the kg:Mapping records), and nothing downstream re-reads the curated files.

Format: a YAML metadata block, every line prefixed with '#', then a tab-separated table with a
header row. YAML values are written as JSON strings (valid YAML double-quoted scalars), so no
YAML library is needed to write them and any YAML parser reads them back. Entity references
are CURIEs expanded by the `curie_map` of the block.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.curate.occupations import ESCO_ACKNOWLEDGEMENT
from kg.uris import ISCO_NS, ISCO_SCHEME, KG, PAV, SEMAPV, SSSOM, Uris

SSSOM_TSV = "mappings.sssom.tsv"
MEDIA_TYPE = "text/tab-separated-values"
TITLE = "Occupations of Register 1042 to ISCO-08, SSSOM/TSV"

#: The columns of the table, in order.
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_id",
    "mapping_date",
    "confidence",
    "subject_source",
    "object_source",
    "object_source_version",
    "comment",
)


def curie_map(uris: Uris) -> dict[str, str]:
    """Prefixes of the CURIEs in the file (those under the base IRI follow the base)."""
    return {
        "ISCO": ISCO_NS,
        "escoscheme": "http://data.europa.eu/esco/concept-scheme/",
        "reg1042": uris.base,
        "reg1042agent": f"{uris.base}agent/",
        "reg1042occ": f"{uris.base}occupation/",
        "semapv": str(SEMAPV),
        "skos": str(SKOS),
    }


def _curie(uri: str, prefixes: dict[str, str]) -> str:
    """The shortest CURIE of a URI; a URI no prefix covers is a bug of the prefix map."""
    best = ""
    for prefix, ns in prefixes.items():
        if uri.startswith(ns) and len(ns) > len(prefixes.get(best, "")):
            best = prefix
    if not best:
        raise ValueError(f"no CURIE prefix for {uri}")
    return f"{best}:{uri[len(prefixes[best]) :]}"


def _label(g: Graph, node: URIRef, lang: str = "en") -> str:
    for label in g.objects(node, SKOS.prefLabel):
        if isinstance(label, Literal) and label.language == lang:
            return str(label)
    return ""


def _confidence(value: object) -> str:
    """The confidence in its shortest form (as the dumps write the xsd:double), empty if the
    record has none."""
    return format(float(value.toPython()), "g") if isinstance(value, Literal) else ""


def mapping_rows(g: Graph, uris: Uris) -> list[dict[str, str]]:
    """One row per kg:Mapping record of the graph, sorted by subject and object."""
    prefixes = curie_map(uris)
    rows = []
    for rec in g.subjects(RDF.type, KG.Mapping):
        subject = g.value(rec, OWL.annotatedSource)
        predicate = g.value(rec, OWL.annotatedProperty)
        target = g.value(rec, OWL.annotatedTarget)
        justification = g.value(rec, SSSOM.mapping_justification)
        assert isinstance(subject, URIRef) and isinstance(target, URIRef)
        assert predicate is not None and justification is not None
        authors = sorted(str(a) for a in g.objects(rec, PAV.authoredBy))
        rows.append(
            {
                "subject_id": _curie(str(subject), prefixes),
                "subject_label": _label(g, subject),
                "predicate_id": _curie(str(predicate), prefixes),
                "object_id": _curie(str(target), prefixes),
                "object_label": _label(g, target),
                "mapping_justification": _curie(str(justification), prefixes),
                "author_id": "|".join(_curie(a, prefixes) for a in authors),
                "mapping_date": str(g.value(rec, DCTERMS.created) or ""),
                "confidence": _confidence(g.value(rec, SSSOM.confidence)),
                "subject_source": _curie(str(uris.occupation_scheme()), prefixes),
                "object_source": _curie(
                    str(g.value(rec, SSSOM.object_source) or ISCO_SCHEME), prefixes
                ),
                "object_source_version": str(g.value(rec, SSSOM.object_source_version) or ""),
                "comment": str(g.value(rec, RDFS.comment) or ""),
            }
        )
    rows.sort(key=lambda r: (r["subject_id"], r["object_id"]))
    return rows


def metadata(g: Graph, uris: Uris) -> dict[str, object]:
    """The mapping set's metadata block, from the graph's sssom:MappingSet."""
    mapping_set = uris.mapping_set()
    prefixes = curie_map(uris)
    creators = sorted(
        {str(a) for rec in g.subjects(RDF.type, KG.Mapping) for a in g.objects(rec, PAV.authoredBy)}
    )
    return {
        "curie_map": prefixes,
        "mapping_set_id": str(mapping_set),
        "mapping_set_version": str(g.value(mapping_set, OWL.versionInfo) or ""),
        "mapping_set_title": str(g.value(mapping_set, DCTERMS.title) or TITLE),
        "mapping_set_description": str(
            g.value(mapping_set, DCTERMS.description) or ESCO_ACKNOWLEDGEMENT
        ),
        "license": str(g.value(mapping_set, DCTERMS.license) or ""),
        "creator_id": [_curie(a, prefixes) for a in creators],
        "comment": ESCO_ACKNOWLEDGEMENT
        + " The ISCO-08 labels are ESCO's (v1.1.0), from a modified copy of its data that keeps "
        "the unit groups only. Subject labels are the register's unofficial English labels; the "
        "Kazakh ones are in the RDF dumps.",
    }


def _yaml_lines(meta: dict[str, object]) -> Iterable[str]:
    for key, value in meta.items():
        if isinstance(value, dict):
            yield f"{key}:"
            for k, v in value.items():
                yield f"  {k}: {json.dumps(v, ensure_ascii=False)}"
        elif isinstance(value, list):
            yield f"{key}:"
            for item in value:
                yield f"  - {json.dumps(item, ensure_ascii=False)}"
        else:
            yield f"{key}: {json.dumps(value, ensure_ascii=False)}"


def sssom_tsv(g: Graph, uris: Uris) -> bytes:
    """The SSSOM/TSV file: '#'-prefixed YAML metadata, then the table (UTF-8, LF)."""
    out = io.StringIO()
    for line in _yaml_lines(metadata(g, uris)):
        out.write(f"#{line}\n")
    writer = csv.DictWriter(
        out, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writeheader()
    writer.writerows(mapping_rows(g, uris))
    return out.getvalue().encode("utf-8")
