"""Recognise SPARQL queries whose work is bounded by the data, so they may skip the workers.

Why: a query worker exists so that a runaway query can be killed. For the cheapest queries
(is this label there? what is this concept's label? describe this concept) the hop to a worker
costs several times the evaluation itself. A query that this module accepts cannot run away:
it has at most one triple pattern, with a constant subject and a constant predicate, so it
matches at most the largest out-degree of the graph (a few hundred triples in a release); a
DESCRIBE names one constant IRI.

The check is deliberately a small grammar of its own, read on the raw text, and anything it
does not know makes the query "not bounded" (it then goes to a worker as before):

- no backslash anywhere (pyoxigraph applies ``\\u`` escapes to the whole text before parsing,
  so an escape could spell a keyword this grammar never sees), no comment, no ``SERVICE``,
  ``FROM``, ``GRAPH``, ``FILTER``, ``OPTIONAL``, ``UNION``, sub-query, path or function;
- ``PREFIX``/``BASE`` declarations, then ``ASK``, ``SELECT [DISTINCT] vars|*`` or
  ``DESCRIBE <iri>``; a ``WHERE`` group of at most one one-row ``VALUES`` block of a
  constant and at most one triple pattern ``<s> <p> o``; then at most ``LIMIT``/``OFFSET``
  numbers.

The text is read as one letter per token (an IRI or prefixed name is ``i``, a variable ``v``,
``{`` is ``{`` ...) and the grammar is one regular expression over those letters.
"""

from __future__ import annotations

import re

from kg.cache import memoize

#: Triple patterns a bounded query may have. One matches at most the largest number of
#: objects one subject has for one predicate (173 in release 1.1.0), so the evaluation is a
#: few hundred microseconds at worst and may run on the event loop. (The grammar below is
#: written for this one.)
MAX_PATTERNS = 1

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>"[^"\\\r\n]*"(?!")|'[^'\\\r\n]*'(?!'))
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?![A-Za-z0-9_:-]))
  | (?P<dtype>\^\^)
  | (?P<var>[?$][A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_]))
  | (?P<number>[0-9]+(?![A-Za-z0-9_.:-]))
  | (?P<pname>(?:[A-Za-z][A-Za-z0-9_-]*)?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_-])?)?(?![A-Za-z0-9_:%.-]*[A-Za-z0-9_:%-]))
  | (?P<a>a(?![A-Za-z0-9_:-]))
  | (?P<word>[A-Za-z]+(?![A-Za-z0-9_:-]))
  | (?P<punct>[{}.;,*])
    """,
    re.VERBOSE,
)

#: Each token as one letter, so that the grammar is one regular expression over the letters.
_KEYWORD_LETTERS = {
    "PREFIX": "P",
    "BASE": "B",
    "ASK": "A",
    "SELECT": "S",
    "DISTINCT": "D",
    "DESCRIBE": "E",
    "WHERE": "W",
    "VALUES": "V",
    "LIMIT": "L",
    "OFFSET": "O",
}
_KIND_LETTERS = {
    "iri": "i",
    "pname": "i",  # a prefixed name is a constant like an IRI
    "string": "s",
    "langtag": "l",
    "dtype": "d",
    "var": "v",
    "number": "0",
    "a": "a",
}
_PUNCT_LETTERS = {"{": "{", "}": "}", ".": ".", ";": ";", ",": ",", "*": "*"}

_LITERAL = r"(?:s(?:l|di)?|0)"
_OBJECT = rf"(?:v|i|{_LITERAL})"
_VALUES = rf"(?:Vv\{{(?:i|{_LITERAL})\}}\.?)"
#: One triple pattern: constant subject, constant predicate (or `a`), any object.
_PATTERN = rf"(?:i[ai]{_OBJECT}\.?)"
_GROUP = rf"W?\{{{_VALUES}?(?:{_PATTERN}{_VALUES}?)?\}}"
_DESCRIBE_GROUP = rf"W?\{{{_VALUES}?\}}"
_MODIFIERS = r"(?:L0)?(?:O0)?"
_GRAMMAR = re.compile(
    rf"(?:Pii|Bi)*"
    rf"(?:A{_GROUP}|SD?(?:\*|v+){_GROUP}|Ei(?:{_DESCRIBE_GROUP})?){_MODIFIERS}"
)
assert MAX_PATTERNS == 1, "the grammar above has room for one triple pattern"


def _letters(text: str) -> str | None:
    """The text as one letter per token, or None if it holds anything outside the grammar.

    A backslash anywhere refuses the text (pyoxigraph applies \\u escapes first), and so does
    a '#' outside an IRI: no token starts with it, so a comment never passes.
    """
    if "\\" in text:
        return None
    letters = []
    end = 0
    for m in _TOKEN.finditer(text):
        if m.start() != end:  # something no token matches
            return None
        end = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind == "word":
            letter = _KEYWORD_LETTERS.get(m.group().upper())
        elif kind == "punct":
            letter = _PUNCT_LETTERS[m.group()]
        else:
            letter = _KIND_LETTERS.get(kind or "")
        if letter is None:
            return None
        letters.append(letter)
    if end != len(text):
        return None
    return "".join(letters)


def is_bounded(query: str) -> bool:
    """True if `query` is in the bounded grammar of the module docstring."""
    return bounded_form(query) is not None


#: The query form's name (kg.query.engine.QueryForm's values) by its keyword's letter.
_FORMS = {"A": "boolean", "S": "solutions", "E": "graph"}


@memoize(64 * 1024, 8 * 1024)  # the shortest path asks twice in a row: to route, to evaluate
def bounded_form(query: str) -> str | None:
    """The form ("boolean", "solutions", "graph") of a bounded query, or None if not bounded."""
    letters = _letters(query)
    if letters is None:
        return None
    m = _GRAMMAR.fullmatch(letters)
    if m is None:
        return None
    return _FORMS[letters.lstrip("PBi")[0]]
