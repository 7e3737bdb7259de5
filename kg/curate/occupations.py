"""Occupations and their ISCO-08 crosswalk: curated rows -> checked records.

Why a module of its own: positions are job titles in grades, and many of them name the same
job at different grades (a nurse in eight grades, an accountant in C2 and C3). An occupation
groups them, so that users and classifiers can speak about the job, and the crosswalk to
ISCO-08 is made once per job instead of once per position.

The curated files (data/README.md): `occupations.csv` (one row per occupation),
`position_occupations.csv` (the occupation of every position), `position_translations.csv`
(unofficial Russian and English titles of positions) and `isco_mappings.csv` (the crosswalk,
with who, how, when and against which ESCO version). The ISCO-08 codes are checked against
`reference/isco08/isco08_unit_groups_en.csv`, a modified copy of ESCO v1.1.0 data.

Their triples are written by kg.rdf.occupations.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rdflib import SKOS, URIRef

from kg.curate import cells
from kg.curate.records import (
    IscoMapping,
    IscoUnitGroup,
    Labels,
    Occupation,
    Origin,
    PositionIsco,
    PositionOccupation,
    PositionTranslation,
    Register,
)
from kg.errors import Problem
from kg.uris import ISCO_NS

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


# ---------------------------------------------------------------------------- reading


def load_occupations(reg: Register, data_dir: Path, problems: list[Problem]) -> None:
    """Read the occupation files into `reg` and check them against the register's rows."""

    def reader(name: str, *columns: str) -> cells.Reader:
        return cells.Reader(data_dir, name, columns, problems)

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
            cells.required(r, "position"),
            cells.required(r, "label_kk"),
            cells.required(r, "occupation"),
            o,
        )
    )
    reg.position_translations = reader(
        "position_translations.csv", "position", "label_kk", "label_ru", "label_en"
    ).rows(
        lambda r, o: PositionTranslation(
            cells.required(r, "position"),
            Labels(
                cells.required(r, "label_kk"),
                cells.required(r, "label_ru"),
                cells.required(r, "label_en"),
            ),
            o,
        )
    )
    reg.position_isco = reader(
        "position_isco.csv", "position", "label_kk", "isco_code", "basis"
    ).rows(
        lambda r, o: PositionIsco(
            cells.required(r, "position"),
            cells.required(r, "label_kk"),
            r["isco_code"].strip(),
            cells.required(r, "basis"),
            o,
        )
    )
    problems.extend(check_occupations(reg))


def _unit_group(row: dict[str, str], origin: Origin) -> IscoUnitGroup:
    code = cells.required(row, "code")
    if not ISCO_CODE_RE.fullmatch(code):
        raise cells.RowError(f"code {code!r} is not a four-digit ISCO-08 unit group code")
    uri = cells.required(row, "conceptUri")
    if uri != ISCO_NS + code:
        raise cells.RowError(f"conceptUri {uri!r} is not {ISCO_NS + code!r}")
    return IscoUnitGroup(code, cells.required(row, "preferredLabel"), uri, origin)


def _occupation(row: dict[str, str], origin: Origin) -> Occupation:
    ident = cells.ident(row, "id")
    if not OCCUPATION_ID_RE.fullmatch(ident):
        raise cells.RowError(
            f"id {ident!r} is not kebab-case ASCII (lower-case words joined by '-')"
        )
    labels = Labels(
        cells.required(row, "label_kk"),
        cells.required(row, "label_ru"),
        cells.required(row, "label_en"),
    )
    return Occupation(ident, labels, row["scope_note"].strip(), origin)


def _mapping(row: dict[str, str], origin: Origin) -> IscoMapping:
    predicate = cells.required(row, "predicate")
    if predicate not in PREDICATES:
        raise cells.RowError(f"predicate {predicate!r} is not one of {', '.join(PREDICATES)}")
    code = cells.required(row, "isco_code")
    if not ISCO_CODE_RE.fullmatch(code):
        raise cells.RowError(f"isco_code {code!r} is not a four-digit ISCO-08 unit group code")
    justification = cells.required(row, "mapping_justification")
    if justification not in JUSTIFICATIONS:
        raise cells.RowError(
            f"mapping_justification {justification!r} is not one of {', '.join(JUSTIFICATIONS)}"
        )
    date = cells.required(row, "mapping_date")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise cells.RowError(f"mapping_date {date!r} is not a date (YYYY-MM-DD)")
    confidence = cells.required(row, "confidence")
    if not re.fullmatch(r"0(\.[0-9]{1,2})?|1(\.0{1,2})?", confidence):
        raise cells.RowError(
            f"confidence {confidence!r} is not a number from 0 to 1 (two decimals)"
        )
    return IscoMapping(
        occupation=cells.required(row, "occupation"),
        predicate=predicate,
        isco_code=code,
        isco_label=cells.required(row, "isco_label"),
        qualification_level=row["qualification_level"].strip(),
        justification=justification,
        author=cells.required(row, "author"),
        date=date,
        isco_version=cells.required(row, "isco_version"),
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
