"""Expected problems are values with a message and a place; the CLI prints them without a traceback."""

from __future__ import annotations

from collections.abc import Mapping
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


class HttpError(KgError):
    """A request the server refuses: its HTTP status, the message a program reads, and the
    headers the answer carries (e.g. ``Vary``).

    Why an exception: the helper that finds the problem (a bound, a bad parameter, no
    acceptable format) raises it from any depth, and one handler (kg.web.error_pages.refusal)
    turns it into the answer: the site's page in the reader's language for a browser, the
    message as plain text or JSON for a program. `page` optionally names the page's own
    heading and explanation (gettext ids; the explanation formatted with `values`) where the
    page for the status alone would say too little.
    """

    def __init__(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        page: tuple[str, str] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        self.page = page
        self.values: dict[str, str] = dict(values or {})
