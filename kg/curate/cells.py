"""Reading a curated CSV file: the file reader and the checks of single cells.

Shared by every reader of data/ (register, occupations, hidden labels), so that a bad row is
reported the same way everywhere: its file, its line and what is wrong.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar, overload

from kg.curate.records import Labels, Origin, Span
from kg.curate.source import SourceText
from kg.errors import Problem


class RowError(Exception):
    pass


T = TypeVar("T")


class Reader:
    """Reads one CSV file, collecting problems with their line numbers."""

    def __init__(
        self, data_dir: Path, name: str, columns: tuple[str, ...], problems: list[Problem]
    ):
        self.path = data_dir / name
        self.name = f"data/{name}"
        self.columns = columns
        self.problems = problems

    def rows(self, build: Callable[[dict[str, str], Origin], T]) -> list[T]:
        out: list[T] = []
        try:
            handle = self.path.open(encoding="utf-8", newline="")
        except OSError as exc:
            self.problems.append(Problem(self.name, 0, f"cannot read ({exc.strerror})"))
            return out
        with handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                self.problems.append(Problem(self.name, 1, "empty file: a header row is required"))
                return out
            missing = [c for c in self.columns if c not in header]
            if missing:
                self.problems.append(
                    Problem(self.name, 1, f"missing column(s): {', '.join(missing)}")
                )
                return out
            line = reader.line_num + 1
            for cells in reader:
                origin = Origin(self.name, line)
                line = reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    self.problems.append(
                        Problem(
                            self.name,
                            origin.line,
                            f"{len(cells)} cells, the header has {len(header)}",
                        )
                    )
                    continue
                row = dict(zip(header, cells, strict=True))
                try:
                    out.append(build(row, origin))
                except RowError as exc:
                    self.problems.append(Problem(self.name, origin.line, str(exc)))
        return out


def required(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if not value:
        raise RowError(f"{column} is empty")
    return value


def labels(row: dict[str, str], prefix: str = "label_") -> Labels:
    kk = required(row, f"{prefix}kk")
    return Labels(
        kk=kk, ru=row.get(f"{prefix}ru", "").strip(), en=row.get(f"{prefix}en", "").strip()
    )


def ident(row: dict[str, str], column: str) -> str:
    value = required(row, column)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", value):
        raise RowError(f"{column} {value!r} is not an identifier (ASCII letters, digits, '-')")
    return value


def date(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise RowError(f"{column} {value!r} is not a date (YYYY-MM-DD)")
    return value


def rank(row: dict[str, str]) -> int:
    value = required(row, "rank")
    if not value.isdigit():
        raise RowError(f"rank {value!r} is not a whole number")
    return int(value)


@overload
def span(row: dict[str, str], source: SourceText, optional: Literal[False] = False) -> Span: ...


@overload
def span(row: dict[str, str], source: SourceText, optional: bool) -> Span | None: ...


def span(row: dict[str, str], source: SourceText, optional: bool = False) -> Span | None:
    """The quote of a row (quote_start, quote_end, quote), checked against the source; an
    `optional` one may be left empty (None)."""
    start_s, end_s, quote = row["quote_start"].strip(), row["quote_end"].strip(), row["quote"]
    if optional and not start_s and not end_s and not quote:
        return None
    if not start_s.isdigit() or not end_s.isdigit():
        raise RowError(f"quote_start/quote_end {start_s!r}/{end_s!r} are not offsets")
    start, end = int(start_s), int(end_s)
    if not 0 <= start < end <= len(source.text):
        raise RowError(
            f"offsets {start}..{end} out of range (the source has {len(source.text)} characters)"
        )
    if not quote:
        raise RowError("quote is empty")
    actual = source.text[start:end]
    if actual != quote:
        raise RowError(
            f"quote does not match the source at {start}..{end}: the source has {actual!r}"
        )
    return Span(start, end, quote)


def words(value: str) -> tuple[str, ...]:
    return tuple(value.split())
