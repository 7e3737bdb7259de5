"""Kazakh Cyrillic -> Kazakh Latin script (the 2021 alphabet), for the `@kk-Latn` labels.

Why: Kazakh is moving to the Latin script, and people already type titles in Latin letters;
a Latin twin of every Kazakh label lets search and reconciliation find what they type. The
twin is an alternative label, never the preferred one: the law is written in Cyrillic.

Source of the table: the 2021 version of the Kazakh Latin alphabet, the 31-letter table
presented by the Government of Kazakhstan on 28 January 2021 to replace the versions of the
Presidential Decrees No. 569 (2017) and No. 637 (2018). Its letters are A Ä B D E F G Ğ H
I(ı) İ(i) J K L M N Ñ O Ö P Q R S Ş T U Ū Ü V Y Z; the Cyrillic-only letters of Russian
loanwords are not in the table and are written by the rules in the notes of `TABLE` (ч as Ç,
following the 2021 proposals that write it so in loanwords).

Choices, one per row of `TABLE`:

* и and й are both İ i (the 2021 table gives them one letter); і is the dotless I ı.
* у is always U u. The 2021 table has no W, so the vowel/consonant difference of у
  (e.g. 'тау' vs 'ту') is not marked; ұ is Ū ū and ү is Ü ü.
* х and һ are both H h; ы is Y y; ң is Ñ ñ.
* Letters of Russian loanwords outside the table: ц -> ts, ч -> ç, щ -> şş, ё -> io,
  ю -> iu, я -> ia (й + vowel, й being i), э -> e; ъ and ь are dropped.
* Case: each Cyrillic capital gives the capital of its Latin form (И -> İ, І -> I, so Python's
  str.upper/lower are never used on Latin output). A two-letter form of a capital is written
  'Ts' inside a capitalised word and 'TS' when a neighbouring letter is also a capital
  (an abbreviation or an all-capitals word).
* Everything else (Latin letters, digits, punctuation, spaces) is copied unchanged, so
  notations such as 'B2' or 'A1' stay as they are.

The function is pure and deterministic: the same text always gives the same Latin text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rdflib import SKOS, Graph, Literal

#: The BCP 47 tag of the Latin labels, kk-Latn, in lower case: language tags are
#: case-insensitive and Oxigraph (which writes every dump but N-Triples) lower-cases them, so
#: the graph uses the same form and every dump states the same literal.
LATIN_TAG = "kk-latn"

#: (Cyrillic lower case, Latin lower case, Latin capital form, note), one row per letter.
TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("а", "a", "A", ""),
    ("ә", "ä", "Ä", ""),
    ("б", "b", "B", ""),
    ("в", "v", "V", ""),
    ("г", "g", "G", ""),
    ("ғ", "ğ", "Ğ", ""),
    ("д", "d", "D", ""),
    ("е", "e", "E", ""),
    ("ё", "io", "İo", "not in the table: й + о"),
    ("ж", "j", "J", ""),
    ("з", "z", "Z", ""),
    ("и", "i", "İ", "и and й share İ i"),
    ("й", "i", "İ", "и and й share İ i"),
    ("к", "k", "K", ""),
    ("қ", "q", "Q", ""),
    ("л", "l", "L", ""),
    ("м", "m", "M", ""),
    ("н", "n", "N", ""),
    ("ң", "ñ", "Ñ", ""),
    ("о", "o", "O", ""),
    ("ө", "ö", "Ö", ""),
    ("п", "p", "P", ""),
    ("р", "r", "R", ""),
    ("с", "s", "S", ""),
    ("т", "t", "T", ""),
    ("у", "u", "U", "always U: the 2021 table has no W"),
    ("ұ", "ū", "Ū", ""),
    ("ү", "ü", "Ü", ""),
    ("ф", "f", "F", ""),
    ("х", "h", "H", ""),
    ("һ", "h", "H", ""),
    ("ц", "ts", "Ts", "not in the table"),
    ("ч", "ç", "Ç", "loanwords only"),
    ("ш", "ş", "Ş", ""),
    ("щ", "şş", "Şş", "not in the table: a long ш"),
    ("ъ", "", "", "dropped"),
    ("ы", "y", "Y", ""),
    ("і", "ı", "I", "dotless"),
    ("ь", "", "", "dropped"),
    ("э", "e", "E", "not in the table"),
    ("ю", "iu", "İu", "not in the table: й + у"),
    ("я", "ia", "İa", "not in the table: й + а"),
)


def _build() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    lower: dict[str, str] = {}
    capital: dict[str, str] = {}
    all_caps: dict[str, str] = {}
    for cyr, lat, cap, _note in TABLE:
        cap_cyr = cyr.upper()
        lower[cyr] = unicodedata.normalize("NFC", lat)
        capital[cap_cyr] = unicodedata.normalize("NFC", cap)
        # the capital form with every letter capital: 'Ts' -> 'TS', 'İa' -> 'İA'
        all_caps[cap_cyr] = unicodedata.normalize("NFC", cap[:1] + cap[1:].upper())
    return lower, capital, all_caps


_LOWER, _CAPITAL, _ALL_CAPS = _build()


def _is_capital(ch: str) -> bool:
    return ch.isalpha() and ch.isupper()


def to_latin(text: str) -> str:
    """The 2021 Kazakh Latin spelling of a Cyrillic text (other characters unchanged)."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _LOWER:
            out.append(_LOWER[ch])
        elif ch in _CAPITAL:
            before = text[i - 1] if i > 0 else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            in_caps = _is_capital(before) or _is_capital(after)
            out.append(_ALL_CAPS[ch] if in_caps else _CAPITAL[ch])
        else:
            out.append(ch)
    return "".join(out)


def latin_labels(g: Graph, properties: Iterable = (SKOS.prefLabel, SKOS.altLabel)) -> list:
    """(subject, skos:altLabel, Latin literal) for every Kazakh label of the given properties."""
    triples = []
    for prop in properties:
        for s, label in g.subject_objects(prop):
            if isinstance(label, Literal) and (label.language or "").lower() == "kk":
                triples.append((s, SKOS.altLabel, Literal(to_latin(str(label)), lang=LATIN_TAG)))
    return triples


def add_latin_labels(g: Graph) -> int:
    """Add a `@kk-Latn` skos:altLabel beside every `@kk` prefLabel and altLabel of the graph."""
    triples = latin_labels(g)
    for t in triples:
        g.add(t)
    return len(triples)
