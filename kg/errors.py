"""Expected problems are values with a message and a place; the CLI prints them without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class KgError(Exception):
    """An expected problem (bad input, invalid graph): shown to the user as a plain message."""


@dataclass(frozen=True)
class Problem:
    """One problem in a curated file, with its place."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class CuratedDataError(KgError):
    """One or more problems in the curated files."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
