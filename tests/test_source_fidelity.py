"""The law text is the one in shared/, unchanged; every curated quote is the law's own text at
its recorded offsets; together the quotes cover every word of the register section; position
labels use only words of the law (or words an editorial decision records).

The curated files are read here with the csv module, independently of kg.curate.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from register_fixtures import (
    SOURCE_DIR,
    SOURCE_FILE,
    WORD_RE,
    Word,
    context,
    quoted_spans,
    read_rows,
    register_start,
    source_text,
    uncovered,
    words,
)

from kg.curate.source import load_source
from kg.errors import KgError

pytest_plugins = ["register_fixtures"]

SOURCE_SHA256 = "c33508073e3fc5f3e2f6c325ccd9167b3cb52faacbe8ba142021e9b2b428c55d"


def shared_source_dir() -> Path:
    """The `shared/source` folder of the workspace, found by walking up from this file."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "source"
        if candidate.is_dir():
            return candidate
    pytest.fail(f"no shared/source folder in any parent of {Path(__file__).resolve()}")


# ---------------------------------------------------------------- the text itself


def test_source_has_the_published_checksum() -> None:
    assert hashlib.sha256(SOURCE_FILE.read_bytes()).hexdigest() == SOURCE_SHA256
    recorded = (SOURCE_DIR / f"{SOURCE_FILE.name}.sha256").read_text(encoding="ascii").split()
    assert recorded[0] == SOURCE_SHA256, "the checksum file beside the text records another sum"


def test_source_is_byte_identical_to_the_shared_copy() -> None:
    shared = shared_source_dir() / SOURCE_FILE.name
    assert shared.is_file(), f"{shared} is missing"
    assert SOURCE_FILE.read_bytes() == shared.read_bytes()


def test_load_source_accepts_the_unchanged_copy(tmp_path: Path) -> None:
    copy = tmp_path / "source"
    shutil.copytree(SOURCE_DIR, copy)
    loaded = load_source(copy)
    assert loaded.sha256 == SOURCE_SHA256
    assert loaded.text == source_text()


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_load_source_refuses_a_changed_copy(tmp_path: Path, where: str) -> None:
    copy = tmp_path / "source"
    shutil.copytree(SOURCE_DIR, copy)
    path = copy / SOURCE_FILE.name
    path.chmod(0o644)  # the project keeps its copy read-only
    raw = bytearray(path.read_bytes())
    index = {"first": 0, "middle": len(raw) // 2, "last": len(raw) - 1}[where]
    raw[index] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(KgError, match="SHA-256") as caught:
        load_source(copy)
    assert SOURCE_SHA256 in str(caught.value), "the message should show the expected checksum"


# ---------------------------------------------------------------- quotes are verbatim


@pytest.mark.parametrize("name", ["positions.csv", "spans.csv", "decisions.csv"])
def test_every_quote_is_the_source_text_at_its_offsets(name: str) -> None:
    text = source_text()
    rows = read_rows(name)
    assert rows, f"data/{name} has no rows"
    problems = []
    checked = 0
    for row in rows:
        start_s, end_s, quote = row["quote_start"], row["quote_end"], row["quote"]
        if name == "decisions.csv" and not (start_s or end_s or quote):
            continue  # a decision about something the law does not print (an inferred code)
        checked += 1
        if not (start_s.isdigit() and end_s.isdigit()):
            problems.append(f"data/{name}:{row.line}: offsets {start_s!r}..{end_s!r}")
            continue
        start, end = int(start_s), int(end_s)
        if not (0 <= start < end <= len(text)) or text[start:end] != quote:
            problems.append(
                f"data/{name}:{row.line}: {start}..{end} is {text[start:end]!r}, quote is {quote!r}"
            )
    assert checked, f"data/{name} has no quotes"
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- coverage of the register


def describe(text: str, missing: list[Word]) -> str:
    lines = [f"{len(missing)} word(s) of the register section are inside no quote:"]
    lines += [f"  {w.text!r} at {w.start}: …{context(text, w.start, w.end)}…" for w in missing]
    return "\n".join(lines)


def all_spans() -> list[tuple[int, int]]:
    return [(start, end) for _, _, start, end, _ in quoted_spans()]


def test_register_section_starts_at_its_title() -> None:
    text = source_text()
    start = register_start(text)
    assert text[start : start + len("Әлеуметтік")] == "Әлеуметтік"
    assert text[start - 4 : start] == "### "
    # The section runs to the end of the file: the abbreviation note is its last part.
    assert "Аббревиатуралардың толық жазылуы" in text[start:]


def test_every_word_of_the_register_section_is_quoted() -> None:
    text = source_text()
    start = register_start(text)
    assert len(words(text, start)) > 1000, "the register section should hold the whole table"
    missing = uncovered(text, all_spans(), start)
    assert not missing, describe(text, missing)


@pytest.mark.parametrize(
    ("notation", "expected"),
    [
        # Hand-read from the law: the cells of these rows hold nothing but the title.
        ("B1-1.01", ["Бас", "ғылыми", "қызметкер"]),
        ("D1.38", ["Мансап", "орталығының", "ассистенті"]),
    ],
)
def test_coverage_check_reports_the_words_of_a_dropped_position(
    notation: str, expected: list[str]
) -> None:
    text = source_text()
    kept = [
        (start, end)
        for name, row, start, end, _ in quoted_spans()
        if not (name == "positions.csv" and row["notation"] == notation)
    ]
    assert len(kept) == len(all_spans()) - 1, f"{notation} should have exactly one quote"
    missing = uncovered(text, kept, register_start(text))
    assert [w.text for w in missing] == expected, describe(text, missing)
    report = describe(text, missing)
    for w in missing:
        assert f"{w.text!r} at {w.start}" in report


# ---------------------------------------------------------------- labels use the law's words


def test_position_labels_are_made_of_words_of_the_source() -> None:
    text = source_text()
    vocabulary = {w.text.casefold() for w in words(text)}
    recorded: dict[str, set[str]] = {}
    for row in read_rows("decisions.csv"):
        said = {w.casefold() for w in WORD_RE.findall(row["we_record"])}
        for subject in row["subjects"].split():
            recorded.setdefault(subject, set()).update(said)
    offenders = []
    positions = read_rows("positions.csv")
    assert positions
    for row in positions:
        allowed = recorded.get(f"position:{row['notation']}", set())
        for word in WORD_RE.findall(row["label_kk"]):
            folded = word.casefold()
            if folded not in vocabulary and folded not in allowed:
                offenders.append(f"data/positions.csv:{row.line} {row['notation']}: {word!r}")
    assert not offenders, "label words found neither in the law nor in a decision:\n" + "\n".join(
        offenders
    )
