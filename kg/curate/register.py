"""Read the curated CSV files into typed records.

The curated files in data/ are the source of truth for the register. This module checks
each row on its own (columns, identifiers, offsets against the source text) and the rows
against each other (references), and reports every problem with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from kg.curate import cells
from kg.curate.hidden_labels import load_hidden_labels
from kg.curate.notation import GRADE_RE, POSITION_RE, SECTOR_CODES, STEP_RE, TIER_RE, grade_notation
from kg.curate.occupations import load_occupations
from kg.curate.records import (
    SUBJECT_KINDS,
    Act,
    Agent,
    Block,
    Decision,
    Deprecation,
    Grade,
    InstitutionType,
    OfficialText,
    Origin,
    Position,
    Register,
    Sector,
    SubjectSpan,
    Term,
    Tier,
)
from kg.curate.source import SourceText
from kg.errors import CuratedDataError, Problem


def load_register(data_dir: Path, source: SourceText) -> Register:
    """Read and check every curated file; raise CuratedDataError listing all problems."""
    problems: list[Problem] = []
    reg = Register(source=source)

    def reader(name: str, *columns: str) -> cells.Reader:
        return cells.Reader(data_dir, name, columns, problems)

    reg.blocks = reader("blocks.csv", "notation", "label_kk", "label_ru", "label_en").rows(
        lambda r, o: Block(_block_code(r), cells.labels(r), o)
    )
    reg.tiers = reader("tiers.csv", "notation", "block", "label_kk", "label_ru", "label_en").rows(
        lambda r, o: Tier(_tier_code(r), cells.required(r, "block"), cells.labels(r), o)
    )
    reg.sectors = reader("sectors.csv", "id", "notation", "label_kk", "label_ru", "label_en").rows(
        lambda r, o: Sector(cells.ident(r, "id"), cells.required(r, "notation"), cells.labels(r), o)
    )
    reg.qualification_levels = reader("qualification_levels.csv", "id", "label_kk").rows(
        lambda r, o: Term(cells.ident(r, "id"), 0, cells.labels(r), o)
    )
    reg.categories = reader("categories.csv", "id", "rank", "label_kk").rows(
        lambda r, o: Term(cells.ident(r, "id"), cells.rank(r), cells.labels(r), o)
    )
    reg.significance_levels = reader("significance_levels.csv", "id", "rank", "label_kk").rows(
        lambda r, o: Term(cells.ident(r, "id"), cells.rank(r), cells.labels(r), o)
    )
    reg.institution_types = reader(
        "institution_types.csv", "id", "broader", "abbreviation", "label_kk", "label_ru", "label_en"
    ).rows(
        lambda r, o: InstitutionType(
            cells.ident(r, "id"),
            r["broader"].strip(),
            r["abbreviation"].strip(),
            cells.labels(r),
            o,
        )
    )
    reg.agents = reader("agents.csv", "id", "label_kk", "label_ru", "label_en").rows(
        lambda r, o: Agent(cells.ident(r, "id"), cells.labels(r), o)
    )
    act_columns = tuple(f.name for f in Act.__dataclass_fields__.values() if f.name != "origin")
    reg.acts = reader("acts.csv", *act_columns).rows(lambda r, o: _act(r, o))
    reg.official_texts = reader("official_texts.csv", "act", "adilet_id").rows(
        lambda r, o: OfficialText(cells.ident(r, "act"), cells.required(r, "adilet_id"), o)
    )
    reg.grades = reader(
        "grades.csv", "notation", "tier", "step", "sector", "qualification_level", "category"
    ).rows(lambda r, o: _grade(r, o))
    reg.positions = reader(
        "positions.csv",
        "notation",
        "grade",
        "label_kk",
        "quote_start",
        "quote_end",
        "quote",
        "institution_types",
        "significance_level",
        "qualification_level",
    ).rows(lambda r, o: _position(r, o, source))
    reg.spans = reader(
        "spans.csv", "subject", "role", "quote_start", "quote_end", "quote", "note"
    ).rows(
        lambda r, o: SubjectSpan(
            _subject(r["subject"]),
            cells.ident(r, "role"),
            cells.span(r, source),
            r["note"].strip(),
            o,
        )
    )
    reg.decisions = reader(
        "decisions.csv",
        "id",
        "subjects",
        "kind",
        "quote_start",
        "quote_end",
        "quote",
        "law_says",
        "we_record",
        "rationale",
    ).rows(lambda r, o: _decision(r, o, source))

    reg.deprecations = reader("lifecycle.csv", "notation", "act", "replaced_by", "note").rows(
        lambda r, o: Deprecation(
            cells.required(r, "notation"),
            cells.ident(r, "act"),
            cells.words(r["replaced_by"]),
            r["note"].strip(),
            o,
            r.get("decision", "").strip(),  # optional column: the decision that split it
        )
    )

    problems.extend(_cross_check(reg))
    load_occupations(reg, data_dir, problems)
    load_hidden_labels(reg, data_dir, problems)
    if problems:
        raise CuratedDataError(problems)
    return reg


def _block_code(row: dict[str, str]) -> str:
    value = cells.required(row, "notation")
    if not re.fullmatch(r"[A-D]", value):
        raise cells.RowError(f"block {value!r} is not one of A, B, C, D (Latin letters)")
    return value


def _tier_code(row: dict[str, str]) -> str:
    value = cells.required(row, "notation")
    if not TIER_RE.fullmatch(value):
        raise cells.RowError(
            f"tier {value!r} is not a tier code such as A1 or B2 (Latin letter, digit)"
        )
    return value


def _subject(value: str) -> str:
    value = value.strip()
    kind, _, key = value.partition(":")
    if kind == "scheme" and not key:
        return value
    if kind not in SUBJECT_KINDS or not key:
        raise cells.RowError(
            f"subject {value!r} is not '<kind>:<id>' with kind one of {', '.join(SUBJECT_KINDS)}"
        )
    return value


def _act(row: dict[str, str], origin: Origin) -> Act:
    return Act(
        id=cells.ident(row, "id"),
        kind=cells.ident(row, "kind"),
        number=cells.required(row, "number"),
        date=cells.date(row, "date"),
        issuer=row["issuer"].strip(),
        title_kk=row["title_kk"].strip(),
        title_en=cells.required(row, "title_en"),
        registration_number=row["registration_number"].strip(),
        registration_date=cells.date(row, "registration_date"),
        publication_date=cells.date(row, "publication_date"),
        entry_into_force=cells.date(row, "entry_into_force"),
        entry_into_force_rule=row["entry_into_force_rule"].strip(),
        amends=cells.words(row["amends"]),
        repeals=cells.words(row["repeals"]),
        consolidates=cells.words(row["consolidates"]),
        note=row["note"].strip(),
        origin=origin,
    )


def _grade(row: dict[str, str], origin: Origin) -> Grade:
    notation = cells.required(row, "notation")
    tier = cells.required(row, "tier")
    step = row["step"].strip()
    sector = row["sector"].strip()
    if not TIER_RE.fullmatch(tier):
        raise cells.RowError(f"tier {tier!r} is not a tier code such as A1 or B2")
    if step and not STEP_RE.fullmatch(step):
        raise cells.RowError(f"step {step!r} is not a step such as 1 or 1-1 (ASCII hyphen)")
    if not GRADE_RE.fullmatch(notation):
        raise cells.RowError(f"notation {notation!r} does not follow the grade notation grammar")
    expected = grade_notation(tier, step, sector)
    if notation != expected:
        raise cells.RowError(
            f"notation {notation!r} does not match tier/step/sector (expected {expected!r})"
        )
    return Grade(
        notation,
        tier,
        step,
        sector,
        row["qualification_level"].strip(),
        row["category"].strip(),
        origin,
    )


def _position(row: dict[str, str], origin: Origin, source: SourceText) -> Position:
    notation = cells.required(row, "notation")
    if not POSITION_RE.fullmatch(notation):
        raise cells.RowError(f"notation {notation!r} does not follow the position notation grammar")
    grade = cells.required(row, "grade")
    if not notation.startswith(grade + "."):
        raise cells.RowError(f"notation {notation!r} does not start with its grade {grade!r}")
    label = cells.required(row, "label_kk")
    if label != label.strip() or "  " in label:
        raise cells.RowError("label_kk has stray spaces")
    span = cells.span(row, source)
    return Position(
        notation,
        grade,
        label,
        span,
        cells.words(row["institution_types"]),
        row["significance_level"].strip(),
        row["qualification_level"].strip(),
        origin,
    )


def _decision(row: dict[str, str], origin: Origin, source: SourceText) -> Decision:
    subjects = tuple(_subject(s) for s in row["subjects"].split())
    if not subjects:
        raise cells.RowError("subjects is empty: a decision is recorded on the entity it affects")
    return Decision(
        id=cells.ident(row, "id"),
        subjects=subjects,
        kind=cells.ident(row, "kind"),
        span=cells.span(row, source, optional=True),
        law_says=cells.required(row, "law_says"),
        we_record=cells.required(row, "we_record"),
        rationale=cells.required(row, "rationale"),
        origin=origin,
    )


def _duplicates(items: list, key: Callable, what: str) -> list[Problem]:
    seen: dict[str, Origin] = {}
    out = []
    for item in items:
        k = key(item)
        if k in seen:
            first = seen[k]
            out.append(
                Problem(
                    item.origin.file,
                    item.origin.line,
                    f"duplicate {what} {k!r} (first at line {first.line})",
                )
            )
        else:
            seen[k] = item.origin
    return out


def _cross_check(reg: Register) -> list[Problem]:
    """References between rows: every id used is defined, and defined once."""
    out: list[Problem] = []
    out += _duplicates(reg.blocks, lambda x: x.notation, "block")
    out += _duplicates(reg.tiers, lambda x: x.notation, "tier")
    out += _duplicates(reg.sectors, lambda x: x.id, "sector")
    out += _duplicates(reg.institution_types, lambda x: x.id, "institution type")
    out += _duplicates(reg.acts, lambda x: x.id, "act")
    out += _duplicates(reg.grades, lambda x: x.notation, "grade")
    out += _duplicates(reg.positions, lambda x: x.notation, "position")
    out += _duplicates(reg.decisions, lambda x: x.id, "decision")

    blocks = {b.notation for b in reg.blocks}
    tiers = {t.notation: t for t in reg.tiers}
    sectors = {s.id for s in reg.sectors}
    quals = {q.id for q in reg.qualification_levels}
    cats = {c.id for c in reg.categories}
    levels = {s.id for s in reg.significance_levels}
    itypes = {i.id for i in reg.institution_types}
    agents = {a.id for a in reg.agents}
    acts = {a.id for a in reg.acts}
    grades = {g.notation: g for g in reg.grades}
    positions = {p.notation for p in reg.positions}
    decisions = {d.id: d for d in reg.decisions}

    def bad(origin: Origin, message: str) -> None:
        out.append(Problem(origin.file, origin.line, message))

    for sec in reg.sectors:
        if SECTOR_CODES.get(sec.id) != sec.notation:
            bad(
                sec.origin,
                f"sector {sec.id!r} must have notation {SECTOR_CODES.get(sec.id, '?')!r} (grade codes use it)",
            )
    for t in reg.tiers:
        if t.block not in blocks:
            bad(t.origin, f"unknown block {t.block!r}")
        elif t.notation[0] != t.block:
            bad(t.origin, f"tier {t.notation!r} does not belong to block {t.block!r}")
    for i in reg.institution_types:
        if i.broader and i.broader not in itypes:
            bad(i.origin, f"unknown broader institution type {i.broader!r}")
    for a in reg.acts:
        if a.issuer and a.issuer not in agents:
            bad(a.origin, f"unknown issuer {a.issuer!r} (not in data/agents.csv)")
        for ref in a.amends + a.repeals + a.consolidates:
            if ref not in acts:
                bad(a.origin, f"unknown act {ref!r}")
    by_id = reg.acts_by_id()
    for text in reg.official_texts:
        act = by_id.get(text.act)
        if act is None:
            bad(text.origin, f"unknown act {text.act!r}")
            continue
        if not re.fullmatch(r"V\d{10}", text.adilet_id):
            bad(text.origin, f"Adilet id {text.adilet_id!r} is not V followed by ten digits")
        numbers = {a.registration_number for a in (act, *map(by_id.get, act.consolidates)) if a}
        numbers.discard("")
        if numbers and not any(text.adilet_id.endswith(n.zfill(8)) for n in numbers):
            bad(
                text.origin,
                f"Adilet id {text.adilet_id!r} does not end with the registration number",
            )
    for g in reg.grades:
        if g.tier not in tiers:
            bad(g.origin, f"unknown tier {g.tier!r}")
        if g.sector and g.sector not in sectors:
            bad(g.origin, f"unknown sector {g.sector!r}")
        if g.sector and g.tier not in ("B2", "B3", "B4"):
            bad(g.origin, f"a sector applies only to tiers B2-B4, not {g.tier}")
        if g.tier in ("B2", "B3", "B4") and not g.sector:
            bad(g.origin, f"tier {g.tier} needs a sector (healthcare, education or other)")
        if g.qualification_level and g.qualification_level not in quals:
            bad(g.origin, f"unknown qualification level {g.qualification_level!r}")
        if g.category and g.category not in cats:
            bad(g.origin, f"unknown category {g.category!r}")
    for p in reg.positions:
        if p.grade not in grades:
            bad(p.origin, f"unknown grade {p.grade!r}")
        for it in p.institution_types:
            if it not in itypes:
                bad(p.origin, f"unknown institution type {it!r}")
        if p.significance_level and p.significance_level not in levels:
            bad(p.origin, f"unknown significance level {p.significance_level!r}")
        if p.qualification_level and p.qualification_level not in quals:
            bad(p.origin, f"unknown qualification level {p.qualification_level!r}")

    for d in reg.deprecations:
        if d.notation not in positions:
            bad(d.origin, f"unknown position {d.notation!r}")
        if d.act not in acts:
            bad(d.origin, f"unknown act {d.act!r}")
        for successor in d.replaced_by:
            if successor not in positions:
                bad(d.origin, f"unknown successor position {successor!r}")
            elif successor == d.notation:
                bad(d.origin, "a position cannot replace itself")
        if d.decision and d.decision not in decisions:
            bad(d.origin, f"unknown decision {d.decision!r} (not in data/decisions.csv)")
        elif d.decision and f"position:{d.notation}" not in decisions[d.decision].subjects:
            bad(
                d.origin,
                f"decision {d.decision} does not name position:{d.notation} in its subjects",
            )
        if not d.replaced_by and not d.note and not d.decision:
            bad(d.origin, "a deprecated position needs a successor, a decision or a note (why)")
    out += _duplicates(reg.deprecations, lambda x: x.notation, "deprecation")

    known = {
        "block": blocks,
        "tier": set(tiers),
        "grade": set(grades),
        "position": positions,
        "sector": sectors,
        "institution-type": itypes,
        "level": levels,
        "act": acts,
    }
    for s in reg.spans:
        _check_subject(s.subject, known, s.origin, bad)
    for decision in reg.decisions:
        for subject in decision.subjects:
            _check_subject(subject, known, decision.origin, bad)
    return out


def _check_subject(subject: str, known: dict[str, set[str]], origin: Origin, bad: Callable) -> None:
    kind, _, key = subject.partition(":")
    if kind == "scheme":
        return
    if key not in known[kind]:
        bad(origin, f"unknown {kind} {key!r} in subject {subject!r}")
