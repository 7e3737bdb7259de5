"""Find positions (and grades, tiers, institution types, occupations) the way people type them.

One index serves the HTML search page, the JSON search API and the reconciliation service, so
all three agree on what matches and in which order.

Where the index comes from: the release folder's ``register.nt``, parsed in-process with
pyoxigraph when the app is created (about 50 ms for the whole register). Why not through the
SPARQL query workers: a search must not wait for a worker process or count against the
endpoint's limits, the index has to exist before the first request, and each of uvicorn's
HTTP worker processes builds its own copy anyway. The release is the only input, as for
every other part of the server: nothing here reads the curated CSV files.

Normalisation (labels and queries go through the same steps, so they meet in the middle):

1. Unicode NFKC, case folding, every dash variant becomes ``-``.
2. Notations: a chunk that reads as a register code once look-alike letters are mapped to
   the Latin ones the codes use (Cyrillic А В С Д Е Н О, and З read as the digit 3) is a
   *code*: ``В2-1``, ``СЗ``, ``c3.2`` become ``B2-1``, ``C3``, ``C3.02``. A chunk without an
   ASCII digit counts only when it is the whole query (so the word "аз" stays a word).
3. Words: Kazakh letters are folded to what a Russian keyboard types (ә→а ғ→г қ→к ң→н ө→о
   ұ,ү→у һ→х і→и, also ё→е); Latin letters inside a Cyrillic word are read as their Cyrillic
   look-alikes ("мейiргер" typed with a Latin i); in Latin words (kk-Latn labels, English)
   diacritics are dropped and dotless ı is i. Hyphenated words are split.
4. A light Kazakh suffix stripper (``stem``): up to four passes remove the longest ending of
   :data:`SUFFIXES` (case endings: genitive -ның/-нің/-дың/..., dative -ға/-ге/-қа/-ке/-на/
   -не, locative, ablative, instrumental; the adjectival -дағы/-дегі; possessive -сы/-сі/-ы/
   -і; plural -лар/-лер/...), keeping a stem of at least three letters (four before a
   two-letter ending); then a final г/б becomes к/п, undoing the voicing of қ/к/п before a
   vowel (орталық, орталығы). It is not a morphological analyser: it only has to send the
   forms of one word to the same key, so "басшысы", "басшының", "басшысының" and "басшы" all
   become "басш", "нұсқаушы" and "нұсқаушысы" become "нускауш", "бухгалтері" "бухгалтер".
   Single-vowel endings that would eat the stem's own vowel (the dative -а/-е) are left out.
5. Abbreviations: an institution type whose alternative label is an abbreviation
   (``skos:altLabel "ЗТМО"``) and whose Kazakh preferred label is its expansion, as the
   register's note defines it, lets every label containing the abbreviation be found by the
   expansion, and a query containing the abbreviation find labels that spell it out.
6. Russian: labels tagged ``ru`` are stemmed by Snowball's Russian stemmer; a query word
   (which has no language tag) stands for its Kazakh stem and, unless it has a Kazakh
   letter, its Russian one, and matches through either.

What a label is: preferred, alternative and hidden labels (``skos:hiddenLabel``: the
everyday names of data/hidden_labels.csv). A position is also found by its occupation's
names and hidden labels, at :data:`BORROWED` of a match (so "медсестра" finds every
Мейіргер, and a title's own words still win a tie), and by its title with its kind of
institution replaced by each narrower kind (the law's parenthesised lists: the head of a
temporary-stay organisation is the head of a night-stay house).

Facts: words that name a category or a qualification level, side by side ("второй
категории", "бірінші санатты", "орташа біліктілік"; every label of those concepts counts),
are taken out of the query when other words remain, and hits that have those facts sort
first (``Hit.fits``).

Ranking: a query's words are matched to a label's words (same stem: 1.0; the query word is a
prefix of the label's, as while typing: 0.5-0.9; the label's stem is a prefix of the query's,
an ending the stripper does not know: 0.85; one edit apart: 0.8). Words weigh their inverse
document frequency, so "бухгалтер" counts more than "маңызы". With ``recall`` the weighted
share of the query that was found and ``precision`` the weighted share of the label that the
query covers, ``score = 100 · recall² · (0.55 + 0.45 · precision)``, and only a label equal
to the query after steps 1 and 3 scores 100 (anything else at most 99). So the plain
"Бухгалтер" (100) ranks above "... бас бухгалтері" (the query is all found, but covers a
small part of the title). An entity scores its best label (Kazakh, Russian, English,
kk-Latn, alternative labels, notation). Code chunks match notations (exact: 100; a longer
code that starts with it: 4 points less per extra part, so B2-1 finds B2-1-H and its
positions) and, mixed with words, restrict the word matches to those notations.
Ties prefer positions, then occupations, grades, tiers, blocks, institution types; then the
register's order. Deprecated concepts stay findable, after current ones. A label word met
only inside parentheses counts :data:`PAREN_QUALITY` of a match; the first two query words
weigh :data:`LEADING_WEIGHTS` more; rank words (:data:`SOFT_WORDS`: аға, кіші, старший, ...)
weigh a share of the lightest other word, so "аға маман" lists the specialists. A label
with a word that makes it another job (:data:`DEPUTY_WORDS`: орынбасары, көмекшісі,
заместитель, помощник) scores :data:`NOT_ASKED` of its match when the query has none.

Grouping: hits with the same normalised Kazakh title and type form one group, which lists
the grade notations side by side ("Бухгалтер: C2, C3").
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import snowballstemmer

from kg.cache import memoize
from kg.curate.notation import natural_key
from kg.rdf.terms import Value, plain
from kg.uris import Uris

RELEASE_FILE = "register.nt"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_OWL = "http://www.w3.org/2002/07/owl#"
_KG = "https://reg1042.example.org/def#"

RDF_TYPE = _RDF + "type"
RDFS_LABEL = _RDFS + "label"
SKOS_PREF = _SKOS + "prefLabel"
SKOS_ALT = _SKOS + "altLabel"
SKOS_HIDDEN = _SKOS + "hiddenLabel"
SKOS_NOTATION = _SKOS + "notation"
SKOS_BROADER = _SKOS + "broader"
OWL_DEPRECATED = _OWL + "deprecated"
#: A mapping's provenance record (SSSOM in RDF, owl:Axiom style) and the qualification level
#: it is limited to: an accountant maps to 2411 at high and 3313 at medium qualification.
OWL_SOURCE = _OWL + "annotatedSource"
OWL_PROPERTY = _OWL + "annotatedProperty"
OWL_TARGET = _OWL + "annotatedTarget"
APPLIES_TO_LEVEL = _KG + "appliesToQualificationLevel"
POSITION_REGISTER = _KG + "PositionRegister"

#: SKOS mapping properties, as the occupations' ISCO-08 crosswalk uses them.
MAPPING_RELATIONS = {
    _SKOS + "exactMatch": "exactMatch",
    _SKOS + "closeMatch": "closeMatch",
    _SKOS + "broadMatch": "broadMatch",
    _SKOS + "narrowMatch": "narrowMatch",
}
#: ESCO's URIs of ISCO-08 groups: http://data.europa.eu/esco/isco/C<code>.
ISCO_URI_RE = re.compile(r"^http://data\.europa\.eu/esco/isco/C(?P<code>[0-9]{1,4})$")

#: Entity types by class; the URI's first path segment is the same word (kg/uris.py).
TYPE_BY_CLASS = {
    _KG + "Position": "position",
    _KG + "Occupation": "occupation",
    _KG + "Grade": "grade",
    _KG + "Tier": "tier",
    _KG + "Block": "block",
    _KG + "InstitutionType": "institution-type",
    _KG + "Sector": "sector",
    _KG + "SignificanceLevel": "significance-level",
    _KG + "QualificationLevel": "qualification-level",
    _KG + "Category": "category",
}
CLASS_BY_TYPE = {t: c for c, t in TYPE_BY_CLASS.items()}
#: Order of types in ties and in lists: the register's own entities first.
TYPE_ORDER = tuple(TYPE_BY_CLASS.values())
_TYPE_RANK = {t: i for i, t in enumerate(TYPE_ORDER)}

#: Entity-valued structure links, by property id (the reconciliation property ids too).
LINK_PROPERTIES = {
    _KG + "block": "block",
    _KG + "tier": "tier",
    _KG + "grade": "grade",
    _KG + "sector": "sector",
    _KG + "qualificationLevel": "qualification-level",
    _KG + "category": "category",
    _KG + "significanceLevel": "significance-level",
    _KG + "institutionType": "institution-type",
    _KG + "occupation": "occupation",
    "http://purl.org/dc/terms/isReplacedBy": "replaced-by",  # a deprecated entity's successors
}
LITERAL_PROPERTIES = {_KG + "step": "step"}

# ---------------------------------------------------------------------------- normalisation

DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
#: Kazakh letters as typed on a Russian keyboard.
KAZAKH_FOLD = str.maketrans(
    {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и"}
    | {"ё": "е"}
)
#: Latin letters that look like Cyrillic ones, read as Cyrillic inside a Cyrillic word.
LATIN_IN_CYRILLIC = str.maketrans(
    {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "и", "k": "к"}
    | {"m": "м", "t": "т", "h": "х", "b": "в"}
)
#: Letters that look like the Latin letters of codes (З is the digit 3).
CODE_LOOKALIKE = str.maketrans(
    {"а": "A", "в": "B", "с": "C", "д": "D", "е": "E", "н": "H", "о": "O", "з": "3"}
    | {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "h": "H", "o": "O"}
)
_CODE_RE = re.compile(
    r"(?P<tier>[A-D][1-9])(?:-(?P<step>[1-9][0-9]?(?:-[1-9])?))?(?:-(?P<sector>[HEO]))?"
    r"(?:\.(?P<n>[0-9]{1,2}))?"
)
_CHUNK_RE = re.compile(r"[^\s,;:()\[\]{}\"'«»/\\|!?]+")
_WORD_RE = re.compile(r"[^\W_]+")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")

#: Endings the stemmer strips (already folded as in step 3), by the shortest stem they leave.
SUFFIXES: tuple[tuple[str, int], ...] = tuple(
    sorted(
        [(s, 3) for s in ("нын", "нин", "дын", "дин", "тын", "тин")]  # genitive
        + [(s, 3) for s in ("дагы", "деги", "тагы", "теги", "ндагы", "ндеги")]  # -дағы
        + [(s, 3) for s in ("дан", "ден", "тан", "тен", "нан", "нен", "ндан", "нден")]  # ablative
        + [(s, 3) for s in ("мен", "бен", "пен")]  # instrumental
        + [(s, 3) for s in ("лар", "лер", "дар", "дер", "тар", "тер")]  # plural
        + [(s, 4) for s in ("га", "ге", "ка", "ке", "на", "не")]  # dative
        + [(s, 4) for s in ("да", "де", "та", "те", "нда", "нде")]  # locative
        + [(s, 4) for s in ("ты", "ти", "ды", "ди", "лы", "ли")]  # adjectival: санатты
        + [(s, 3) for s in ("сы", "си", "ы", "и")]  # possessive (3rd person)
        # the same endings in kk-Latn (2021 alphabet, diacritics dropped)
        + [(s, 3) for s in ("nyn", "nin", "dyn", "din", "tyn", "tin")]
        + [(s, 3) for s in ("dagy", "degi", "tagy", "tegi", "ndagy", "ndegi")]
        + [(s, 3) for s in ("dan", "den", "tan", "ten", "nan", "nen")]
        + [(s, 3) for s in ("lar", "ler", "dar", "der", "tar", "ter")]
        + [(s, 4) for s in ("ga", "ge", "qa", "ke", "na", "ne")]
        + [(s, 3) for s in ("sy", "si", "y")],
        key=lambda item: -len(item[0]),
    )
)
_DEVOICE = {"г": "к", "б": "п", "g": "k", "b": "p"}
#: Function words: found, but they weigh little.
STOPWORDS = frozenset(
    [
        "жане",
        "мен",
        "бен",
        "пен",
        "немесе",
        "и",
        "или",
        "в",
        "во",
        "по",
        "для",
        "на",
        "из",
        "с",
        "жане",
        "and",
        "or",
        "of",
        "the",
        "for",
        "in",
        "with",
        "at",
        "to",
        "jane",
        "men",
        "ben",
        "pen",
        "nemese",
    ]
)
_STOPWORD_WEIGHT = 0.15
#: Kinds of facts a query may name in words: they pick one grade among namesakes.
FACT_KINDS = ("category", "qualification-level")
#: Hits scoring less are left out of search results.
MIN_SCORE = 15.0
#: Bytes of remembered search results (per index, so per HTTP worker process).
SEARCH_CACHE_BYTES = 4 * 1024 * 1024


def fold(text: str) -> str:
    """Step 1 and the letter folding of step 3, without splitting: the key of exact matches."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(DASHES)
    return " ".join(fold_word(w) for w in _WORD_RE.findall(text))


def fold_word(word: str) -> str:
    """One casefolded word as a Russian keyboard and a plain Latin keyboard would type it."""
    if _CYRILLIC_RE.search(word):
        return word.translate(LATIN_IN_CYRILLIC).translate(KAZAKH_FOLD)
    if word.isascii():
        return word
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
    )
    return stripped.replace("ı", "i")


@memoize(2 * 1024 * 1024, 4 * 1024)
def stem(word: str) -> str:
    """The search key of one folded word (see the module docstring, step 4)."""
    if word.isdigit() or len(word) < 4:
        return word
    for _ in range(4):
        for suffix, keep in SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= keep:
                word = word[: -len(suffix)]
                break
        else:
            break
    last = word[-1]
    return word[:-1] + _DEVOICE[last] if last in _DEVOICE else word


_RUSSIAN = snowballstemmer.stemmer("russian")
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")


@memoize(2 * 1024 * 1024, 4 * 1024)  # keyed by what clients type
def stem_ru(word: str) -> str:
    """The search key of one folded Russian word (Snowball's Russian stemmer)."""
    if word.isdigit() or len(word) < 4 or not _CYRILLIC_RE.search(word):
        return word
    return _RUSSIAN.stemWord(word)


def word_keys(word: str) -> tuple[str, ...]:
    """The keys a query word may stand for: its Kazakh stem and, for a Cyrillic word that
    could be Russian, its Russian stem (a query has no language tag; a label has)."""
    kk = stem(word)
    ru = stem_ru(word)
    return (kk,) if ru == kk else (kk, ru)


#: Rank words that qualify a title ("senior", "junior", "leading"): typed, they narrow the
#: search, but a title without them is still the job asked for ("аға маман": a specialist).
SOFT_WORDS = frozenset(
    stem(w) for w in ("ага", "кiши", "киши", "жетекши", "senior", "junior", "leading")
) | frozenset(stem_ru(w) for w in ("старший", "младший", "ведущий"))
_SOFT_WEIGHT = 0.35
#: The law's words for "of every specialty / name" ("Барлық мамандықтағы дәрігерлер",
#: "Врачи всех специальностей", "Барлық атаудағы техниктер"), as stems of kk and ru labels.
OPEN_MARKERS = (
    (stem("барлык"), stem("мамандыктагы")),
    (stem("барлык"), stem("атаудагы")),
    (stem_ru("всех"), stem_ru("специальностей")),
    (stem_ru("всех"), stem_ru("наименований")),
)
#: Words that make a title another job: a deputy is not the head, a nurse's assistant not a
#: nurse. A label with one of them, for a query without any, scores NOT_ASKED of its match.
DEPUTY_WORDS = frozenset(
    [stem("орынбасары"), stem("комекшиси"), stem("deputy")]
    + [stem_ru(w) for w in ("заместитель", "помощник")]
)
NOT_ASKED = 0.85
#: What a query word missing from such a title counts, as a share of its weight.
OPEN_SHARE = 0.25
#: What a query word the register never uses weighs, as a share of the lightest found word.
_UNKNOWN_SHARE = 0.5
#: A label word met only inside parentheses (an aside such as "(облыстық маңызы бар
#: қаланың)") counts this much of a word of the title proper.
PAREN_QUALITY = 0.55
#: A match on a position's occupation's names, for a match on the title's own words.
BORROWED = 0.97
#: The first words of a query weigh more: they say what is looked for.
LEADING_WEIGHTS = (1.25, 1.1)
_PAREN_RE = re.compile(r"\([^()]*\)")


def as_code(chunk: str, alone: bool = False) -> str | None:
    """The register code a chunk of a query reads as (step 2), or None."""
    mapped = unicodedata.normalize("NFKC", chunk).casefold().translate(DASHES)
    mapped = mapped.translate(CODE_LOOKALIKE).upper().rstrip(".")
    if len(mapped) == 1:
        return mapped if alone and mapped in "ABCD" else None
    m = _CODE_RE.fullmatch(mapped)
    if m is None or not (alone or any(c.isdigit() for c in chunk if c.isascii())):
        return None
    code = m["tier"]
    if m["step"]:
        code += "-" + m["step"]
    if m["sector"]:
        code += "-" + m["sector"]
    if m["n"]:
        code += f".{int(m['n']):02d}"
    return code


def code_score(code: str, notation: str) -> float:
    """How well a notation answers a code typed in a query (0: not at all)."""
    if notation == code:
        return 100.0
    if notation.startswith((code + "-", code + ".")):
        rest = notation[len(code) :]
        return 100.0 - 4 * (rest.count("-") + rest.count("."))
    return 0.0


@dataclass(frozen=True, slots=True)
class Query:
    """A query after normalisation: register codes and word keys."""

    text: str
    codes: tuple[str, ...]
    words: tuple[str, ...]  # folded words, in order
    stems: tuple[str, ...]  # their (Kazakh) stems, unique, in order
    key: str  # the folded query, for exact matches
    #: Per stem, every key it may stand for (its Kazakh stem first, then its Russian one).
    alternatives: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.codes and not self.stems

    def keys_of(self, i: int) -> tuple[str, ...]:
        return self.alternatives[i] if self.alternatives else (self.stems[i],)


def parse_query(text: str) -> Query:
    """Split a query into codes and words, normalised as labels are."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    chunks = _CHUNK_RE.findall(text)
    codes: list[str] = []
    rest: list[str] = []
    for chunk in chunks:
        code = as_code(chunk, alone=len(chunks) == 1)
        if code is not None:
            codes.append(code)
        else:
            rest.append(chunk)
    raw = _WORD_RE.findall(" ".join(rest).casefold().translate(DASHES))
    words = tuple(fold_word(w) for w in raw)
    alternatives: dict[str, tuple[str, ...]] = {}
    for original, word in zip(raw, words, strict=True):
        keys = (stem(word),) if _KAZAKH_LETTERS & set(original) else word_keys(word)
        if keys[0] in alternatives:
            keys = tuple(dict.fromkeys(alternatives[keys[0]] + keys))
        alternatives[keys[0]] = keys
    return Query(
        text,
        tuple(dict.fromkeys(codes)),
        words,
        tuple(alternatives),
        " ".join(words),
        tuple(alternatives.values()),
    )


# ---------------------------------------------------------------------------- the data


@dataclass(slots=True)
class Entity:
    """A concept of the release as search and reconciliation see it."""

    id: str  # the URI's path under the base IRI ("position/C2.02"); the whole URI if foreign
    uri: str
    type: str
    notation: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # skos:prefLabel by language tag
    alt_labels: list[tuple[str, str]] = field(default_factory=list)  # (text, language tag)
    #: skos:hiddenLabel (text, language tag): found by, never shown as a name.
    hidden_labels: list[tuple[str, str]] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)  # property id -> entity ids
    literals: dict[str, list[str]] = field(default_factory=dict)  # property id -> values
    mappings: list[tuple[str, str]] = field(default_factory=list)  # (relation, target URI)
    #: Qualification levels (ids) a mapping is limited to, by (relation, target URI).
    mapping_levels: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    deprecated: bool = False
    order: int = 0  # position in the register's order (natural order of notations)

    def label(self, lang: str = "kk") -> str:
        """The preferred label in `lang`, else Kazakh, else any, else the notation."""
        return (
            self.labels.get(lang)
            or self.labels.get("kk")
            or next(iter(self.labels.values()), "")
            or self.notation
            or self.id
        )

    @property
    def grade_notation(self) -> str:
        """The grade this entity stands in (its own notation for grades, tiers, blocks)."""
        if self.type == "position":
            grade = self.links.get("grade")
            return grade[0].rpartition("/")[2] if grade else self.notation.partition(".")[0]
        return self.notation


@dataclass(frozen=True, slots=True)
class IscoGroup:
    """An ISCO-08 group a mapping targets (code from skos:notation, else from the URI)."""

    uri: str
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One entity found, with its score (0-100) and the label that matched best."""

    entity: Entity
    score: float
    matched: str
    #: 1 if the entity has the category and qualification level the query named.
    fits: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    """Hits of one type that share a normalised title: one title, its grades side by side."""

    title: str
    type: str
    score: float
    hits: tuple[Hit, ...]

    @property
    def grades(self) -> list[str]:
        return list(dict.fromkeys(h.entity.grade_notation for h in self.hits if h.entity.notation))


@dataclass(frozen=True, slots=True)
class _Doc:
    """One searchable text of an entity: a label (or its expansion), as stems."""

    entity: int
    label: str
    stems: tuple[str, ...]
    key: str | None  # folded label, for exact matches; None for expansions
    #: Stems met only inside parentheses: they count PAREN_QUALITY of a match.
    inner: frozenset[str] = frozenset()
    #: What a match on this text is worth (BORROWED for an occupation's names).
    factor: float = 1.0
    #: The title covers every specialty ("Барлық мамандықтағы дәрігерлер"): query words it
    #: lacks may name one ("врач-терапевт") and count OPEN_SHARE of their weight.
    open: bool = False


def canonical_language(tag: str) -> str:
    """A BCP 47 tag in its usual case ("kk-latn" -> "kk-Latn"): pyoxigraph lower-cases tags."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.title() if len(p) == 4 else p.upper() if len(p) == 2 else p.lower())
    return "-".join(out)


def _path_of(uri: str, base: str) -> str:
    return uri[len(base) :] if base and uri.startswith(base) else uri


def _is_abbreviation(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return 2 <= len(letters) <= 8 and all(c.isupper() for c in letters) and " " not in text


class SearchIndex:
    """The search index of one release; immutable once built, so it can be shared freely."""

    def __init__(
        self,
        entities: list[Entity],
        isco: dict[str, IscoGroup] | None = None,
        base: str = "",
        type_labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.base = base
        self.entities = entities
        self.isco = isco or {}
        #: Names of the entity types by language, from the ontology's rdfs:label.
        self.type_labels = type_labels or {}
        self.by_id: dict[str, Entity] = {e.id: e for e in entities}
        self.by_uri: dict[str, Entity] = {e.uri: e for e in entities}
        self.by_notation: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            if e.notation:
                self.by_notation[e.notation].append(e)
        self.abbreviations = self._abbreviations()
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._narrower: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            for ref in e.links.get("broader", ()):
                self._narrower[ref].append(e)
        self._build_docs()
        df: dict[str, int] = defaultdict(int)
        for stems in self._entity_stems():
            for s in stems:
                df[s] += 1
        n = max(1, len(entities))
        self._idf = {s: math.log(1 + n / d) for s, d in df.items()}
        self._unknown_weight = math.log(1 + 2 * n)
        self._weights = {s: self.weight(s) for s in self._idf}
        self._doc_weight = [sum(self._weights[s] for s in d.stems) or 1.0 for d in self._docs]
        self._vocabulary = sorted(self._postings)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for s in self._vocabulary:
            self._by_length[len(s)].append(s)
        self._facts = self._fact_labels()
        self._deputy_docs = frozenset(
            d for d, doc in enumerate(self._docs) if DEPUTY_WORDS & set(doc.stems)
        )
        # keyed by what clients type, so bounded by bytes (kg.cache), not by entries
        self._search_cached = memoize(SEARCH_CACHE_BYTES, 256 * 1024)(self._search)
        self._term_matches = memoize(2 * 1024 * 1024, 16 * 1024)(self._matches)

    # ------------------------------------------------------------------------ loading

    @classmethod
    def from_release(cls, release_dir: Path, uris: Uris | None = None) -> SearchIndex:
        """The index of a release folder (its N-Triples dump), its ids being paths under
        `uris` (default: the built-in base IRI)."""
        with open(Path(release_dir) / RELEASE_FILE, "rb") as handle:
            return cls.from_triples(
                (q.triple for q in ox.parse(handle, ox.RdfFormat.N_TRIPLES)), uris
            )

    @classmethod
    def from_triples(cls, triples: Iterable[ox.Triple], uris: Uris | None = None) -> SearchIndex:
        """The index of a graph given as triples (from a file, a store or a CONSTRUCT)."""
        wanted = {
            RDF_TYPE,
            RDFS_LABEL,
            SKOS_PREF,
            SKOS_ALT,
            SKOS_HIDDEN,
            SKOS_NOTATION,
            SKOS_BROADER,
            OWL_DEPRECATED,
            OWL_SOURCE,
            OWL_PROPERTY,
            OWL_TARGET,
            APPLIES_TO_LEVEL,
            *MAPPING_RELATIONS,
            *LINK_PROPERTIES,
            *LITERAL_PROPERTIES,
        }
        about: dict[str, list[tuple[str, Value]]] = defaultdict(list)
        for t in triples:
            p = t.predicate.value
            if p in wanted and isinstance(t.subject, ox.NamedNode):
                about[t.subject.value].append((p, plain(t.object)))
        return cls._from_descriptions(about, uris or Uris())

    @classmethod
    def _from_descriptions(
        cls, about: dict[str, list[tuple[str, Value]]], uris: Uris
    ) -> SearchIndex:
        base = uris.base
        typed: dict[str, str] = {}
        for s, pairs in about.items():
            for p, o in pairs:
                if p == RDF_TYPE and o.value in TYPE_BY_CLASS:
                    typed[s] = TYPE_BY_CLASS[o.value]
                elif p == _KG + "occupation" and isinstance(o, ox.NamedNode):
                    typed.setdefault(o.value, "occupation")
        entities: list[Entity] = []
        for s, kind in typed.items():
            e = Entity(id=_path_of(s, base), uri=s, type=kind)
            for p, o in about.get(s, ()):
                if isinstance(o, ox.Literal):
                    lang = canonical_language(o.language or "")
                    if p == SKOS_PREF:
                        e.labels.setdefault(lang, o.value)
                    elif p == SKOS_ALT:
                        e.alt_labels.append((o.value, lang))
                    elif p == SKOS_HIDDEN:
                        e.hidden_labels.append((o.value, lang))
                    elif p == SKOS_NOTATION:
                        e.notation = e.notation or o.value
                    elif p == OWL_DEPRECATED:
                        e.deprecated = o.value in ("true", "1")
                    elif p in LITERAL_PROPERTIES:
                        e.literals.setdefault(LITERAL_PROPERTIES[p], []).append(o.value)
                elif p in LINK_PROPERTIES:
                    e.links.setdefault(LINK_PROPERTIES[p], []).append(_path_of(o.value, base))
                elif p in MAPPING_RELATIONS:
                    e.mappings.append((MAPPING_RELATIONS[p], o.value))
                elif p == SKOS_BROADER and kind == "institution-type":
                    e.links.setdefault("broader", []).append(_path_of(o.value, base))
            for values in (*e.links.values(), *e.literals.values()):
                values.sort(key=natural_key)
            e.alt_labels.sort()
            e.hidden_labels.sort()
            e.mappings.sort()
            entities.append(e)
        by_id = {e.id: e for e in entities}
        for e in entities:  # a position's step is its grade's
            if e.type == "position" and "step" not in e.literals:
                for g in e.links.get("grade", ()):
                    if g in by_id and "step" in by_id[g].literals:
                        e.literals["step"] = list(by_id[g].literals["step"])
        entities.sort(key=lambda e: (_TYPE_RANK[e.type], natural_key(e.notation or e.id)))
        for i, e in enumerate(entities):
            e.order = i
        by_uri = {e.uri: e for e in entities}
        for pairs in about.values():
            record = {p: o.value for p, o in pairs if p in (OWL_SOURCE, OWL_PROPERTY, OWL_TARGET)}
            source = by_uri.get(record.get(OWL_SOURCE, ""))
            relation = MAPPING_RELATIONS.get(record.get(OWL_PROPERTY, ""))
            if source is None or relation is None or OWL_TARGET not in record:
                continue
            key = (relation, record[OWL_TARGET])
            for p, o in pairs:
                if p == APPLIES_TO_LEVEL:
                    source.mapping_levels.setdefault(key, set()).add(_path_of(o.value, base))
        isco: dict[str, IscoGroup] = {}
        targets = {uri for e in entities for _, uri in e.mappings}
        for uri in sorted(targets):
            m = ISCO_URI_RE.match(uri)
            pairs = about.get(uri, [])
            notation = next((o.value for p, o in pairs if p == SKOS_NOTATION), None)
            if m is None and notation is None:
                continue
            labels = {
                o.language: o.value
                for p, o in pairs
                if p == SKOS_PREF and isinstance(o, ox.Literal)  # labels are literals
            }
            label = labels.get("en") or next(iter(labels.values()), "")
            if notation:
                code = notation
            else:
                assert m is not None  # a group without a notation has an ISCO-08 URI
                code = m["code"]
            isco[uri] = IscoGroup(uri, code, label)
        type_labels: dict[str, dict[str, str]] = {}
        for cls_uri, kind in TYPE_BY_CLASS.items():
            names = {
                o.language or "": o.value
                for p, o in about.get(cls_uri, ())
                if p == RDFS_LABEL and isinstance(o, ox.Literal)
            }
            type_labels[kind] = names
        return cls(entities, isco, base, type_labels)

    # ------------------------------------------------------------------------ derived data

    def _abbreviations(self) -> dict[str, tuple[str, ...]]:
        """Folded abbreviation -> stems of its expansion, from institution types.

        The expansion is the type's label in the abbreviation's own language (ЗТМО@kk: the
        Kazakh preferred label; a kk-Latn twin: the kk-Latn label that is not an
        abbreviation), else its Kazakh preferred label.
        """
        out: dict[str, tuple[str, ...]] = {}
        for e in self.entities:
            if e.type != "institution-type":
                continue
            spelled = dict(e.labels)
            for text, lang in e.alt_labels:
                if not _is_abbreviation(text):
                    spelled.setdefault(lang, text)
            for text, lang in e.alt_labels:
                expansion = spelled.get(lang) or spelled.get("kk")
                if _is_abbreviation(text) and expansion:
                    out[fold(text)] = tuple(stem(w) for w in fold(expansion).split())
        return out

    def _keys(self, folded: str) -> tuple[str, ...]:
        """Stems of a folded text; known abbreviations are kept whole."""
        return tuple(w if w in self.abbreviations else stem(w) for w in folded.split())

    def _expand(self, stems: tuple[str, ...]) -> tuple[str, ...] | None:
        """The stems with every abbreviation spelled out (None if there is none)."""
        if not any(s in self.abbreviations for s in stems):
            return None
        out: list[str] = []
        for s in stems:
            out.extend(self.abbreviations.get(s, (s,)))
        return tuple(out)

    def texts(self, e: Entity) -> Iterator[str]:
        """Every text an entity can be found by."""
        for text, _lang in self.tagged_texts(e):
            yield text

    def tagged_texts(self, e: Entity) -> Iterator[tuple[str, str]]:
        """Every text an entity can be found by, with its language tag ("" if none).

        A position is also found by its occupation's names (see borrowed_texts)."""
        yield from ((text, lang) for lang, text in e.labels.items())
        yield from e.alt_labels
        yield from e.hidden_labels
        if e.notation and e.type not in ("position", "grade", "tier", "block"):
            yield e.notation, ""  # identifiers such as ZTMO; register codes are matched as codes
        for _, uri in e.mappings:
            if uri in self.isco:
                yield f"ISCO {self.isco[uri].code}", ""

    def borrowed_texts(self, e: Entity) -> Iterator[tuple[str, str]]:
        """A position's texts that are its occupation's: they score BORROWED of a match, so
        a title's own words win a tie ("научный сотрудник": the researcher, not the chief
        researcher, though both are of the occupation "Научный сотрудник")."""
        if e.type != "position":
            return
        for ref in e.links.get("occupation", ()):
            occupation = self.by_id.get(ref)
            if occupation is not None:
                for lang in ("kk", "ru"):
                    if lang in occupation.labels:
                        yield occupation.labels[lang], lang
                yield from occupation.hidden_labels

    def _stems_of(self, text: str, lang: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """Stems of a label in its language, and those met only inside parentheses."""
        folded = fold(text)
        if lang == "ru":
            stems = tuple(stem_ru(w) for w in folded.split())
            outer = {stem_ru(w) for w in fold(_PAREN_RE.sub(" ", text)).split()}
        else:
            stems = self._keys(folded)
            outer = set(self._keys(fold(_PAREN_RE.sub(" ", text))))
        return stems, frozenset(stems) - outer if "(" in text else frozenset()

    def _build_docs(self) -> None:
        for i, e in enumerate(self.entities):
            seen: set[tuple[str, ...]] = set()
            for text, lang in self.tagged_texts(e):
                stems, inner = self._stems_of(text, lang)
                if not stems:
                    continue
                variants: list[tuple[tuple[str, ...], str | None]] = [(stems, fold(text))]
                expanded = self._expand(stems)
                if expanded is not None:
                    variants.append((expanded, None))
                for variant, key in variants:
                    if variant in seen and key is None:
                        continue
                    seen.add(variant)
                    self._add_doc(i, text, variant, key, inner)
            for text, lang in self.borrowed_texts(e):
                stems, inner = self._stems_of(text, lang)
                if stems and stems not in seen:
                    seen.add(stems)
                    self._add_doc(i, text, stems, fold(text), inner, BORROWED)
            for text, variant in self._narrower_kinds(e):
                if variant not in seen:
                    seen.add(variant)
                    self._add_doc(i, text, variant, None, frozenset())

    def _add_doc(
        self,
        entity: int,
        text: str,
        stems: tuple[str, ...],
        key: str | None,
        inner: frozenset,
        factor: float = 1.0,
    ) -> None:
        unique = tuple(dict.fromkeys(stems))
        doc = len(self._docs)
        is_open = any(set(marker) <= set(unique) for marker in OPEN_MARKERS)
        self._docs.append(_Doc(entity, text, unique, key, inner, factor, is_open))
        for s in unique:
            self._postings[s].append(doc)

    def _narrower_kinds(self, e: Entity) -> Iterator[tuple[str, tuple[str, ...]]]:
        """A position's title with its kind of institution replaced by each narrower kind.

        The law lists kinds in parentheses ("уақытша болу ұйымы (... түнде болу үйлері ...)");
        the curated institution types keep them as skos:narrower concepts. So the head of a
        temporary-stay organisation is found as the head of a night-stay house, in Kazakh
        and in Russian. Parentheses of the narrower kind's label are left out."""
        if e.type != "position":
            return
        for ref in e.links.get("institution-type", ()):
            kind = self.by_id.get(ref)
            if kind is None:
                continue
            for narrower in self._narrower.get(ref, ()):
                for lang in ("kk", "ru"):
                    title, broad, name = (
                        e.labels.get(lang),
                        kind.labels.get(lang),
                        narrower.labels.get(lang),
                    )
                    if not (title and broad and name):
                        continue
                    title_stems, _ = self._stems_of(title, lang)
                    broad_stems, _ = self._stems_of(_PAREN_RE.sub(" ", broad), lang)
                    if not set(broad_stems) <= set(title_stems):
                        continue
                    name_stems, _ = self._stems_of(_PAREN_RE.sub(" ", name), lang)
                    rest = tuple(st for st in title_stems if st not in broad_stems)
                    yield f"{title} ({narrower.label(lang)})", name_stems + rest

    def _entity_stems(self) -> Iterator[set[str]]:
        per_entity: dict[int, set[str]] = defaultdict(set)
        for d in self._docs:
            per_entity[d.entity].update(d.stems)
        return iter(per_entity.values())

    def weight(self, s: str) -> float:
        w = self._idf.get(s, self._unknown_weight)
        return w * _STOPWORD_WEIGHT if s in STOPWORDS else w

    # ------------------------------------------------------------------------ matching

    def _matches(self, q: str) -> tuple[tuple[str, float], ...]:
        """Index stems a query stem matches, with the quality of each match (0-1]."""
        found: dict[str, float] = {}
        if q in self._postings:
            found[q] = 1.0
        if len(q) >= 3 and not q.isdigit():
            i = bisect_left(self._vocabulary, q)
            while i < len(self._vocabulary) and self._vocabulary[i].startswith(q):
                s = self._vocabulary[i]
                if s != q:
                    found[s] = max(found.get(s, 0), 0.5 + 0.4 * len(q) / len(s))
                i += 1
            for cut in range(max(4, len(q) - 3), len(q)):
                if q[:cut] in self._postings:
                    found[q[:cut]] = max(found.get(q[:cut], 0), 0.85)
        if len(q) >= 5 and not q.isdigit():
            for n in (len(q) - 1, len(q), len(q) + 1):
                for s in self._by_length.get(n, ()):
                    if s not in found and _one_edit(q, s):
                        found[s] = 0.8
        return tuple(found.items())

    def search(
        self,
        text: str,
        types: Collection[str] | None = None,
        limit: int | None = 20,
        min_score: float = MIN_SCORE,
    ) -> list[Hit]:
        """Entities matching `text`, best first; `types` restricts them (None: all types).

        Hits under `min_score` are dropped: a word shared with a long title is not a hit.
        """
        key = frozenset(types) if types else None
        return list(self._search_cached(text, key, limit, min_score))

    def _search(
        self, text: str, types: frozenset[str] | None, limit: int | None, min_score: float
    ) -> tuple[Hit, ...]:
        query = parse_query(text)
        if query.empty:
            return ()
        facts, query = self.read_facts(query)
        scores: dict[int, tuple[float, str]] = {}
        if query.stems:
            scores = self._word_scores(query, min_score)
        if query.codes:
            code_hits: dict[int, tuple[float, str]] = {}
            for i, e in enumerate(self.entities):
                if e.notation and e.type in ("position", "grade", "tier", "block"):
                    best = max(code_score(c, e.notation) for c in query.codes)
                    if best:
                        code_hits[i] = (best, e.notation)
            if query.stems:  # codes restrict the word matches
                scores = {i: s for i, s in scores.items() if i in code_hits}
            else:
                scores = code_hits
        hits = [
            Hit(self.entities[i], round(score, 1), matched, self.meets(self.entities[i], facts))
            for i, (score, matched) in scores.items()
            if score >= min_score and (not types or self.entities[i].type in types)
        ]
        # a deprecated entity ranks below every active one, whatever its score
        hits.sort(key=lambda h: (h.entity.deprecated, -h.fits, -h.score, h.entity.order))
        return tuple(hits[:limit] if limit else hits)

    # ------------------------------------------------------------------------ facts

    def _fact_labels(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(kind, id, stems) of every label of the categories and qualification levels,
        longest first: the words a query may name them by ("второй категории")."""
        out = []
        for e in self.entities:
            if e.type not in FACT_KINDS:
                continue
            texts = [(t, lang) for lang, t in e.labels.items()] + e.alt_labels + e.hidden_labels
            for text, lang in texts:
                stems, _ = self._stems_of(text, lang)
                if stems:
                    out.append((e.type, e.id, tuple(dict.fromkeys(stems))))
        out.sort(key=lambda item: -len(item[2]))
        return out

    def read_facts(self, query: Query) -> tuple[dict[str, str], Query]:
        """The category and qualification level a query names, and the query without them.

        A fact is read only when every word of one of its labels is in the query, side by
        side, and words are left over: "врач второй категории" asks for a doctor of the second category;
        "бірінші санат" alone asks for the category itself."""
        keys = [word_keys(w) for w in query.words]
        found: list[tuple[str, str, frozenset[int]]] = []  # every label that stands in the query
        for kind, ident, stems in self._facts:
            n = len(stems)
            for first in range(len(keys) - n + 1):
                window = list(range(first, first + n))
                if _covers(stems, [keys[i] for i in window]):
                    found.append((kind, ident, frozenset(window)))
        # the reading that explains most words with one value per kind, and leaves some over
        best: tuple[int, dict[str, str], frozenset[int]] = (0, {}, frozenset())

        def choose(i: int, facts: dict[str, str], used: frozenset[int]) -> None:
            nonlocal best
            if len(used) > best[0] and len(used) < len(keys):
                best = (len(used), dict(facts), used)
            for j in range(i, len(found)):
                kind, ident, window = found[j]
                if kind not in facts and not window & used:
                    choose(j + 1, {**facts, kind: ident}, used | window)

        choose(0, {}, frozenset())
        _, facts, used = best
        if not facts:
            return {}, query
        rest = parse_query(" ".join(w for i, w in enumerate(query.words) if i not in used))
        return facts, replace(rest, text=query.text, codes=query.codes)

    def facts_of(self, e: Entity) -> dict[str, str]:
        """The facts that tell grades apart, of a position or grade (a position's own
        qualification level wins over its grade's)."""
        out: dict[str, str] = {}
        grade = self.by_id.get(e.links["grade"][0]) if e.links.get("grade") else None
        for kind in (*FACT_KINDS, "significance-level", "sector"):
            values = e.links.get(kind) or (grade.links.get(kind) if grade else None)
            if values:
                out[kind] = values[0]
        return out

    def meets(self, e: Entity, facts: dict[str, str]) -> int:
        """1 if the entity has every fact asked for, else 0 (entities without them: 0)."""
        if not facts:
            return 0
        have = self.facts_of(e)
        return int(all(have.get(kind) == ident for kind, ident in facts.items()))

    # ------------------------------------------------------------------------ scoring

    def _word_scores(self, query: Query, min_score: float) -> dict[int, tuple[float, str]]:
        """Best word score and label per entity, term at a time over the postings.

        Only (document, query word) pairs that match are touched, so a common word such as
        "басшы" costs its postings once, not once per word of every candidate title.
        """
        variants = [[query.keys_of(i) for i in range(len(query.stems))]]
        expanded = self._expand(query.stems)
        if expanded is not None:
            variants.append([(x,) for x in dict.fromkeys(expanded)])
        best: dict[int, tuple[float, str]] = {}
        weights = self._weights
        for terms in variants:
            term_weights = []
            found: dict[int, dict[int, tuple[float, str]]] = {}  # doc -> term -> (quality, stem)
            term_matches = []
            for keys in terms:
                matches: dict[str, float] = {}
                for q in keys:
                    for s, quality in self._term_matches(q):
                        if quality > matches.get(s, 0.0):
                            matches[s] = quality
                known = [weights[q] for q in keys if q in weights]
                weight = max(known) if known else self._fallback_weight(tuple(matches.items()))
                term_weights.append(weight)
                term_matches.append(matches)
            self._reweigh(terms, term_weights, [not m for m in term_matches])
            for t, matches in enumerate(term_matches):
                for s, quality in matches.items():
                    for d in self._postings[s]:
                        slot = found.get(d)
                        if slot is None:
                            found[d] = {t: (quality, s)}
                        elif t not in slot or quality > slot[t][0]:
                            slot[t] = (quality, s)
            asked = any(k in DEPUTY_WORDS for keys in terms for k in keys)
            deputy_docs = None if asked else self._deputy_docs
            total = sum(term_weights) or 1.0
            # a document whose recall alone keeps it under min_score needs no precision
            floor = total * math.sqrt(min_score / 100.0)
            docs, doc_weight = self._docs, self._doc_weight
            for d, slot in found.items():
                doc = docs[d]
                if doc.key is not None and doc.key == query.key:
                    score = 100.0
                else:
                    got = 0.0
                    covered: dict[str, float] = {}
                    for t, (quality, s) in slot.items():
                        if s in doc.inner:
                            quality *= PAREN_QUALITY
                        got += term_weights[t] * quality
                        if quality > covered.get(s, 0.0):
                            covered[s] = quality
                    if got < floor and not doc.open:
                        continue
                    precision = 0.0
                    for s, quality in covered.items():
                        precision += weights[s] * quality
                    recall = got / total
                    if doc.open:  # the missing words may name the specialty
                        missing = sum(w for t, w in enumerate(term_weights) if t not in slot)
                        recall = got / (total - (1 - OPEN_SHARE) * missing)
                    precision /= doc_weight[d]
                    score = min(99.0, 100.0 * recall * recall * (0.55 + 0.45 * precision))
                score *= doc.factor
                if deputy_docs is not None and d in deputy_docs:
                    score *= NOT_ASKED
                previous = best.get(doc.entity)
                if previous is None or score > previous[0]:
                    best[doc.entity] = (score, doc.label)
        return best

    @staticmethod
    def _reweigh(
        terms: list[tuple[str, ...]], term_weights: list[float], unknown: list[bool]
    ) -> None:
        """Soft words weigh a share of the lightest other word; so do words the register
        never uses when others are found ("учитель казахского языка": a teacher; a word
        alone that nothing matches still finds nothing); the first two other words weigh
        more than the rest (in place)."""
        soft = [any(q in SOFT_WORDS for q in keys) for keys in terms]
        hard = [
            w
            for w, is_soft, gone in zip(term_weights, soft, unknown, strict=True)
            if not is_soft and not gone
        ]
        lead = 0
        for t, is_soft in enumerate(soft):
            if is_soft:
                term_weights[t] = _SOFT_WEIGHT * min(hard or [term_weights[t]])
            elif unknown[t] and hard:
                term_weights[t] = _UNKNOWN_SHARE * min(hard)
            elif len(hard) > 1 and lead < len(LEADING_WEIGHTS) and not unknown[t]:
                term_weights[t] *= LEADING_WEIGHTS[lead]
                lead += 1

    def _fallback_weight(self, matches: tuple[tuple[str, float], ...]) -> float:
        """A query word missing from the index weighs as its best near match, else a lot."""
        if not matches:
            return self._unknown_weight
        return max(self._weights[s] for s, _ in matches)

    # ------------------------------------------------------------------------ results

    def group(self, hits: Iterable[Hit]) -> list[Group]:
        """Hits of one type with the same normalised Kazakh title, grades side by side."""
        groups: dict[tuple[str, str], list[Hit]] = {}
        for h in hits:
            groups.setdefault((h.entity.type, fold(h.entity.label("kk"))), []).append(h)
        out = []
        for (kind, _), members in groups.items():
            members.sort(key=lambda h: (-h.fits, natural_key(h.entity.notation or h.entity.id)))
            score = max(h.score for h in members)
            title = members[0].entity.label("kk")
            out.append(Group(title, kind, score, tuple(members)))
        out.sort(
            key=lambda g: (
                all(h.entity.deprecated for h in g.hits),
                -g.hits[0].fits,
                -g.score,
                min(h.entity.order for h in g.hits),
            )
        )
        return out

    def type_name(self, kind: str, lang: str = "en") -> str:
        """The name of an entity type in `lang` (the ontology's label), else its id."""
        names = self.type_labels.get(kind, {})
        return names.get(lang) or names.get("en") or kind

    def entity(self, ref: str) -> Entity | None:
        """An entity by id ("position/C2.02"), by URI, or by a notation that is unique."""
        ref = (ref or "").strip()
        found = self.by_id.get(ref) or self.by_uri.get(ref)
        if found is None and len(self.by_notation.get(ref, ())) == 1:
            found = self.by_notation[ref][0]
        return found

    def isco_codes(self, e: Entity) -> list[tuple[str, str, IscoGroup]]:
        """(relation, via, ISCO group) of an entity's own mappings and its occupations'.

        A mapping limited to qualification levels applies to a position only if the
        position has one of them (its own kg:qualificationLevel).
        """
        out = []
        levels = set(e.links.get("qualification-level", ()))
        sources = [e] + [self.by_id[o] for o in e.links.get("occupation", ()) if o in self.by_id]
        for source in sources:
            for relation, uri in source.mappings:
                limited = source.mapping_levels.get((relation, uri))
                if uri in self.isco and (not limited or source is e or limited & levels):
                    out.append((relation, source.id, self.isco[uri]))
        return out


def _covers(stems: tuple[str, ...], words: list[tuple[str, ...]]) -> bool:
    """True if each stem is a key of its own word (the words in any order)."""
    free = list(words)
    for st in stems:
        i = next((i for i, keys in enumerate(free) if st in keys), None)
        if i is None:
            return False
        free.pop(i)
    return True


def _one_edit(a: str, b: str) -> bool:
    """True if a and b differ by one insertion, deletion, substitution or transposition."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


# ---------------------------------------------------------------------------- result rows

#: Facts that may tell the grades of one title apart, in the order chips show them.
CHIP_FACTS = ("qualification-level", "category", "significance-level", "sector", "institution-type")


@dataclass(frozen=True, slots=True)
class Filters:
    """Narrowing of results to a sector, a block or a kind of institution (ids)."""

    sector: str = ""
    block: str = ""
    institution_type: str = ""

    def __bool__(self) -> bool:
        return bool(self.sector or self.block or self.institution_type)


@dataclass(frozen=True, slots=True)
class Chip:
    """One grade of a title, with the facts that set it apart from the title's other grades."""

    hit: Hit
    grade: str
    facts: tuple[tuple[str, Entity], ...]  # (property id, the linked entity)


@dataclass(frozen=True, slots=True)
class Rows:
    """Search results as people read them: one row per title, occupations apart."""

    groups: list[Group]  # positions and other register entities, one row per title
    occupations: list[Group]  # the jobs, listed apart
    facts: dict[str, str]  # what the query's words were read as (kind -> id)


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _passes(index: SearchIndex, e: Entity, f: Filters) -> bool:
    if not f:
        return True
    if e.type not in ("position", "grade"):
        return False
    facts = index.facts_of(e)
    if f.sector and facts.get("sector", "").rpartition("/")[2] != f.sector.rpartition("/")[2]:
        return False
    if f.block and not e.grade_notation.upper().startswith(f.block.upper()[:1]):
        return False
    if f.institution_type:
        wanted = f.institution_type.rpartition("/")[2]
        kinds = set(e.links.get("institution-type", ()))
        todo = list(kinds)
        while todo:  # a kind counts as each of its broader kinds (ZTMO is an MM)
            k = index.by_id.get(todo.pop())
            for b in k.links.get("broader", ()) if k else ():
                if b not in kinds:
                    kinds.add(b)
                    todo.append(b)
        if wanted not in {k.rpartition("/")[2] for k in kinds}:
            return False
    return True


def result_rows(index: SearchIndex, text: str, hits: list[Hit], filters: Filters) -> Rows:
    """Hits as rows: titles of positions (and other entities) one row each, occupations apart."""
    query = parse_query(text)
    facts = index.read_facts(query)[0] if not query.empty else {}
    kept = [h for h in hits if _passes(index, h.entity, filters)]
    groups = index.group(h for h in kept if h.entity.type != "occupation")
    occupations = index.group(h for h in kept if h.entity.type == "occupation")
    if not groups:  # only occupations found (or asked for): they are the rows
        groups, occupations = occupations, []
    return Rows(groups, occupations, facts)


def chips(index: SearchIndex, group: Group) -> list[Chip]:
    """The grades of a title, each with the facts that differ between them (a nurse: the
    qualification level and the category; a head in block A: the significance level)."""
    facts = [index.facts_of(h.entity) for h in group.hits]
    kinds = [k for k in CHIP_FACTS if len({f.get(k) for f in facts}) > 1]
    out = []
    for h, f in zip(group.hits, facts, strict=True):
        linked = tuple((k, index.by_id[f[k]]) for k in kinds if f.get(k) in index.by_id)
        out.append(Chip(h, h.entity.grade_notation or h.entity.notation, linked))
    return out


def nearest_titles(index: SearchIndex, text: str, n: int = 5) -> list[Entity]:
    """Positions whose title (or everyday name) is spelled most like `text`, one per title:
    the suggestions of a "no such position" answer."""
    if not fold(text):
        return []
    wanted = _trigrams(fold(text))
    ranked = []
    for e, names in _title_grams(index):
        score = max(2 * len(wanted & grams) / (len(wanted) + len(grams) or 1) for grams in names)
        ranked.append((-score, e.order, e))
    ranked.sort(key=lambda item: item[:2])
    return [e for score, _, e in ranked[:n] if score < 0]


def _title_grams(index: SearchIndex) -> list[tuple[Entity, list[set[str]]]]:
    """Per title (its first current position), the trigrams of each of its preferred names;
    made once per index (the index never changes while served)."""
    found = getattr(index, "_title_grams", None)
    if found is None:
        seen: dict[str, tuple[Entity, list[set[str]]]] = {}
        for e in index.entities:
            if e.type != "position" or e.deprecated or fold(e.label("kk")) in seen:
                continue
            names = [e.labels[x] for x in ("kk", "ru") if x in e.labels]
            seen[fold(e.label("kk"))] = (e, [_trigrams(fold(name)) for name in names])
        found = list(seen.values())
        index._title_grams = found  # type: ignore[attr-defined]
    return found


def resolve_words(index: SearchIndex, kind: str, text: str) -> list[str]:
    """Ids of the entities of `kind` that a value given in words names, in any language:
    every word of the value is a word of one of the entity's labels ("орташа", "средний" and
    "medium" name the medium qualification level; "бірінші", "первая", "first" the first
    category). Ids and notations are matched by the caller."""
    words = fold(text).split()
    if not words:
        return []
    wanted = [set(word_keys(w)) | {w} for w in words]
    out = []
    for e in index.entities:
        if e.type != kind:
            continue
        texts = [(t, lang) for lang, t in e.labels.items()] + e.alt_labels + e.hidden_labels
        for label, lang in texts:
            proper = _PAREN_RE.sub(" ", label)  # not the asides: "(города областного значения)"
            stems, _ = index._stems_of(proper, lang)
            have = set(stems) | set(fold(proper).split())
            if all(keys & have for keys in wanted):
                out.append(e.id)
                break
    return out
