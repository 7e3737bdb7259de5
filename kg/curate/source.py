"""The law text: load it, verify its checksum, and measure what quotes cover.

Offsets everywhere in the project are Unicode code points into the decoded text
(start inclusive, end exclusive), as W3C Web Annotation's TextPositionSelector counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KgError

SOURCE_NAME = "order-1042.kk.txt"
#: Where the register section (its title, the table and the abbreviation note) starts.
REGISTER_SECTION_MARKER = (
    "### Әлеуметтік қамсыздандыру саласының азаматтық қызметшілері лауазымдарының тізілімі"
)

_WORD = re.compile(r"[^\W_]+")
_MARKUP = re.compile(r"</?p>")


@dataclass(frozen=True)
class SourceText:
    """The verified source text and where it came from."""

    path: Path
    text: str
    sha256: str

    @property
    def register_start(self) -> int:
        """Offset of the first character of the register section's title."""
        return self.text.index(REGISTER_SECTION_MARKER) + len("### ")


def expected_checksum(source_dir: Path) -> str:
    """The checksum recorded beside the text, in `sha256sum` format."""
    sums = source_dir / f"{SOURCE_NAME}.sha256"
    try:
        line = sums.read_text(encoding="ascii").split()
    except OSError as exc:
        raise KgError(f"{sums}: cannot read the recorded checksum ({exc.strerror})") from exc
    if not line or not re.fullmatch(r"[0-9a-f]{64}", line[0]):
        raise KgError(f"{sums}:1: not a sha256sum line")
    return line[0]


def load_source(source_dir: Path) -> SourceText:
    """Read the law text and refuse it if it is not byte for byte the recorded one."""
    path = source_dir / SOURCE_NAME
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KgError(f"{path}: cannot read the source text ({exc.strerror})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    expected = expected_checksum(source_dir)
    if digest != expected:
        raise KgError(
            f"{path}: SHA-256 is {digest}, expected {expected}; the source text must not be "
            "edited (corrections belong in the curated data)"
        )
    return SourceText(path=path, text=raw.decode("utf-8"), sha256=digest)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str


def words(text: str, start: int = 0) -> list[Word]:
    """Words (letters and digits) from `start` on, ignoring the <p> markup of the export."""
    blanked = _MARKUP.sub(lambda m: " " * len(m.group()), text)
    return [Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(blanked, start)]


def uncovered_words(source: SourceText, spans: Iterable[tuple[int, int]]) -> list[Word]:
    """Words of the register section that no span covers completely."""
    covered = bytearray(len(source.text))
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    return [
        w for w in words(source.text, source.register_start) if not all(covered[w.start : w.end])
    ]


def context(text: str, start: int, end: int, width: int = 30) -> str:
    """A one-line excerpt around a span, for error messages."""
    excerpt = text[max(0, start - width) : end + width]
    return excerpt.replace("\n", "⏎").replace("\t", "⇥")
