"""Percent-decoding of query strings and form bodies, strict about UTF-8 and fast.

Shared by the SPARQL protocol, search and the replay of kg.web.replay, which must all read a
query string the same way.
"""

from __future__ import annotations

import contextlib
from urllib.parse import unquote_plus as _urllib_unquote_plus


def unquote_plus(text: str) -> str:
    """Percent-decoding at C speed: %XX becomes \\xXX for the unicode_escape codec.

    urllib's decoder loops in Python over every escape, which costs more than the rest of
    a cached answer for a typical query; anything unusual falls back to urllib.
    """
    if "%" not in text and "+" not in text:
        return text
    if "\\" not in text:
        with contextlib.suppress(UnicodeError):
            escaped = text.replace("+", " ").replace("%", "\\x").encode("ascii")
            return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8")
    return _urllib_unquote_plus(text, encoding="utf-8", errors="strict")


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """Like parse_qsl(keep_blank_values=True), but strict about UTF-8 and faster; raises
    UnicodeDecodeError (each caller says it in its own protocol's words)."""
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs
