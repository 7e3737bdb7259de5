"""`kg build` on broken curated data: exit code 2, the file and the line of the problem, no
traceback, and nothing published.

Each case copies data/ and breaks one row (or the header) of one file; the expected line
number is found in the copied file's text (the physical line the record starts on, which
differs from the record count in files whose quoted cells span several lines).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from register_fixtures import (
    Built,
    copy_data,
    copy_site,
    line_of,
    read_rows,
    run_kg,
    snapshot,
)

from kg.errors import CuratedDataError
from kg.release.build import load_and_check

pytest_plugins = ["register_fixtures"]


@dataclass(frozen=True)
class Break:
    file: str
    message: str  # a phrase the error must contain
    edit: Callable[[Path], int]  # breaks the copied file, returns the line it broke


def replace_on_line(path: Path, prefix: str, old: str, new: str) -> int:
    """Replace `old` by `new` on the one line that starts with `prefix`; return its number."""
    line = line_of(path, prefix)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[line - 1].count(old) == 1, (lines[line - 1], old)
    lines[line - 1] = lines[line - 1].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return line


def append_row(path: Path, row: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    path.write_text(text + row + "\n", encoding="utf-8")
    return text.count("\n") + 1


def drop_column(path: Path, column: str) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    index = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [cells[:index] + cells[index + 1 :] for cells in rows]
    )
    path.write_text(out.getvalue(), encoding="utf-8")
    return 1  # the header


BREAKS: dict[str, Break] = {
    "unknown-tier": Break(
        "grades.csv",
        "unknown tier 'C4'",
        lambda d: append_row(d / "grades.csv", "C4,C4,,,,"),
    ),
    "duplicate-position-notation": Break(
        "positions.csv",
        "duplicate position 'C2.13'",
        lambda d: replace_on_line(d / "positions.csv", "C2.14,", "C2.14,", "C2.13,"),
    ),
    "offsets-out-of-range": Break(
        "spans.csv",
        "out of range",
        lambda d: replace_on_line(
            d / "spans.csv", "grade:A1-1,step,", ",3309,3310,", ",3309,99999,"
        ),
    ),
    "quote-not-in-the-source": Break(
        "decisions.csv",
        "quote does not match the source",
        # ED028 quotes 'ТҚ инженері'; a plain К is what the law does not say here.
        lambda d: replace_on_line(d / "decisions.csv", "ED028,", ",ТҚ инженері,", ",ТК инженері,"),
    ),
    "empty-label": Break(
        "positions.csv",
        "label_kk is empty",
        lambda d: replace_on_line(
            d / "positions.csv", "D1.38,", ",Мансап орталығының ассистенті,22778", ",,22778"
        ),
    ),
    "unknown-institution-type": Break(
        "positions.csv",
        "unknown institution type 'NOPE'",
        lambda d: replace_on_line(d / "positions.csv", "A1-1.01,", ",ZTMO,", ",NOPE,"),
    ),
    "wrong-column-count": Break(
        "institution_types.csv",
        "5 cells, the header has 6",
        lambda d: replace_on_line(d / "institution_types.csv", "state-body,", ",,,", ",,"),
    ),
    "missing-column": Break(
        "tiers.csv",
        "missing column(s): label_en",
        lambda d: drop_column(d / "tiers.csv", "label_en"),
    ),
}


def break_data(tmp_path: Path, case: str) -> tuple[Path, Break, int]:
    data = copy_data(tmp_path / "data")
    broken = BREAKS[case]
    line = broken.edit(data)
    return data, broken, line


def assert_clean_error(done, broken: Break, line: int) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output, output
    assert f"data/{broken.file}:{line}:" in done.stderr, done.stderr
    where = [row for row in done.stderr.splitlines() if f"data/{broken.file}:{line}:" in row]
    assert any(broken.message in row for row in where), done.stderr


@pytest.mark.slow  # a `kg build` process per case
@pytest.mark.parametrize("case", sorted(BREAKS))
def test_broken_row_stops_the_build_and_keeps_the_release(
    case: str, tmp_path: Path, built: Built
) -> None:
    data, broken, line = break_data(tmp_path, case)
    site = copy_site(built.site, tmp_path / "site")
    before = snapshot(site)
    done = run_kg("build", "--data", str(data), "--out", str(site / "dist"))
    assert_clean_error(done, broken, line)
    assert snapshot(site) == before, "the previous release was changed"


@pytest.mark.slow  # a `kg build` process per case
@pytest.mark.parametrize("case", ["duplicate-position-notation", "missing-column"])
def test_broken_data_creates_no_release(case: str, tmp_path: Path) -> None:
    data, broken, line = break_data(tmp_path, case)
    site = tmp_path / "site"
    site.mkdir()
    done = run_kg("build", "--data", str(data), "--out", str(site / "dist"))
    assert_clean_error(done, broken, line)
    assert list(site.iterdir()) == [], "a failed build left files behind"


def test_the_unbroken_copy_loads(tmp_path: Path) -> None:
    """Control: the copied data folder itself passes the checks the breaks trip."""
    register = load_and_check(copy_data(tmp_path / "data"))
    assert len(register.positions) == len(read_rows("positions.csv"))


def test_a_position_quote_moved_off_its_offsets_is_refused_with_its_line(tmp_path: Path) -> None:
    """The quote check on its own, in-process: A3-2.03's quote (data/positions.csv) is the law's
    text at 9156..9210; one character later the source reads 'ТМО ... басшысы<', not the quote."""
    data = copy_data(tmp_path / "data")
    line = replace_on_line(
        data / "positions.csv",
        "A3-2.03,",
        ",ЗТМО аудандық филиал бөлімшесінің басшысы,9156,9210,",
        ",ЗТМО аудандық филиал бөлімшесінің басшысы,9157,9211,",
    )
    with pytest.raises(CuratedDataError) as caught:
        load_and_check(data)
    assert f"data/positions.csv:{line}: quote does not match the source at 9157..9211" in str(
        caught.value
    )
