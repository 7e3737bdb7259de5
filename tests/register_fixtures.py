"""Shared helpers and session fixtures for the register tests (source, graph, validation,
release, bad input).

Load it from a test module with ``pytest_plugins = ["register_fixtures"]``: registered as a
plugin, its session fixtures exist once per test session, so the release is built once
(importing the fixture functions into each module would build it once per module).

Everything here reads the project's files directly (the csv module, hashlib, the text of
the law); nothing is computed by the code under test except the release itself.

The test modules import helpers from here before pytest registers it as a plugin, so it
opts out of assertion rewriting (its assertions carry their own messages): PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from conftest import Built
from rdflib import Graph

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SOURCE_DIR = DATA_DIR / "source"
SOURCE_FILE = SOURCE_DIR / "order-1042.kk.txt"
SHAPES_DIR = ROOT / "shapes"
FIXTURES = ROOT / "tests" / "fixtures"

#: The title of the register section, as the law prints it (a level-3 heading of the export).
REGISTER_TITLE = "Әлеуметтік қамсыздандыру саласының азаматтық қызметшілері лауазымдарының тізілімі"
#: Files of a release, as the build documents them (kg/release/folder.py, kg/release/build.py).
RELEASE_FILES = {
    "SHA256SUMS",
    "context.jsonld",
    "positions.csv",
    "positions.csv-metadata.json",
    "positions.xlsx",
    "register.jsonld",
    "register.nt",
    "register.rdf",
    "register.ttl",
    "shacl-report.ttl",
}

WORD_RE = re.compile(r"[^\W_]+")
MARKUP_RE = re.compile(r"</?p>")
CYRILLIC_RE = re.compile(r"[\u0400-\u052f]")

#: Seconds a `kg` subprocess may take before the test gives up on it (a guard, not a measure).
SUBPROCESS_TIMEOUT = 180


# ---------------------------------------------------------------- the law text


@cache
def source_text() -> str:
    """The law text, decoded; offsets everywhere are code points into it."""
    return SOURCE_FILE.read_bytes().decode("utf-8")


def register_start(text: str) -> int:
    """Offset of the register section's title: the `### ` heading line that names it."""
    match = re.search(r"^### (" + re.escape(REGISTER_TITLE) + r")$", text, re.MULTILINE)
    assert match, "the register section's heading is missing from the source text"
    return match.start(1)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str


def words(text: str, start: int = 0) -> list[Word]:
    """Words (runs of letters and digits) from `start` on; <p> and </p> count as blanks."""
    blanked = MARKUP_RE.sub(lambda m: " " * len(m.group()), text)
    return [Word(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(blanked, start)]


def uncovered(text: str, spans: list[tuple[int, int]], start: int) -> list[Word]:
    """Words of `text` from `start` on that no span covers entirely."""
    covered = [False] * len(text)
    for s, e in spans:
        for i in range(s, e):
            covered[i] = True
    return [w for w in words(text, start) if not all(covered[w.start : w.end])]


def context(text: str, start: int, end: int, width: int = 25) -> str:
    excerpt = text[max(0, start - width) : end + width]
    return excerpt.replace("\n", "⏎").replace("\t", "⇥")


# ---------------------------------------------------------------- curated files


@dataclass(frozen=True)
class Row:
    """A record of a curated CSV file and the physical line it starts on."""

    line: int
    cells: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.cells[key]


def read_rows(name: str, data_dir: Path = DATA_DIR) -> list[Row]:
    """Records of data/<name> with the csv module; quoted cells may span several lines."""
    with (data_dir / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = []
        next_line = 2
        for record in reader:
            rows.append(Row(next_line, dict(record)))
            next_line = reader.line_num + 1
    return rows


def quoted_spans(data_dir: Path = DATA_DIR) -> list[tuple[str, Row, int, int, str]]:
    """(file, row, start, end, quote) of every quote the curated files hold."""
    out = []
    for name in ("positions.csv", "spans.csv", "decisions.csv"):
        for row in read_rows(name, data_dir):
            if row["quote_start"].strip() or row["quote_end"].strip() or row["quote"]:
                out.append(
                    (name, row, int(row["quote_start"]), int(row["quote_end"]), row["quote"])
                )
    return out


def line_of(path: Path, prefix: str) -> int:
    """The 1-based number of the only physical line of `path` that starts with `prefix`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found = [i + 1 for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(found) == 1, f"{path.name}: {len(found)} lines start with {prefix!r}"
    return found[0]


def copy_data(dest: Path) -> Path:
    """A private copy of data/ (source text included) that a test may break."""
    shutil.copytree(DATA_DIR, dest)
    return dest


# ---------------------------------------------------------------- subprocesses and folders


def kg_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def run_kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m kg.cli ARGS` as a user runs it, from the project folder."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        cwd=ROOT,
        env=env or kg_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


def snapshot(folder: Path) -> dict[str, tuple[str, object]]:
    """Everything under `folder`: links with their targets, files with their bytes."""
    out: dict[str, tuple[str, object]] = {}
    if not folder.exists() and not folder.is_symlink():
        return out
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", None)
        else:
            out[rel] = ("file", path.read_bytes())
    return out


def copy_site(src: Path, dest: Path) -> Path:
    """Copy a folder holding a `dist` link and its `.dist-builds/` (relative links survive)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


# ---------------------------------------------------------------- session fixtures


@pytest.fixture(scope="session")
def built(session_build: Built) -> Built:
    """The release built once per session (tests/conftest.py)."""
    return session_build


@pytest.fixture(scope="session")
def release_graph(release_dir: Path) -> Graph:
    """The published graph: register.nt of the session's release, parsed by rdflib."""
    return Graph().parse(release_dir / "register.nt", format="nt")
