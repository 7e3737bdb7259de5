"""The flat CSV of positions for spreadsheet users, and its CSVW description.

Read from the validated graph (not from the curated files), so the CSV says exactly
what the RDF dumps say. Rows follow the law's order (the offset of each title's quote in
the source text); the first seven columns are the fixed contract, the unofficial Russian
and English titles and the ISCO-08 codes come after the original columns.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rdflib import OWL, RDF, SKOS, Graph, Literal
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from kg.curate.notation import natural_key
from kg.rdf.terms import ordered
from kg.uris import KG, OA, Uris

POSITIONS_CSV = "positions.csv"

#: (name, title, datatype, description); the first seven are the fixed contract.
COLUMNS: list[tuple[str, str, str, str]] = [
    ("position_uri", "Position URI", "anyURI", "URI of the position concept"),
    ("position_label_kk", "Position (kk)", "string", "Kazakh title of the position"),
    ("block", "Block", "string", "Block code: A, B, C or D"),
    ("tier", "Tier", "string", "Tier code such as B2"),
    ("step", "Step", "string", "Step such as 1 or 1-1; empty in blocks C and D"),
    (
        "sector",
        "Sector",
        "string",
        "healthcare, education or other for tiers B2-B4; empty elsewhere",
    ),
    ("grade", "Grade", "string", "Grade notation (tier-step-sector, e.g. B2-1-H)"),
    ("position_notation", "Position code", "string", "Position notation, e.g. B2-1-H.01"),
    ("grade_uri", "Grade URI", "anyURI", "URI of the grade concept"),
    (
        "qualification_level",
        "Qualification level",
        "string",
        "high or medium, where the register says",
    ),
    ("category", "Category", "string", "highest, first, second or none, where the register says"),
    (
        "institution_types",
        "Institution types",
        "string",
        "Identifiers of institution types, space-separated",
    ),
    (
        "significance_level",
        "Significance level",
        "string",
        "republican, regional or district, where stated",
    ),
    ("source_quote", "Source quote", "string", "Verbatim text of the law the position comes from"),
    (
        "source_start",
        "Source start",
        "nonNegativeInteger",
        "Offset of the quote (Unicode code points)",
    ),
    ("source_end", "Source end", "nonNegativeInteger", "End offset of the quote, exclusive"),
    (
        "editorial_decisions",
        "Editorial decisions",
        "string",
        "Identifiers of editorial decisions, space-separated",
    ),
    ("position_label_ru", "Position (ru)", "string", "Russian title (unofficial translation)"),
    ("position_label_en", "Position (en)", "string", "English title (unofficial translation)"),
    (
        "isco_codes",
        "ISCO-08",
        "string",
        "The position's ISCO-08 unit group where the register decides it, else the codes "
        "of its occupation's groups that apply to its qualification level, space-separated",
    ),
    (
        "deprecated",
        "Deprecated",
        "boolean",
        "true for a position that is no longer in the register (an amendment removed it or a "
        "decision split it): its URI stays",
    ),
    (
        "replaced_by",
        "Replaced by",
        "string",
        "A deprecated position's successors (position codes, space-separated)",
    ),
]
#: SKOS mapping properties of the occupations' ISCO-08 crosswalk.
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch)


def _last(uri: Node | None) -> str:
    return "" if uri is None else str(uri).rstrip("/").rsplit("/", 1)[-1]


def label_of(g: Graph, s: Node | None, lang: str) -> str:
    if s is None:
        return ""
    return next(
        (
            str(x)
            for x in g.objects(s, SKOS.prefLabel)
            if isinstance(x, Literal) and x.language == lang
        ),
        "",
    )


def isco_groups(g: Graph, pos: Node) -> list[tuple[str, str]]:
    """(code, English label) of a position's ISCO-08 group where the register's facts decide
    it, else of the groups of its occupation whose mapping applies to its qualification level
    (a mapping limited to a level says so)."""
    own = g.value(pos, KG.iscoUnitGroup)
    if own is not None:  # the register's facts pick one group (data/position_isco.csv)
        return [
            (str(g.value(own, SKOS.notation) or _last(own).lstrip("C")), label_of(g, own, "en"))
        ]
    occupation = g.value(pos, KG.occupation)
    if occupation is None:
        return []
    level = g.value(pos, KG.qualificationLevel)
    out: dict[str, str] = {}
    for predicate in MAPPING_PREDICATES:
        for target in ordered(g.objects(occupation, predicate)):
            limits: set[Node] = set()
            for record in g.subjects(OWL.annotatedSource, occupation):
                if (record, OWL.annotatedTarget, target) in g and (
                    record,
                    OWL.annotatedProperty,
                    predicate,
                ) in g:
                    limits.update(g.objects(record, KG.appliesToQualificationLevel))
            if limits and level not in limits:
                continue
            code = str(g.value(target, SKOS.notation) or _last(target).lstrip("C"))
            out.setdefault(code, label_of(g, target, "en"))
    return sorted(out.items())


def law_order(row: dict[str, str]) -> tuple:
    """Where a position's title stands in the law (its quote's offset), then its code."""
    start = int(row["source_start"]) if row["source_start"].isdigit() else 1 << 30
    return (start, natural_key(row["position_notation"]))


def position_rows(g: Graph) -> list[dict[str, str]]:
    """One row per position, in the law's order."""
    rows = []
    for pos in g.subjects(RDF.type, KG.Position):
        grade = g.value(pos, KG.grade)
        quote = next(
            (q for q in g.objects(pos, KG.sourceQuote) if str(g.value(q, KG.quoteRole)) == "title"),
            None,
        )
        exact = start = end = ""
        if quote is not None:
            for sel in g.objects(quote, OA.hasSelector):
                if (sel, RDF.type, OA.TextQuoteSelector) in g:
                    exact = str(g.value(sel, OA.exact))
                else:
                    start, end = str(g.value(sel, OA.start)), str(g.value(sel, OA.end))
        label = next(
            str(lbl)
            for lbl in g.objects(pos, SKOS.prefLabel)
            if isinstance(lbl, Literal) and lbl.language == "kk"
        )
        rows.append(
            {
                "position_uri": str(pos),
                "position_label_kk": label,
                "block": _last(g.value(pos, KG.block)),
                "tier": _last(g.value(pos, KG.tier)),
                "step": str(g.value(grade, KG.step) or ""),
                "sector": _last(g.value(pos, KG.sector)),
                "grade": str(g.value(grade, SKOS.notation)),
                "position_notation": str(g.value(pos, SKOS.notation)),
                "grade_uri": str(grade),
                "qualification_level": _last(g.value(pos, KG.qualificationLevel)),
                "category": _last(g.value(pos, KG.category)),
                "institution_types": " ".join(
                    sorted(_last(t) for t in g.objects(pos, KG.institutionType))
                ),
                "significance_level": _last(g.value(pos, KG.significanceLevel)),
                "source_quote": exact,
                "source_start": start,
                "source_end": end,
                "editorial_decisions": " ".join(
                    sorted(_last(d) for d in g.objects(pos, KG.editorialDecision))
                ),
                "position_label_ru": label_of(g, pos, "ru"),
                "position_label_en": label_of(g, pos, "en"),
                "isco_codes": " ".join(code for code, _ in isco_groups(g, pos)),
                "deprecated": "true" if (pos, OWL.deprecated, Literal(True)) in g else "false",
                "replaced_by": " ".join(
                    sorted(
                        (_last(r) for r in g.objects(pos, DCTERMS.isReplacedBy)), key=natural_key
                    )
                ),
            }
        )
    rows.sort(key=law_order)
    return rows


def positions_csv(g: Graph) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[c[0] for c in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(position_rows(g))
    return buf.getvalue().encode("utf-8")


def positions_csvw(uris: Uris, g: Graph) -> bytes:
    """CSVW metadata (the W3C 'Metadata Vocabulary for Tabular Data')."""
    columns: list[dict[str, Any]] = []
    for name, title, datatype, description in COLUMNS:
        col: dict[str, Any] = {
            "name": name,
            "titles": name,
            "dc:title": title,
            "dc:description": description,
            "datatype": datatype,
            "required": name in ("position_uri", "position_label_kk", "block", "tier", "grade"),
        }
        if name in ("position_label_kk", "position_label_ru", "position_label_en"):
            col["lang"] = name.rpartition("_")[2]
            col["propertyUrl"] = str(SKOS.prefLabel)
        elif name == "grade_uri":
            col["propertyUrl"] = str(SKOS.broader)
            col["valueUrl"] = "{+grade_uri}"
        elif name == "position_notation":
            col["propertyUrl"] = str(SKOS.notation)
        else:
            col["propertyUrl"] = f"{KG}csv-{name}"
        columns.append(col)
    scheme = next(iter(g.subjects(RDF.type, SKOS.ConceptScheme)), None)
    meta = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": POSITIONS_CSV,
        "dc:title": "Positions of the register of civil-servant positions in the social security sector",
        "dc:source": str(uris.act("order-2015-1042-consolidated")),
        "dc:license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "dialect": {"header": True, "encoding": "utf-8", "lineTerminators": ["\r\n"]},
        "tableSchema": {
            "columns": columns,
            "primaryKey": "position_uri",
            "aboutUrl": "{+position_uri}",
        },
    }
    if scheme is not None:
        meta["dc:isPartOf"] = str(uris.scheme())
    return (json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
