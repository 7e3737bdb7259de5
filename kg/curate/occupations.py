"""Occupations and their ISCO-08 crosswalk: curated rows -> checked records -> triples.

Why a module of its own: positions are job titles in grades, and many of them name the same
job at different grades (a nurse in eight grades, an accountant in C2 and C3). An occupation
groups them, so that users and classifiers can speak about the job, and the crosswalk to
ISCO-08 is made once per job instead of once per position.

The curated files (data/README.md): `occupations.csv` (one row per occupation),
`position_occupations.csv` (the occupation of every position), `position_translations.csv`
(unofficial Russian and English titles of positions) and `isco_mappings.csv` (the crosswalk,
with who, how, when and against which ESCO version). The ISCO-08 codes are checked against
`reference/isco08/isco08_unit_groups_en.csv`, a modified copy of ESCO v1.1.0 data.

In RDF, each mapping is both a plain SKOS triple (occupation skos:broadMatch ISCO group) and
a `kg:Mapping` record of it in the SSSOM RDF style (owl:annotatedSource/Property/Target,
pav:authoredBy, dct:created, sssom:mapping_justification, sssom:object_source_version,
rdfs:comment), so that SKOS consumers get the links and curators get their provenance.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kg.curate.curated import (
    Labels,
    Origin,
    Register,
    _ident,
    _Reader,
    _required,
    _RowError,
)
from kg.errors import Problem
from kg.uris import KG

if TYPE_CHECKING:
    from kg.rdf.graph import GraphBuilder

SSSOM = Namespace("https://w3id.org/sssom/")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
PAV = Namespace("http://purl.org/pav/")

#: ESCO's concept scheme of ISCO-08 and the namespace of its groups (C + code).
ISCO_SCHEME = URIRef("http://data.europa.eu/esco/concept-scheme/isco")
ISCO_NS = "http://data.europa.eu/esco/isco/C"
#: The classification and the release it is taken from: ISCO-08 as ESCO v1.1.0 publishes it
#: (the reference list in data/reference/isco08/, see its README.txt).
ISCO_VERSION = "ISCO-08 (ESCO v1.1.0)"
REFERENCE_FILE = "reference/isco08/isco08_unit_groups_en.csv"
ESCO_ACKNOWLEDGEMENT = "This service uses the ESCO classification of the European Commission."
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"

#: The SKOS mapping properties a crosswalk row may use, by their CURIE in the CSV.
PREDICATES: dict[str, URIRef] = {
    "skos:exactMatch": SKOS.exactMatch,
    "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch,
    "skos:narrowMatch": SKOS.narrowMatch,
}
#: SSSOM mapping justifications (semapv) a row may name.
JUSTIFICATIONS = ("semapv:ManualMappingCuration", "semapv:MappingReview")

OCCUPATION_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
ISCO_CODE_RE = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Occupation:
    id: str
    labels: Labels
    scope_note: str
    origin: Origin


@dataclass(frozen=True)
class IscoUnitGroup:
    """A four-digit ISCO-08 unit group of the reference list."""

    code: str
    label: str
    uri: str
    origin: Origin


@dataclass(frozen=True)
class IscoMapping:
    """One row of the crosswalk: occupation, SKOS predicate, ISCO-08 unit group, provenance."""

    occupation: str
    predicate: str
    isco_code: str
    isco_label: str
    qualification_level: str
    justification: str
    author: str
    date: str
    isco_version: str
    comment: str
    origin: Origin
    #: SSSOM confidence, 0 to 1 (data/README.md says what the values mean).
    confidence: float = 1.0


@dataclass(frozen=True)
class PositionOccupation:
    position: str
    label_kk: str
    occupation: str
    origin: Origin


@dataclass(frozen=True)
class PositionIsco:
    """The ISCO-08 unit group of one position whose occupation maps to several, chosen by a
    fact of the register (`basis`), or no group and why the register does not decide it."""

    position: str
    label_kk: str
    isco_code: str
    basis: str
    origin: Origin


@dataclass(frozen=True)
class PositionTranslation:
    """Unofficial Russian and English titles of a position."""

    position: str
    labels: Labels
    origin: Origin


# ---------------------------------------------------------------------------- reading


def load_occupations(reg: Register, data_dir: Path, problems: list[Problem]) -> None:
    """Read the occupation files into `reg` and check them against the register's rows."""

    def reader(name: str, *columns: str) -> _Reader:
        return _Reader(data_dir, name, columns, problems)

    reg.isco_unit_groups = {
        g.code: g
        for g in reader(REFERENCE_FILE, "code", "preferredLabel", "conceptUri").rows(_unit_group)
    }
    reg.occupations = reader(
        "occupations.csv", "id", "label_kk", "label_ru", "label_en", "scope_note"
    ).rows(_occupation)
    reg.isco_mappings = reader(
        "isco_mappings.csv",
        "occupation",
        "predicate",
        "isco_code",
        "isco_label",
        "qualification_level",
        "mapping_justification",
        "author",
        "mapping_date",
        "isco_version",
        "confidence",
        "comment",
    ).rows(_mapping)
    reg.position_occupations = reader(
        "position_occupations.csv", "position", "label_kk", "occupation"
    ).rows(
        lambda r, o: PositionOccupation(
            _required(r, "position"), _required(r, "label_kk"), _required(r, "occupation"), o
        )
    )
    reg.position_translations = reader(
        "position_translations.csv", "position", "label_kk", "label_ru", "label_en"
    ).rows(
        lambda r, o: PositionTranslation(
            _required(r, "position"),
            Labels(_required(r, "label_kk"), _required(r, "label_ru"), _required(r, "label_en")),
            o,
        )
    )
    reg.position_isco = reader(
        "position_isco.csv", "position", "label_kk", "isco_code", "basis"
    ).rows(
        lambda r, o: PositionIsco(
            _required(r, "position"),
            _required(r, "label_kk"),
            r["isco_code"].strip(),
            _required(r, "basis"),
            o,
        )
    )
    problems.extend(check_occupations(reg))


def _unit_group(row: dict[str, str], origin: Origin) -> IscoUnitGroup:
    code = _required(row, "code")
    if not ISCO_CODE_RE.fullmatch(code):
        raise _RowError(f"code {code!r} is not a four-digit ISCO-08 unit group code")
    uri = _required(row, "conceptUri")
    if uri != ISCO_NS + code:
        raise _RowError(f"conceptUri {uri!r} is not {ISCO_NS + code!r}")
    return IscoUnitGroup(code, _required(row, "preferredLabel"), uri, origin)


def _occupation(row: dict[str, str], origin: Origin) -> Occupation:
    ident = _ident(row, "id")
    if not OCCUPATION_ID_RE.fullmatch(ident):
        raise _RowError(f"id {ident!r} is not kebab-case ASCII (lower-case words joined by '-')")
    labels = Labels(
        _required(row, "label_kk"), _required(row, "label_ru"), _required(row, "label_en")
    )
    return Occupation(ident, labels, row["scope_note"].strip(), origin)


def _mapping(row: dict[str, str], origin: Origin) -> IscoMapping:
    predicate = _required(row, "predicate")
    if predicate not in PREDICATES:
        raise _RowError(f"predicate {predicate!r} is not one of {', '.join(PREDICATES)}")
    code = _required(row, "isco_code")
    if not ISCO_CODE_RE.fullmatch(code):
        raise _RowError(f"isco_code {code!r} is not a four-digit ISCO-08 unit group code")
    justification = _required(row, "mapping_justification")
    if justification not in JUSTIFICATIONS:
        raise _RowError(
            f"mapping_justification {justification!r} is not one of {', '.join(JUSTIFICATIONS)}"
        )
    date = _required(row, "mapping_date")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise _RowError(f"mapping_date {date!r} is not a date (YYYY-MM-DD)")
    confidence = _required(row, "confidence")
    if not re.fullmatch(r"0(\.[0-9]{1,2})?|1(\.0{1,2})?", confidence):
        raise _RowError(f"confidence {confidence!r} is not a number from 0 to 1 (two decimals)")
    return IscoMapping(
        occupation=_required(row, "occupation"),
        predicate=predicate,
        isco_code=code,
        isco_label=_required(row, "isco_label"),
        qualification_level=row["qualification_level"].strip(),
        justification=justification,
        author=_required(row, "author"),
        date=date,
        isco_version=_required(row, "isco_version"),
        comment=row["comment"].strip(),
        origin=origin,
        confidence=float(confidence),
    )


# ---------------------------------------------------------------------------- checks


def check_occupations(reg: Register) -> list[Problem]:
    """References between the occupation files and the register: every id used is defined,
    every position has exactly one occupation, every occupation has positions and a mapping."""
    out: list[Problem] = []

    def bad(origin: Origin, message: str) -> None:
        out.append(Problem(origin.file, origin.line, message))

    occupations: dict[str, Occupation] = {}
    for occ in reg.occupations:
        if occ.id in occupations:
            bad(
                occ.origin,
                f"duplicate occupation {occ.id!r} (first at line {occupations[occ.id].origin.line})",
            )
        occupations.setdefault(occ.id, occ)
    positions = {p.notation: p for p in reg.positions}
    grades = {g.notation: g for g in reg.grades}
    agents = {a.id for a in reg.agents}
    levels = {q.id for q in reg.qualification_levels}

    # the occupation of every position, once
    occupation_of: dict[str, PositionOccupation] = {}
    for po in reg.position_occupations:
        p = positions.get(po.position)
        if p is None:
            bad(po.origin, f"unknown position {po.position!r}")
            continue
        if po.label_kk != p.label_kk:
            bad(
                po.origin,
                f"label_kk {po.label_kk!r} is not the title of {po.position}: {p.label_kk!r}",
            )
        if po.occupation not in occupations:
            bad(po.origin, f"unknown occupation {po.occupation!r} (not in data/occupations.csv)")
        if po.position in occupation_of:
            first = occupation_of[po.position].origin.line
            bad(po.origin, f"position {po.position} already has an occupation (line {first})")
            continue
        occupation_of[po.position] = po
    for p in reg.positions:
        if p.notation not in occupation_of:
            bad(
                p.origin,
                f"position {p.notation} has no occupation in data/position_occupations.csv",
            )

    # the qualification levels each occupation's positions have
    levels_of: dict[str, set[str]] = {}
    for po in occupation_of.values():
        p = positions[po.position]
        grade = grades.get(p.grade)
        level = p.qualification_level or (grade.qualification_level if grade else "")
        levels_of.setdefault(po.occupation, set()).add(level)
    for occ in occupations.values():
        if occ.id not in levels_of:
            bad(occ.origin, f"occupation {occ.id!r} is the occupation of no position")

    seen_pairs: dict[tuple[str, str], Origin] = {}
    mapped: set[str] = set()
    for m in reg.isco_mappings:
        if m.occupation not in occupations:
            bad(m.origin, f"unknown occupation {m.occupation!r} (not in data/occupations.csv)")
        mapped.add(m.occupation)
        group = reg.isco_unit_groups.get(m.isco_code)
        if group is None:
            bad(
                m.origin,
                f"isco_code {m.isco_code} is not an ISCO-08 unit group of data/{REFERENCE_FILE}",
            )
        elif m.isco_label != group.label:
            bad(
                m.origin,
                f"isco_label {m.isco_label!r} is not the label of {m.isco_code}: {group.label!r}",
            )
        if m.isco_version != ISCO_VERSION:
            bad(m.origin, f"isco_version {m.isco_version!r}: the reference list is {ISCO_VERSION}")
        if m.author not in agents:
            bad(m.origin, f"unknown author {m.author!r} (not in data/agents.csv)")
        if m.qualification_level:
            if m.qualification_level not in levels:
                bad(m.origin, f"unknown qualification level {m.qualification_level!r}")
            elif m.occupation in levels_of and m.qualification_level not in levels_of[m.occupation]:
                bad(
                    m.origin,
                    f"occupation {m.occupation!r} has no position of qualification level "
                    f"{m.qualification_level!r}",
                )
        pair = (m.occupation, m.isco_code)
        if pair in seen_pairs:
            bad(
                m.origin,
                f"{m.occupation} is mapped to {m.isco_code} twice (first at line {seen_pairs[pair].line})",
            )
        seen_pairs.setdefault(pair, m.origin)
    for occ in occupations.values():
        if occ.id not in mapped:
            bad(
                occ.origin,
                f"occupation {occ.id!r} has no ISCO-08 mapping in data/isco_mappings.csv",
            )

    problems_isco = _check_position_isco(reg)
    out += problems_isco

    translated: dict[str, Origin] = {}
    for t in reg.position_translations:
        p = positions.get(t.position)
        if p is None:
            bad(t.origin, f"unknown position {t.position!r}")
            continue
        if t.labels.kk != p.label_kk:
            bad(
                t.origin,
                f"label_kk {t.labels.kk!r} is not the title of {t.position}: {p.label_kk!r}",
            )
        if t.position in translated:
            bad(
                t.origin,
                f"position {t.position} is translated twice (first at line {translated[t.position].line})",
            )
        translated.setdefault(t.position, t.origin)
    return out


def _active_positions(reg: Register) -> list:
    deprecated = {d.notation for d in reg.deprecations}
    return [p for p in reg.positions if p.notation not in deprecated]


def _applicable_codes(reg: Register) -> dict[str, list[str]]:
    """Active position -> the ISCO-08 codes of its occupation that apply to its level."""
    occupation = {po.position: po.occupation for po in reg.position_occupations}
    grades = {g.notation: g for g in reg.grades}
    out: dict[str, list[str]] = {}
    for p in _active_positions(reg):
        grade = grades.get(p.grade)
        level = p.qualification_level or (grade.qualification_level if grade else "")
        out[p.notation] = [
            m.isco_code
            for m in reg.isco_mappings
            if m.occupation == occupation.get(p.notation) and m.qualification_level in ("", level)
        ]
    return out


def _check_position_isco(reg: Register) -> list[Problem]:
    """position_isco.csv: one row for every active position whose occupation has several
    applicable ISCO-08 groups, none for the others; a code is one of those groups."""
    out: list[Problem] = []
    positions = {p.notation: p for p in reg.positions}
    codes = _applicable_codes(reg)
    seen: dict[str, Origin] = {}
    for row in reg.position_isco:

        def bad(message: str, row: PositionIsco = row) -> None:
            out.append(Problem(row.origin.file, row.origin.line, message))

        if row.position not in positions:
            bad(f"unknown position {row.position!r}")
            continue
        if row.label_kk != positions[row.position].label_kk:
            bad(f"label_kk {row.label_kk!r} is not the title of {row.position}")
        if row.position in seen:
            bad(f"position {row.position} has a row already (line {seen[row.position].line})")
        seen.setdefault(row.position, row.origin)
        applicable = codes.get(row.position)
        if applicable is None:
            bad(f"position {row.position} is deprecated: it has no ISCO-08 group of its own")
        elif len(applicable) < 2:
            bad(f"the occupation of {row.position} maps to one group only: no row is needed")
        elif row.isco_code and row.isco_code not in applicable:
            bad(
                f"isco_code {row.isco_code} is not one of the groups of {row.position}'s "
                f"occupation ({', '.join(applicable)})"
            )
    for p in reg.positions:
        if len(codes.get(p.notation, [])) > 1 and p.notation not in seen:
            out.append(
                Problem(
                    p.origin.file,
                    p.origin.line,
                    f"the occupation of {p.notation} maps to several ISCO-08 groups "
                    f"({', '.join(codes[p.notation])}): data/position_isco.csv needs a row",
                )
            )
    return out


def position_unit_groups(reg: Register) -> dict[str, tuple[str, str]]:
    """Active position -> (its ISCO-08 code, or '' where the register does not decide it;
    the basis from position_isco.csv, or '' for an occupation with one applicable group)."""
    chosen = {row.position: (row.isco_code, row.basis) for row in reg.position_isco}
    out = {}
    for notation, codes in _applicable_codes(reg).items():
        if notation in chosen:
            out[notation] = chosen[notation]
        elif len(codes) == 1:
            out[notation] = (codes[0], "")
    return out


def isco_codes_of_position(reg: Register, notation: str) -> list[str]:
    """ISCO-08 codes for one position: its occupation's mappings that apply to its level."""
    occupation = next(po.occupation for po in reg.position_occupations if po.position == notation)
    p = next(p for p in reg.positions if p.notation == notation)
    grade = next(g for g in reg.grades if g.notation == p.grade)
    level = p.qualification_level or grade.qualification_level
    return [
        m.isco_code
        for m in reg.isco_mappings
        if m.occupation == occupation and m.qualification_level in ("", level)
    ]


# ---------------------------------------------------------------------------- graph


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


def mapping_set_version(reg: Register) -> str:
    """The mapping set's version: the date of its latest mapping (no clock involved)."""
    return max((m.date for m in reg.isco_mappings), default="")


def mapping_set_description() -> str:
    return (
        "Each occupation of the register (a job that one or more positions name) mapped to "
        "ISCO-08 unit groups with SKOS mapping predicates, by manual curation. broadMatch: the "
        "ISCO group is broader than the occupation; narrowMatch: the occupation spans several "
        "ISCO groups; closeMatch: they overlap (often because ISCO-08 separates professionals "
        "from associate professionals, and the comment then names the qualification level a "
        f"mapping applies to). Targets are the ESCO URIs of ISCO-08 ({ISCO_VERSION}); their "
        f"labels come from a modified (unit groups only) copy of the ESCO data. "
        f"{ESCO_ACKNOWLEDGEMENT}"
    )


def unit_group_codes(path: Path) -> list[str]:
    """Codes of the reference list, in file order (the SHACL shapes list the same codes)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]
