"""The notation grammar: the one place codes of blocks, tiers, grades and positions are defined.

    block     ::= "A" | "B" | "C" | "D"
    tier      ::= block digit                      e.g. A1, B2, C3, D1
    step      ::= number ( "-" number )?           e.g. 1, 1-1, 3-1
    sector    ::= "H" | "E" | "O"                  healthcare, education, other sectors
    grade     ::= tier ( "-" step )? ( "-" sector )?
                                                   e.g. A1-1-1, B1-5, B2-1-H, C1
    position  ::= grade "." two-digit-ordinal      e.g. A1-1.01, B2-4-O.21, D1.38

All letters are Latin and hyphens are ASCII: look-alike Cyrillic letters of the source
are normalised in the curated data, each time with a recorded decision.
"""

from __future__ import annotations

import re

SECTOR_CODES = {"healthcare": "H", "education": "E", "other": "O"}

TIER_RE = re.compile(r"[A-D][1-9]")
STEP_RE = re.compile(r"[1-9][0-9]?(?:-[1-9])?")
GRADE_RE = re.compile(
    r"(?P<tier>[A-D][1-9])(?:-(?P<step>[1-9][0-9]?(?:-[1-9])?))?(?:-(?P<sector>[HEO]))?"
)
POSITION_RE = re.compile(
    r"(?P<grade>" + GRADE_RE.pattern.replace("?P<", "?P<g_") + r")\.(?P<n>[0-9]{2})"
)


def grade_notation(tier: str, step: str, sector: str) -> str:
    """The grade code for a register row."""
    code = tier
    if step:
        code += f"-{step}"
    if sector:
        code += f"-{SECTOR_CODES.get(sector, '?')}"
    return code


def natural_key(notation: str) -> tuple:
    """Sort key that puts 1 < 1-1 < 2 < 10 and keeps sectors in register order (H, E, O)."""
    order = {"H": 0, "E": 1, "O": 2}
    key = []
    for token in re.findall(r"[0-9]+|[A-Za-z]+", notation):
        if token.isdigit():
            key.append((0, int(token), ""))
        elif token in order:
            key.append((1, order[token], ""))
        else:
            key.append((2, 0, token))
    return tuple(key)
