"""Hidden labels: the everyday names and short forms people type (``skos:hiddenLabel``).

Why curated and hidden: HR staff type "медбике", "медсестра" or "завхоз", words the law never
uses. Each such word is an editorial reading of ours, so it lives in
``data/hidden_labels.csv`` with where it comes from (``source``) and, for a reading that
needs saying, a ``note``; search and reconciliation find a concept by it, but no page shows
it as a name of the concept (SKOS: a hidden label is for text search only).

One row per label: ``subject`` (``occupation:nurse``, ``position:C3.25``,
``category:none``, ``qualification-level:medium``, ``institution-type:ZTMO``), ``lang``
(``kk`` or ``ru``), ``label``, ``source``, ``note``. A label given to an occupation finds
every position of that occupation.
"""

from __future__ import annotations

from pathlib import Path

from kg.curate import cells
from kg.curate.records import HiddenLabel, Origin, Register
from kg.errors import Problem

FILE = "hidden_labels.csv"
LANGUAGES = ("kk", "ru")
KINDS = ("occupation", "position", "institution-type", "category", "qualification-level")


def _row(row: dict[str, str], origin: Origin) -> HiddenLabel:
    subject = cells.required(row, "subject")
    kind, _, ident = subject.partition(":")
    if kind not in KINDS or not ident:
        raise cells.RowError(
            f"subject {subject!r} is not <kind>:<id> with kind one of {', '.join(KINDS)}"
        )
    lang = cells.required(row, "lang")
    if lang not in LANGUAGES:
        raise cells.RowError(f"lang {lang!r} is not one of {', '.join(LANGUAGES)}")
    label = cells.required(row, "label")
    if label != " ".join(label.split()):
        raise cells.RowError(f"label {label!r} has leading, trailing or repeated spaces")
    return HiddenLabel(
        kind, ident, lang, label, cells.required(row, "source"), row["note"].strip(), origin
    )


def load_hidden_labels(reg: Register, data_dir: Path, problems: list[Problem]) -> None:
    """Read the hidden labels into `reg` and check them against the concepts they name."""
    reader = cells.Reader(data_dir, FILE, ("subject", "lang", "label", "source", "note"), problems)
    if not (data_dir / FILE).exists():  # an older data folder: no hidden labels
        return
    reg.hidden_labels = reader.rows(_row)
    problems.extend(check_hidden_labels(reg))


def _names(reg: Register) -> dict[tuple[str, str], dict[str, set[str]]]:
    """Known concepts by (kind, id) with their labels by language, case-folded."""
    out: dict[tuple[str, str], dict[str, set[str]]] = {}

    def put(kind: str, ident: str, kk: str, ru: str = "", *other: str) -> None:
        out[(kind, ident)] = {
            "kk": {x.casefold() for x in (kk, *other) if x},
            "ru": {ru.casefold()} if ru else set(),
        }

    for o in reg.occupations:
        put("occupation", o.id, o.labels.kk, o.labels.ru)
    translations = {t.position: t.labels for t in reg.position_translations}
    for p in reg.positions:
        t = translations.get(p.notation)
        put("position", p.notation, p.label_kk, t.ru if t else "")
    for i in reg.institution_types:
        put("institution-type", i.id, i.labels.kk, i.labels.ru, i.abbreviation)
    for c in reg.categories:
        put("category", c.id, c.labels.kk, c.labels.ru)
    for q in reg.qualification_levels:
        put("qualification-level", q.id, q.labels.kk, q.labels.ru)
    return out


def check_hidden_labels(reg: Register) -> list[Problem]:
    """Every subject exists, no label is given twice to one concept, and none repeats one of
    its preferred or alternative labels (SKOS S13: the label sets are disjoint)."""
    out: list[Problem] = []
    names = _names(reg)
    seen: dict[tuple[str, str, str, str], Origin] = {}
    for h in reg.hidden_labels:
        key = (h.kind, h.id)
        if key not in names:
            out.append(Problem(h.origin.file, h.origin.line, f"unknown {h.kind} {h.id!r}"))
            continue
        if h.label.casefold() in names[key][h.lang]:
            out.append(
                Problem(
                    h.origin.file,
                    h.origin.line,
                    f"{h.label!r} is already a {h.lang} label of {h.kind}:{h.id}; a hidden label adds a new one",
                )
            )
        dup = (h.kind, h.id, h.lang, h.label.casefold())
        if dup in seen:
            out.append(
                Problem(
                    h.origin.file,
                    h.origin.line,
                    f"{h.label!r}@{h.lang} is given to {h.kind}:{h.id} twice (first at line {seen[dup].line})",
                )
            )
        seen.setdefault(dup, h.origin)
    return out
