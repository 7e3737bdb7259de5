"""Recognise SPARQL queries whose work is bounded by the data, so they may skip the workers.

Why: a query worker exists so that a runaway query can be killed. For the cheapest queries
(is this label there? what is this concept's label? describe this concept) the hop to a worker
costs several times the evaluation itself. A query that this module accepts cannot run away:
every triple pattern has a constant subject and a constant predicate, so each matches at most
the largest out-degree of the graph (a few hundred triples in a release), and there are at
most ``MAX_PATTERNS`` of them; a DESCRIBE names one constant IRI.

The check is deliberately a small grammar of its own, read on the raw text, and anything it
does not know makes the query "not bounded" (it then goes to a worker as before):

- no backslash anywhere (pyoxigraph applies ``\\u`` escapes to the whole text before parsing,
  so an escape could spell a keyword this grammar never sees), no comment, no ``SERVICE``,
  ``FROM``, ``GRAPH``, ``FILTER``, ``OPTIONAL``, ``UNION``, sub-query, path or function;
- ``PREFIX``/``BASE`` declarations, then ``ASK``, ``SELECT [DISTINCT] vars|*`` or
  ``DESCRIBE <iri>``; a ``WHERE`` group of at most one one-row ``VALUES`` block of
  constants and triple patterns ``<s> <p> o`` (``;`` and ``,`` lists allowed); then at most
  ``LIMIT``/``OFFSET`` numbers.
"""

from __future__ import annotations

import re

#: Triple patterns a bounded query may have. One matches at most the largest number of
#: objects one subject has for one predicate (173 in release 1.1.0), so the evaluation is a
#: few hundred microseconds at worst and may run on the event loop.
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

_KEYWORDS = {"PREFIX", "BASE", "ASK", "SELECT", "DISTINCT", "DESCRIBE", "WHERE", "VALUES"}
_KEYWORDS |= {"LIMIT", "OFFSET"}


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """(kind, value) pairs, or None if the text holds anything outside the grammar.

    A backslash anywhere refuses the text (pyoxigraph applies \\u escapes first), and so does
    a '#' outside an IRI: no token starts with it, so a comment never passes.
    """
    if "\\" in text:
        return None
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "ws":
            continue
        if kind == "word":
            value = value.upper()
            if value not in _KEYWORDS:
                return None
        out.append((kind, value))
    return out


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str | None:
        k, v = self.peek()
        if k != kind or (value is not None and v != value):
            return None
        self.i += 1
        return v

    def word(self, value: str) -> bool:
        return self.take("word", value) is not None

    def punct(self, value: str) -> bool:
        return self.take("punct", value) is not None

    def constant_node(self) -> bool:
        return self.take("iri") is not None or self.take("pname") is not None

    def literal(self) -> bool:
        if self.take("string") is not None:
            if self.take("langtag") is None and self.take("dtype") is not None:
                return self.constant_node()
            return True
        return self.take("number") is not None

    def object(self) -> bool:
        return self.take("var") is not None or self.constant_node() or self.literal()


def is_bounded(query: str) -> bool:
    """True if `query` is in the bounded grammar of the module docstring."""
    tokens = _tokens(query)
    if tokens is None:
        return False
    r = _Reader(tokens)
    while True:  # prologue
        if r.word("PREFIX"):
            if r.take("pname") is None or r.take("iri") is None:
                return False
        elif r.word("BASE"):
            if r.take("iri") is None:
                return False
        else:
            break
    if r.word("DESCRIBE"):
        if not r.constant_node():
            return False
        if r.peek() == ("end", ""):
            return True
        return _where(r, patterns_allowed=False) and _modifiers(r)
    if r.word("ASK"):
        pass
    elif r.word("SELECT"):
        r.word("DISTINCT")
        if not r.punct("*"):
            if r.take("var") is None:
                return False
            while r.take("var") is not None:
                pass
    else:
        return False
    return _where(r, patterns_allowed=True) and _modifiers(r)


def _where(r: _Reader, patterns_allowed: bool) -> bool:
    r.word("WHERE")
    if not r.punct("{"):
        return False
    patterns = 0
    values = False
    while not r.punct("}"):
        if r.word("VALUES"):
            if values or not _values(r):
                return False
            values = True
            r.punct(".")
            continue
        if not patterns_allowed or not r.constant_node():  # the subject: a constant
            return False
        while True:  # predicate-object lists: `<s> <p> o, o ; <p> o .`
            if not (
                r.take("a") is not None or r.constant_node()
            ):  # the predicate: a constant, no path
                return False
            while True:
                if not r.object():
                    return False
                patterns += 1
                if not r.punct(","):
                    break
            if not r.punct(";"):
                break
        if patterns > MAX_PATTERNS:
            return False
        if not r.punct(".") and r.peek() != ("punct", "}"):
            return False
    return True


def _values(r: _Reader) -> bool:
    """`VALUES ?v { constant }`: one variable, one row."""
    if r.take("var") is None or not r.punct("{"):
        return False
    if not (r.constant_node() or r.literal()):
        return False
    return r.punct("}")


def _modifiers(r: _Reader) -> bool:
    for word in ("LIMIT", "OFFSET"):
        if r.word(word) and r.take("number") is None:
            return False
    return r.peek() == ("end", "")
