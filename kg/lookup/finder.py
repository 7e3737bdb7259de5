"""The grade finder: which grade is this employee's? Pure Python over the release's data.

People bring one question: "a nurse with a medium qualification and the first category:
which grade?". The register answers it: one title stands in several grades, and the facts
the law attaches to the grades (qualification level and category in block B; significance
level and kind of institution in block A) pick one. So the finder takes a title and the
facts known so far, and either gives the grade (with block, tier, step, the law's words and
the facts that decided it) or asks only for the facts that still separate the candidates,
in the law's words (the Kazakh labels of its closed lists, with the unofficial ru and en).

Everything comes from the release (the search index, which is built from ``register.nt``,
and the source quotes of the positions, read here from the same file): no clock, no CSV.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.lookup.search import (
    RELEASE_FILE,
    Entity,
    SearchIndex,
    fold,
    nearest_titles,
    parse_query,
    resolve_words,
)

_KG = "https://reg1042.example.org/def#"
_OA = "http://www.w3.org/ns/oa#"
SOURCE_QUOTE = _KG + "sourceQuote"
HAS_SELECTOR = _OA + "hasSelector"
EXACT = _OA + "exact"

#: The facts that tell the grades of one title apart, in the order they are asked.
QUESTIONS = ("qualification-level", "category", "significance-level", "institution-type")


@dataclass(frozen=True, slots=True)
class Quote:
    """The law's words for a position: the quote resource and its exact text."""

    id: str
    text: str


@dataclass
class Question:
    """A fact still needed, with the answers that keep some candidates."""

    property: str
    options: list[Entity]


@dataclass
class Result:
    """What the finder says for a title and the facts given."""

    title: str  # as typed
    resolved: str  # the register's title (Kazakh), '' if none
    given: dict[str, str]  # property -> id, as understood
    candidates: list[Entity] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    answer: Entity | None = None
    decided_by: list[tuple[str, Entity]] = field(default_factory=list)
    suggestions: list[Entity] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)  # property -> value not understood


class Finder:
    """The grade finder of one release."""

    def __init__(self, index: SearchIndex, quotes: dict[str, Quote] | None = None) -> None:
        self.index = index
        self.quotes = quotes or {}
        self.by_title: dict[str, list[Entity]] = defaultdict(list)
        for e in index.entities:
            if e.type == "position" and not e.deprecated:
                self.by_title[fold(e.label("kk"))].append(e)
        self._names: dict[str, str] = {}  # folded name -> folded Kazakh title
        for key, members in self.by_title.items():
            for e in members:
                for text, _ in index.tagged_texts(e):
                    self._names.setdefault(fold(text), key)

    @classmethod
    def from_release(cls, release_dir: Path, index: SearchIndex) -> Finder:
        """The finder of a release folder: its index and the quotes of its positions."""
        quote_of: dict[str, str] = {}
        selectors: dict[str, list[str]] = defaultdict(list)
        exact: dict[str, str] = {}
        with open(Path(release_dir) / RELEASE_FILE, "rb") as handle:
            for q in ox.parse(handle, ox.RdfFormat.N_TRIPLES):
                p = q.predicate.value
                if p == SOURCE_QUOTE:
                    quote_of.setdefault(q.subject.value, q.object.value)
                elif p == HAS_SELECTOR:
                    selectors[q.subject.value].append(q.object.value)
                elif p == EXACT:
                    exact[q.subject.value] = q.object.value
        quotes = {}
        for e in index.entities:
            uri = quote_of.get(e.uri)
            if e.type == "position" and uri:
                text = next((exact[s] for s in selectors.get(uri, ()) if s in exact), "")
                path = uri[len(index.base) :] if uri.startswith(index.base) else uri
                quotes[e.id] = Quote(path, text)
        return cls(index, quotes)

    # ------------------------------------------------------------------------ titles

    @functools.cached_property
    def _titles(self) -> list[tuple[str, str]]:
        out = []
        for members in self.by_title.values():
            e = min(members, key=lambda x: x.order)
            out.append((e.order, e.label("kk"), e.labels.get("ru", "")))
        return [(kk, ru) for _, kk, ru in sorted(out)]

    def titles(self) -> list[tuple[str, str]]:
        """(Kazakh, Russian) of every title, in the register's order: the page's list (the
        release does not change while it is served, so it is made once)."""
        return self._titles

    def resolve(self, title: str) -> tuple[str, dict[str, str]]:
        """The register's title (folded key) a typed title names, and the facts its words
        named ("мейіргер бірінші санатты"); ('', {}) if none."""
        key = fold(title)
        if key in self._names:
            return self._names[key], {}
        facts, rest = self.index.read_facts(parse_query(title))
        if facts and fold(rest.key) in self._names:
            return self._names[fold(rest.key)], facts
        hits = self.index.search(title, {"position"}, limit=1)
        if not hits:
            return "", {}
        return fold(hits[0].entity.label("kk")), facts

    # ------------------------------------------------------------------------ facts

    def facts(self, e: Entity) -> dict[str, set[str]]:
        """A position's values of each question (institution types: all of them)."""
        one = self.index.facts_of(e)
        out = {k: {one[k]} for k in QUESTIONS if k in one and k != "institution-type"}
        kinds = set(e.links.get("institution-type", ()))
        if kinds:
            out["institution-type"] = kinds
        return out

    def understand(self, prop: str, value: str) -> str | None:
        """The id a given value names (an id, a notation, or words in kk, ru or en)."""
        value = value.strip()
        if not value:
            return None
        for ref in (value, f"{prop}/{value}"):
            e = self.index.entity(ref)
            if e is not None and e.type == prop:
                return e.id
        found = resolve_words(self.index, prop, value)
        return found[0] if len(found) == 1 else None

    # ------------------------------------------------------------------------ finding

    def find(self, title: str, given: dict[str, str] | None = None) -> Result:
        """Answer, or the questions that remain, for a title and the facts given."""
        key, read = self.resolve(title)
        result = Result(title, "", {})
        if not key:
            result.suggestions = nearest_titles(self.index, title) if title.strip() else []
            return result
        members = sorted(self.by_title[key], key=lambda e: e.order)
        result.resolved = members[0].label("kk")
        wanted = dict(read)
        for prop, value in (given or {}).items():
            if prop not in QUESTIONS or not value:
                continue
            ident = self.understand(prop, value)
            if ident is None:
                result.unknown[prop] = value
            else:
                wanted[prop] = ident
        result.given = wanted
        left = [e for e in members if all(v in self.facts(e).get(p, ()) for p, v in wanted.items())]
        result.candidates = left
        grades = {e.grade_notation for e in left}
        if len(grades) == 1:
            result.answer = left[0]
            result.decided_by = [
                (p, self.index.by_id[v]) for p, v in wanted.items() if v in self.index.by_id
            ]
            return result
        for prop in QUESTIONS:
            if prop in wanted:
                continue
            values: dict[str, None] = {}
            for e in left:
                for v in sorted(self.facts(e).get(prop, ())):
                    values.setdefault(v, None)
            # a fact separates the candidates when some have a value that others lack
            splits = [v for v in values if not all(v in self.facts(e).get(prop, ()) for e in left)]
            if splits:
                # in the order of the grades they lead to (highest category first)
                options = [self.index.by_id[v] for v in splits if v in self.index.by_id]
                result.questions.append(Question(prop, options))
        return result

    # ------------------------------------------------------------------------ JSON

    def as_json(self, r: Result, url: str = "") -> dict[str, Any]:
        """The JSON answer of /api/finder."""
        ix = self.index

        def term(e: Entity) -> dict[str, str]:
            return {
                "id": e.id,
                **{f"label_{lang}": e.labels.get(lang, "") for lang in ("kk", "ru", "en")},
            }

        out: dict[str, Any] = {
            "title": r.title,
            "resolved": r.resolved,
            "given": r.given,
            "not_understood": r.unknown,
            "candidates": [
                {"id": e.id, "notation": e.notation, "grade": e.grade_notation}
                for e in r.candidates
            ],
            "questions": [
                {
                    "property": q.property,
                    "label_kk": ix.type_name(q.property, "kk"),
                    "label_en": ix.type_name(q.property, "en"),
                    "options": [term(o) for o in q.options],
                }
                for q in r.questions
            ],
            "answer": None,
            "suggestions": [{"id": e.id, "label": e.label("kk")} for e in r.suggestions],
            "url": url,
        }
        if r.answer is not None:
            out["answer"] = self.answer_json(r)
        return out

    def answer_json(self, r: Result) -> dict[str, Any]:
        e = r.answer
        assert e is not None
        ix = self.index

        def linked(kind: str) -> dict[str, str] | None:
            refs = e.links.get(kind) or []
            x = ix.by_id.get(refs[0]) if refs else None
            return (
                {
                    "id": x.id,
                    "notation": x.notation,
                    "label_kk": x.label("kk"),
                    "label_en": x.labels.get("en", ""),
                }
                if x
                else None
            )

        quote = self.quotes.get(e.id)
        return {
            "position": {
                "id": e.id,
                "notation": e.notation,
                "label_kk": e.label("kk"),
                "label_ru": e.labels.get("ru", ""),
                "label_en": e.labels.get("en", ""),
            },
            "grade": linked("grade"),
            "block": linked("block"),
            "tier": linked("tier"),
            "step": (e.literals.get("step") or [""])[0],
            "sector": linked("sector"),
            "quote": {"id": quote.id, "text": quote.text} if quote else None,
            "decided_by": [
                {
                    "property": p,
                    "id": x.id,
                    "label_kk": x.label("kk"),
                    "label_en": x.labels.get("en", ""),
                }
                for p, x in r.decided_by
            ],
        }
