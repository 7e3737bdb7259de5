"""The register as typed records: what the curated files say, once checked.

Plain frozen dataclasses with no behaviour beyond lookups, so that every later stage (graph,
search, tables) reads the same shapes and no stage needs the CSV files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kg.curate.source import SourceText

LANGS = ("kk", "ru", "en")
SUBJECT_KINDS = (
    "scheme",
    "block",
    "tier",
    "grade",
    "position",
    "sector",
    "institution-type",
    "level",
    "act",
)


@dataclass(frozen=True)
class Origin:
    file: str
    line: int


@dataclass(frozen=True)
class Span:
    """A verbatim quote of the source text with its code-point offsets."""

    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Labels:
    kk: str
    ru: str = ""
    en: str = ""


@dataclass(frozen=True)
class Block:
    notation: str
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class Tier:
    notation: str
    block: str
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class Sector:
    id: str
    notation: str
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class Term:
    """A member of a small closed list: qualification level, category, significance level."""

    id: str
    rank: int
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class InstitutionType:
    id: str
    broader: str
    abbreviation: str
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class Agent:
    id: str
    labels: Labels
    origin: Origin


@dataclass(frozen=True)
class Act:
    id: str
    kind: str
    number: str
    date: str
    issuer: str
    title_kk: str
    title_en: str
    registration_number: str
    registration_date: str
    publication_date: str
    entry_into_force: str
    entry_into_force_rule: str
    amends: tuple[str, ...]
    repeals: tuple[str, ...]
    consolidates: tuple[str, ...]
    note: str
    origin: Origin


@dataclass(frozen=True)
class OfficialText:
    """Where the official text of an act is: its document id in the Adilet legal information
    system (`V` + the registration year's two digits + the registration number in 8 digits)."""

    act: str
    adilet_id: str
    origin: Origin


@dataclass(frozen=True)
class Grade:
    notation: str
    tier: str
    step: str
    sector: str
    qualification_level: str
    category: str
    origin: Origin

    @property
    def block(self) -> str:
        return self.tier[0]


@dataclass(frozen=True)
class Position:
    notation: str
    grade: str
    label_kk: str
    span: Span
    institution_types: tuple[str, ...]
    significance_level: str
    qualification_level: str
    origin: Origin


@dataclass(frozen=True)
class Deprecation:
    """A position an amending act removed, or that a decision split into its parts: it stays
    in the graph, marked deprecated."""

    notation: str
    act: str
    replaced_by: tuple[str, ...]
    note: str
    origin: Origin
    decision: str = ""


@dataclass(frozen=True)
class SubjectSpan:
    """A quote that belongs to a structural entity (a heading, a code, a definition)."""

    subject: str
    role: str
    span: Span
    note: str
    origin: Origin


@dataclass(frozen=True)
class Decision:
    """An editorial decision: what the law says, what we record, and why."""

    id: str
    subjects: tuple[str, ...]
    kind: str
    span: Span | None
    law_says: str
    we_record: str
    rationale: str
    origin: Origin


@dataclass
class Register:
    """Everything the curated files say, checked."""

    source: SourceText
    blocks: list[Block] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)
    qualification_levels: list[Term] = field(default_factory=list)
    categories: list[Term] = field(default_factory=list)
    significance_levels: list[Term] = field(default_factory=list)
    institution_types: list[InstitutionType] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    official_texts: list[OfficialText] = field(default_factory=list)
    grades: list[Grade] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    spans: list[SubjectSpan] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    deprecations: list[Deprecation] = field(default_factory=list)
    # occupations and the ISCO-08 crosswalk (kg/curate/occupations.py)
    occupations: list[Occupation] = field(default_factory=list)
    position_occupations: list[PositionOccupation] = field(default_factory=list)
    position_translations: list[PositionTranslation] = field(default_factory=list)
    isco_mappings: list[IscoMapping] = field(default_factory=list)
    position_isco: list[PositionIsco] = field(default_factory=list)
    isco_unit_groups: dict[str, IscoUnitGroup] = field(default_factory=dict)
    # everyday names and short forms (kg/curate/hidden_labels.py)
    hidden_labels: list[HiddenLabel] = field(default_factory=list)

    def acts_by_id(self) -> dict[str, Act]:
        return {a.id: a for a in self.acts}

    def all_spans(self) -> Iterator[Span]:
        """Every quote the curated data holds: coverage is measured over these."""
        for p in self.positions:
            yield p.span
        for s in self.spans:
            yield s.span
        for d in self.decisions:
            if d.span is not None:
                yield d.span


# ----------------------------------------------------------------- occupations


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


# --------------------------------------------------------------- hidden labels


@dataclass(frozen=True)
class HiddenLabel:
    kind: str
    id: str
    lang: str
    label: str
    source: str
    note: str
    origin: Origin
