"""A fixture amendment of the curated data, as a future amending order would change it: it
moves a position to another grade, renames one and abolishes one (test_diff, the versioned
releases and the change log use the same one, so their expectations agree).

Helpers only (no fixtures); they read and write the CSV files with the csv module.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import csv
from pathlib import Path

#: The changes `amend` makes, as kg.release.diff reports them: (kind, notation).
EXPECTED_CHANGES = [
    ("added", "B1-2.02"),
    ("deprecated", "D1.38"),
    ("moved", "B1-1.01"),
    ("relabelled", "D1.37"),
]
AMENDING_ACT = "order-2030-1"


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], records: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def amend(data: Path) -> None:
    """Change a copy of data/ as the fixture amendment does (see EXPECTED_CHANGES)."""
    header, acts = rows(data / "acts.csv")
    acts.append(
        {
            **{k: "" for k in header},
            "id": AMENDING_ACT,
            "kind": "amending-order",
            "number": "1",
            "date": "2030-01-15",
            "issuer": "mlsp",
            "title_en": "Fixture amendment",
            "amends": "order-2015-1042",
        }
    )
    write(data / "acts.csv", header, acts)

    header, positions = rows(data / "positions.csv")
    by_notation = {p["notation"]: p for p in positions}
    # move: 'Бас ғылыми қызметкер' from B1-1 to B1-2 (new notation in the new grade)
    moved = dict(by_notation["B1-1.01"], notation="B1-2.02", grade="B1-2")
    positions.append(moved)
    # rename: the forwarding agent gets a new title
    by_notation["D1.37"]["label_kk"] = "Экспедитор-курьер"
    write(data / "positions.csv", header, positions)
    # the occupation files follow (data/README.md): the moved position keeps its occupation
    # and translation, the renamed one its occupation, with a new translation
    for name in ("position_occupations.csv", "position_translations.csv"):
        header, records = rows(data / name)
        by_position = {r["position"]: r for r in records}
        records.append(dict(by_position["B1-1.01"], position="B1-2.02"))
        by_position["D1.37"]["label_kk"] = "Экспедитор-курьер"
        if "label_en" in header:
            by_position["D1.37"].update(label_ru="Экспедитор-курьер", label_en="Forwarder-courier")
        write(data / name, header, records)

    # the positions' ISCO-08 groups follow: the moved researcher keeps its row under its new
    # notation, the abolished assistant loses its own
    header, chosen = rows(data / "position_isco.csv")
    for row in chosen:
        if row["position"] == "B1-1.01":
            row["position"] = "B1-2.02"
    write(data / "position_isco.csv", header, [r for r in chosen if r["position"] != "D1.38"])
    # the rows already there (release 1.1.0's splits) stay
    header, lifecycle = rows(data / "lifecycle.csv")
    lifecycle += [
        {
            **{k: "" for k in header},
            "notation": "B1-1.01",
            "act": AMENDING_ACT,
            "replaced_by": "B1-2.02",
            "note": "moved to step 2",
        },
        {**{k: "" for k in header}, "notation": "D1.38", "act": AMENDING_ACT, "note": "abolished"},
    ]
    write(data / "lifecycle.csv", header, lifecycle)


def set_release(data: Path, version: str, modified: str, notes: str) -> None:
    """Give data/release.toml another version, date of release and version notes (English
    only: the notes in other languages are left out)."""
    path = data / "release.toml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("version_notes.") and not line.startswith("version_notes.en = "):
            continue
        if line.startswith("version = "):
            line = f'version = "{version}"'
        elif line.startswith("modified = "):
            line = f"modified = {modified}"
        elif line.startswith("version_notes.en = "):
            line = f'version_notes.en = "{notes}"'
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
