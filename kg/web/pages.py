"""Page data: what the home, browse and concept pages show, and each resource's RDF description.

Why a service apart from the web handlers: the data of a page is assembled from SPARQL queries
through a repository (kg.query.store.Repository in the server, kg.query.local_store.LocalRepository for a
static export or a test), so the same code serves both and route handlers stay thin. Every
method returns plain dataclasses; templates and JSON twins render them.

The RDF description of a resource (`describe`) is a concise bounded description: its own
triples, its source quotes with their selectors, and the labels and notations of everything
it links to, so a client can show the links without fetching each one. The HTML page of a
resource is built from that description plus a few queries (breadcrumb, decisions, incoming
links).

Publication resources (catalog, dataset, VoID, publisher) are not in the store: their
triples come from the release's catalog.ttl and void.ttl (kg.release.catalog.read_publication).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyoxigraph as ox

from kg.curate.notation import natural_key
from kg.query.store import Term
from kg.rdf.terms import Value, plain
from kg.uris import KG, ONTOLOGY_IRI, Uris


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate where shown"
    """Marks an English message for the catalogs (kg.web.i18n); templates translate it."""
    return message


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ELI = "http://data.europa.eu/eli/ontology#"
OA = "http://www.w3.org/ns/oa#"
FOAF = "http://xmlns.com/foaf/0.1/"
OWL = "http://www.w3.org/2002/07/owl#"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
ADMS = "http://www.w3.org/ns/adms#"
PAV = "http://purl.org/pav/"
SSSOM = "https://w3id.org/sssom/"
KGNS = str(KG)
VOCABULARY = str(ONTOLOGY_IRI)

PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "dct": DCT,
    "prov": PROV,
    "eli": ELI,
    "oa": OA,
    "foaf": FOAF,
    "dcat": DCAT,
    "void": VOID,
    "spdx": SPDX,
    "kg": KGNS,
}
_SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

#: Properties whose values name a thing; their values in other languages are listed too.
LABEL_PROPERTIES = (
    SKOS + "prefLabel",
    DCT + "title",
    ELI + "title",
    FOAF + "name",
    RDFS + "label",
)
#: Languages in the order a page shows them: Kazakh (the law's language) first.
LANGUAGES = ("kk", "ru", "en")
UNOFFICIAL = ("ru", "en")

#: English names of properties from outside the register's vocabulary (kg: labels come
#: from the ontology itself).
PROPERTY_LABELS = {
    RDF + "type": N_("type"),
    RDFS + "label": N_("label"),
    RDFS + "comment": N_("comment"),
    RDFS + "seeAlso": N_("see also"),
    RDFS + "subClassOf": N_("subclass of"),
    RDFS + "subPropertyOf": N_("subproperty of"),
    RDFS + "domain": N_("domain"),
    RDFS + "range": N_("range"),
    OWL + "inverseOf": N_("inverse of"),
    OWL + "versionInfo": N_("version"),
    SKOS + "prefLabel": N_("preferred label"),
    SKOS + "altLabel": N_("alternative label"),
    SKOS + "hiddenLabel": N_("hidden label"),
    SKOS + "notation": N_("notation"),
    SKOS + "definition": N_("definition"),
    SKOS + "note": N_("note"),
    SKOS + "editorialNote": N_("editorial note"),
    SKOS + "broader": N_("broader"),
    SKOS + "narrower": N_("narrower"),
    SKOS + "inScheme": N_("in scheme"),
    SKOS + "topConceptOf": N_("top concept of"),
    SKOS + "hasTopConcept": N_("top concepts"),
    DCT + "title": N_("title"),
    DCT + "description": N_("description"),
    DCT + "source": N_("source"),
    DCT + "format": N_("format"),
    DCT + "language": N_("language"),
    DCT + "license": N_("licence"),
    DCT + "publisher": N_("publisher"),
    DCT + "issued": N_("issued"),
    DCT + "modified": N_("modified"),
    DCT + "spatial": N_("spatial coverage"),
    DCT + "identifier": N_("identifier"),
    DCT + "conformsTo": N_("conforms to"),
    PROV + "wasDerivedFrom": N_("derived from"),
    FOAF + "name": N_("name"),
    FOAF + "homepage": N_("homepage"),
    FOAF + "primaryTopic": N_("primary topic"),
    ELI + "id_local": N_("number"),
    ELI + "type_document": N_("kind of act"),
    ELI + "date_document": N_("date"),
    ELI + "date_publication": N_("publication date"),
    ELI + "first_date_entry_in_force": N_("entry into force"),
    ELI + "passed_by": N_("passed by"),
    ELI + "amends": N_("amends"),
    ELI + "amended_by": N_("amended by"),
    ELI + "repeals": N_("repeals"),
    ELI + "repealed_by": N_("repealed by"),
    ELI + "consolidates": N_("consolidates"),
    ELI + "consolidated_by": N_("consolidated by"),
    ELI + "is_realized_by": N_("realised by"),
    ELI + "realizes": N_("realises"),
    ELI + "is_embodied_by": N_("embodied by"),
    ELI + "embodies": N_("embodies"),
    ELI + "language": N_("language"),
    ELI + "title": N_("title"),
    OA + "hasSource": N_("source text"),
    OA + "hasSelector": N_("selector"),
    OA + "exact": N_("exact text"),
    OA + "prefix": N_("text before"),
    OA + "suffix": N_("text after"),
    OA + "start": N_("start offset"),
    OA + "end": N_("end offset (exclusive)"),
    DCAT + "dataset": N_("dataset"),
    DCAT + "service": N_("data service"),
    DCAT + "distribution": N_("distribution"),
    DCAT + "downloadURL": N_("download URL"),
    DCAT + "accessURL": N_("access URL"),
    DCAT + "mediaType": N_("media type"),
    DCAT + "byteSize": N_("size (bytes)"),
    DCAT + "keyword": N_("keyword"),
    DCAT + "theme": N_("theme"),
    DCAT + "version": N_("version"),
    DCAT + "landingPage": N_("landing page"),
    DCAT + "endpointURL": N_("endpoint URL"),
    DCAT + "endpointDescription": N_("endpoint description"),
    DCAT + "servesDataset": N_("serves dataset"),
    SPDX + "checksum": N_("checksum"),
    SPDX + "algorithm": N_("algorithm"),
    SPDX + "checksumValue": N_("checksum value"),
    VOID + "triples": N_("triples"),
    VOID + "entities": N_("entities"),
    VOID + "classes": N_("classes"),
    VOID + "properties": N_("properties"),
    VOID + "distinctSubjects": N_("distinct subjects"),
    VOID + "distinctObjects": N_("distinct objects"),
    VOID + "sparqlEndpoint": N_("SPARQL endpoint"),
    VOID + "dataDump": N_("data dump"),
    VOID + "uriSpace": N_("URI space"),
    VOID + "vocabulary": N_("vocabulary"),
    VOID + "rootResource": N_("root resource"),
    VOID + "exampleResource": N_("example resource"),
    VOID + "classPartition": N_("class partition"),
    VOID + "class": N_("class"),
    VOID + "feature": N_("feature"),
    DCT + "created": N_("created"),
    DCT + "hasVersion": N_("has version"),
    DCT + "isVersionOf": N_("version of"),
    DCAT + "hasVersion": N_("has version"),
    DCAT + "isVersionOf": N_("version of"),
    DCAT + "hasCurrentVersion": N_("current version"),
    DCAT + "previousVersion": N_("previous version"),
    ADMS + "versionNotes": N_("version notes"),
    PAV + "authoredBy": N_("mapped by"),
    OWL + "annotatedSource": N_("occupation"),
    OWL + "annotatedProperty": N_("kind of match"),
    OWL + "annotatedTarget": N_("ISCO-08 unit group"),
    OWL + "deprecated": N_("no longer in force"),
    DCT + "isReplacedBy": N_("replaced by"),
    DCT + "replaces": N_("replaces"),
    SKOS + "exactMatch": N_("ISCO-08 (exact match)"),
    SKOS + "closeMatch": N_("ISCO-08 (close match)"),
    SKOS + "broadMatch": N_("ISCO-08 (broader group)"),
    SKOS + "narrowMatch": N_("ISCO-08 (narrower group)"),
    SKOS + "relatedMatch": N_("related match"),
    SKOS + "scopeNote": N_("scope note"),
    SKOS + "example": N_("example"),
    SSSOM + "mapping_justification": N_("how it was mapped"),
    SSSOM + "mappings": N_("mappings"),
    SSSOM + "object_source": N_("target classification"),
    SSSOM + "object_source_version": N_("target classification version"),
    SSSOM + "subject_source": N_("source classification"),
}
#: The register's structure, shown as "facts" in this order.
FACT_PROPERTIES = tuple(
    KGNS + p
    for p in (
        "block",
        "tier",
        "grade",
        "step",
        "sector",
        "qualificationLevel",
        "category",
        "institutionType",
        "significanceLevel",
        "rank",
        "decisionKind",
    )
)
#: Shown in their own sections (header, hierarchy, quotes, decisions), not as statements.
#: A deprecated concept's status, shown at the top of its page.
_STATUS_PROPERTIES = (OWL + "deprecated", DCT + "isReplacedBy", SKOS + "historyNote")
_SHOWN_ELSEWHERE = {
    *LABEL_PROPERTIES,
    *FACT_PROPERTIES,
    *_STATUS_PROPERTIES,
    RDF + "type",
    SKOS + "notation",
    SKOS + "definition",
    SKOS + "editorialNote",
    SKOS + "broader",
    SKOS + "narrower",
    SKOS + "hasTopConcept",
    SKOS + "topConceptOf",
    SKOS + "inScheme",
    KGNS + "sourceQuote",
    KGNS + "editorialDecision",
    KGNS + "unofficialLabelLanguage",
    KGNS + "quoteRole",
    KGNS + "officialText",
    KGNS + "lawSays",
    KGNS + "weRecord",
}
#: Incoming links not worth listing: inverses stated on the page itself, or links every
#: concept has (scheme membership, provenance, the derived block/tier/grade shortcuts).
_INCOMING_SKIPPED = (
    RDF + "type",
    SKOS + "broader",
    SKOS + "narrower",
    SKOS + "inScheme",
    SKOS + "topConceptOf",
    SKOS + "hasTopConcept",
    PROV + "wasDerivedFrom",
    DCT + "source",
    KGNS + "block",
    KGNS + "tier",
    KGNS + "grade",
    KGNS + "affects",
    KGNS + "editorialDecision",
    ELI + "amends",
    ELI + "amended_by",
    ELI + "repeals",
    ELI + "repealed_by",
    ELI + "consolidates",
    ELI + "consolidated_by",
    ELI + "realizes",
    ELI + "is_realized_by",
    ELI + "embodies",
    ELI + "is_embodied_by",
    RDFS + "seeAlso",
    RDFS + "domain",
    RDFS + "range",
)
#: Heading of the children list, per kind.
_CHILDREN = {
    "scheme": N_("Top concepts"),
    "block": N_("Tiers"),
    "tier": N_("Grades"),
    "grade": N_("Positions"),
}
#: What a page is about, in plain words, per route kind (kg.web.routes); shown as its badge.
KIND_NAMES = {
    "scheme": N_("Classification"),
    "block": N_("Block"),
    "tier": N_("Tier"),
    "grade": N_("Grade"),
    "position": N_("Position"),
    "institution-type": N_("Institution type"),
    "significance-level": N_("Significance level"),
    "sector": N_("Sector"),
    "qualification-level": N_("Qualification level"),
    "category": N_("Category"),
    "decision-kind": N_("Kind of editorial decision"),
    "occupation": N_("Occupation"),
    "mapping": N_("Link to ISCO-08"),
    "expression": N_("Language version of a legal act"),
    "act": N_("Legal act"),
    "agent": N_("Minister or ministry"),
    "decision": N_("Editorial decision"),
    "quote": N_("Quote from the law"),
    "source": N_("Text of the law"),
    "catalog": N_("Data catalogue"),
    "dataset": N_("Dataset"),
    "void": N_("Dataset statistics"),
    "publisher": N_("Publisher"),
    "changes": N_("What changed"),
    "vocabulary": N_("Vocabulary"),
}
#: What a quote is of the law (kg:quoteRole), in plain words.
QUOTE_ROLES = {
    "abbreviation": N_("abbreviation"),
    "amendment-note": N_("note on an amendment"),
    "citation": N_("citation"),
    "code": N_("code"),
    "column-headings": N_("column headings"),
    "definition": N_("definition"),
    "descriptor": N_("description"),
    "entry-into-force": N_("entry into force"),
    "first-mention": N_("first mention"),
    "heading": N_("heading"),
    "identification": N_("identification"),
    "law-text": N_("text of the law"),
    "note-heading": N_("heading of a note"),
    "preamble-amendment": N_("amendment of the preamble"),
    "repeal": N_("repeal"),
    "step": N_("step"),
    "title": N_("title"),
    "": N_("quote"),
}
#: Kinds of change between releases (kg.release.changes.KINDS), in plain words.
CHANGE_KINDS = {
    "added": N_("added"),
    "removed": N_("removed"),
    "deprecated": N_("no longer in force"),
    "moved": N_("moved"),
    "relabelled": N_("renamed"),
    "mappings": N_("ISCO-08 links"),
}
#: Most incoming links listed per property on a page (the count says how many there are).
INCOMING_SHOWN = 200

#: schema.org type per SKOS role (concept pages and the home page carry this JSON-LD).
_SCHEMA_ORG = "https://schema.org"


class Repository(Protocol):
    """What the page service needs: kg.query.store.Repository or kg.query.local_store.LocalRepository."""

    async def select(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, Value]]: ...

    async def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool: ...

    async def construct(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[ox.Triple]: ...


# ---------------------------------------------------------------------------- values


@dataclass
class Text:
    """A literal as shown: its text and language (or short datatype)."""

    text: str
    lang: str | None = None
    datatype: str | None = None
    unofficial: bool = False


@dataclass
class Link:
    """A resource as shown: where it links to and what it is called."""

    iri: str
    href: str
    label: str
    notation: str | None = None
    lang: str | None = None
    #: Its names by language when known, so a page can name it in the reader's language.
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class Statement:
    """One property of a resource with its values (links or texts), in display order."""

    property: str
    #: English name (a gettext message id, translated where it is shown).
    label: str
    links: list[Link] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    total: int | None = None
    #: The property's own names by language, from the vocabulary (they win over `label`).
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class Quote:
    iri: str
    href: str
    role: str
    exact: str
    prefix: str
    suffix: str
    start: int | None
    end: int | None
    note: str | None
    act: Link | None


@dataclass
class Decision:
    iri: str
    href: str
    label: str
    kind: Link | None
    law_says: str
    we_record: str
    why: str


@dataclass
class Section:
    """Another subject described in the same document (a vocabulary term, a distribution)."""

    iri: str
    anchor: str
    title: str
    types: list[Link]
    statements: list[Statement]
    lang: str | None = None


@dataclass
class ConceptPage:
    iri: str
    path: str
    kind: str
    title: str
    labels: list[Text]
    notation: str | None
    types: list[Link]
    definitions: list[Text]
    breadcrumb: list[Link]
    children: list[Link]
    children_label: str
    facts: list[Statement]
    quotes: list[Quote]
    decision: Decision | None
    decisions: list[Decision]
    notes: list[Text]
    statements: list[Statement]
    used_by: list[Statement]
    sections: list[Section]
    schema_org: dict[str, Any]
    #: owl:deprecated true: no longer a position of the register (amended away or split)
    deprecated: bool = False
    #: its successors (dct:isReplacedBy) and what happened (skos:historyNote)
    replaced_by: list[Link] = field(default_factory=list)
    history: list[Text] = field(default_factory=list)
    #: A tier's positions (its grades are its children): every grade's, in code order.
    positions: list[Link] = field(default_factory=list)
    #: Where the official text of an act is (Adilet), by language of the text (kk, ru).
    official: dict[str, str] = field(default_factory=dict)


@dataclass
class Act:
    link: Link
    number: str | None
    date: str | None
    kind: str | None
    title_kk: str | None
    #: The kind of act by language (kk, ru, en).
    kinds: dict[str, str] = field(default_factory=dict)


@dataclass
class Bar:
    """One rectangle of the structure picture (an icicle: blocks, tiers, grades)."""

    x: float
    y: float
    width: float
    height: float
    level: int
    block: str
    label: str
    title: str
    href: str
    positions: int
    show_label: bool


@dataclass
class HomePage:
    iri: str
    title: Text
    titles: list[Text]
    definition: str | None
    acts: list[Act]
    counts: dict[str, int]
    blocks: list[Link]
    figure: list[Bar]
    figure_width: float
    figure_height: float
    schema_org: dict[str, Any]


@dataclass
class BrowseGrade:
    link: Link
    positions: list[Link]


@dataclass
class BrowseTier:
    link: Link
    grades: list[BrowseGrade]


@dataclass
class BrowseGroup:
    """Tiers of a block, or of one sector of block B (sector None: no sector)."""

    sector: Link | None
    tiers: list[BrowseTier]


@dataclass
class BrowseBlock:
    link: Link
    label_en: str | None
    groups: list[BrowseGroup]
    positions: int


@dataclass
class AzEntry:
    """One title of the A-Z index and its positions (one per grade)."""

    title: str
    positions: list[Link]


@dataclass
class AzLetter:
    letter: str
    entries: list[AzEntry]


@dataclass
class BrowsePage:
    blocks: list[BrowseBlock]
    positions: int
    #: A-Z index of titles by language ("kk", "ru"), letters in that language's order.
    az: dict[str, list[AzLetter]] = field(default_factory=dict)


#: Alphabetical order of the Kazakh (Cyrillic) and Russian alphabets.
ALPHABETS = {
    "kk": "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ",
    "ru": "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
}


def alphabetical(text: str, lang: str) -> tuple[int, ...]:
    """A sort key that follows the language's alphabet (Ә after А, Қ after К in Kazakh)."""
    order = ALPHABETS.get(lang, "")
    return tuple(
        order.index(c) if c in order else len(order) + ord(c) for c in text.upper() if c.isalnum()
    )


def az_index(titles: Sequence[tuple[str, Link]], lang: str) -> list[AzLetter]:
    """Titles grouped by first letter, in the alphabet's order; one entry per title."""
    entries: dict[str, AzEntry] = {}
    for title, link in titles:
        entries.setdefault(title, AzEntry(title, [])).positions.append(link)
    letters: dict[str, AzLetter] = {}
    for title in sorted(entries, key=lambda t: alphabetical(t, lang)):
        first = next((c.upper() for c in title if c.isalnum()), "#")
        letters.setdefault(first, AzLetter(first, [])).entries.append(entries[title])
    for entry in entries.values():
        entry.positions.sort(key=lambda link: natural_key(link.notation or ""))
    return list(letters.values())


# ---------------------------------------------------------------------------- helpers


def _names(row: Mapping[str, Value], keys: Mapping[str, str]) -> dict[str, str]:
    """A thing's names by language from the columns of a query row (language -> column)."""
    return {lang: row[key].value for lang, key in keys.items() if key in row}


def _named_statement(prop: str, labels: Mapping[str, dict[str, str]]) -> Statement:
    """A statement named in plain words: the vocabulary's own labels, else our English name
    (translated by the catalogs), else a readable form of the property's local name, never
    a prefixed name."""
    names = {k: v for k, v in labels.get(prop, {}).items() if k in LANGUAGES}
    english = names.get("en") or PROPERTY_LABELS.get(prop) or _plain_name(prop)
    return Statement(prop, english, names=names)


def _plain_name(iri: str) -> str:
    """`http://...#scopeNote` -> "scope note": words, not a prefixed name."""
    local = iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    words = "".join(" " + c.lower() if c.isupper() else c for c in local).replace("_", " ")
    return words.strip() or iri


def _lang(term: Value) -> str | None:
    return term.language if isinstance(term, ox.Literal) else None


def _short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _pick(values: Sequence[Value]) -> Value | None:
    """The value to show first: Kazakh, then Russian, English, untagged, anything."""
    order = {lang: i for i, lang in enumerate(("kk", "ru", "en", None))}
    return min(values, key=lambda v: order.get(_lang(v), 9), default=None)


def _text(term: Value, unofficial: bool = False) -> Text:
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype else None
        shown = None if datatype in (None, XSD + "string", RDF + "langString") else _short(datatype)
        return Text(term.value, term.language, shown, unofficial)
    return Text(str(term))


def json_for_script(data: Any) -> str:
    """JSON safe inside <script type="application/ld+json">: no '<', '>' or '&' verbatim,
    so no data can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Index:
    """Triples grouped by subject and predicate, in a stable order."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.by_subject: dict[str, dict[str, list[Value]]] = defaultdict(lambda: defaultdict(list))
        self.incoming: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for t in sorted(triples, key=str):
            s = t.subject.value if isinstance(t.subject, ox.NamedNode) else str(t.subject)
            self.by_subject[s][t.predicate.value].append(plain(t.object))
            if isinstance(t.object, ox.NamedNode):
                self.incoming[t.object.value].append((t.predicate.value, s))

    def values(self, s: str, p: str) -> list[Value]:
        return self.by_subject.get(s, {}).get(p, [])

    def first(self, s: str, p: str) -> Value | None:
        values = self.values(s, p)
        return values[0] if values else None

    def label(self, s: str) -> Value | None:
        for p in LABEL_PROPERTIES:
            chosen = _pick(self.values(s, p))
            if chosen is not None:
                return chosen
        return None

    def notation(self, s: str) -> str | None:
        n = self.first(s, SKOS + "notation")
        return n.value if n is not None else None


class PageService:
    """Page data and RDF descriptions of one release, from a repository.

    `publication` holds the triples of the release's catalog.ttl and void.ttl
    ({"catalog": [...], "void": [...]}, kg.release.catalog.read_publication).
    """

    def __init__(
        self,
        repository: Repository,
        base_iri: str,
        publication: Mapping[str, Sequence[ox.Triple]] | None = None,
    ) -> None:
        self.repo = repository
        self.uris = Uris(base_iri)
        self.base = self.uris.base
        self.publication = {k: list(v) for k, v in (publication or {}).items()}
        # asked for every page of the export: made once, not scanned per page
        self._published = [t for triples in self.publication.values() for t in triples]
        self._published_subjects = frozenset(
            t.subject.value for t in self._published if isinstance(t.subject, ox.NamedNode)
        )
        self._property_labels: dict[str, dict[str, str]] | None = None

    # ------------------------------------------------------------------ paths

    def href(self, iri: str) -> str:
        """Where a link to `iri` points on this site: its path when the IRI is ours."""
        if iri.startswith(VOCABULARY) and iri[len(VOCABULARY) : len(VOCABULARY) + 1] in ("", "#"):
            return "/def" + iri[len(VOCABULARY) :]
        if iri.startswith(self.base):
            return "/" + iri[len(self.base) :]
        if iri.lower().startswith(("http://", "https://")):
            return iri
        # Any other scheme (javascript:, data:, file:) is shown, never linked.
        return "#"

    def iri_of(self, path: str) -> str:
        """The IRI a site path identifies (paths are relative to the base IRI)."""
        return self.base + path.lstrip("/")

    # ------------------------------------------------------------------ descriptions

    def _in_publication(self, iri: str) -> bool:
        return iri in self._published_subjects

    async def exists(self, iri: str, kind: str) -> bool:
        """Whether the release describes `iri` (so its URI dereferences)."""
        if kind in ("catalog", "void"):
            return bool(self.publication.get(kind))
        if self._in_publication(iri):
            return True
        return await self.repo.ask("ASK { ?this ?p ?o }", {"this": ox.NamedNode(iri)})

    async def describe(self, iri: str, kind: str) -> list[ox.Triple]:
        """The RDF document of a resource, sorted (so its serialisations are reproducible)."""
        if kind in ("catalog", "void"):
            triples = list(self.publication.get(kind, []))
        elif kind == "vocabulary":
            triples = await self.repo.construct(
                "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
                f'FILTER(?s = <{VOCABULARY}> || STRSTARTS(STR(?s), "{VOCABULARY}#")) }}'
            )
        elif self._in_publication(iri):
            triples = _bounded(self._published, iri)
        else:
            triples = await self.repo.construct(_DESCRIBE, {"this": ox.NamedNode(iri)})
        unique = {str(t): t for t in triples}
        return [unique[k] for k in sorted(unique)]

    # ------------------------------------------------------------------ concept pages

    async def property_labels(self) -> dict[str, dict[str, str]]:
        """Labels of the register's own properties by language, from the ontology (cached)."""
        if self._property_labels is None:
            rows = await self.repo.select(
                _SPARQL_PREFIXES + "SELECT ?p ?label WHERE { ?p rdfs:label ?label "
                "FILTER(STRSTARTS(STR(?p), STR(kg:))) }"
            )
            labels: dict[str, dict[str, str]] = defaultdict(dict)
            for r in sorted(rows, key=lambda r: (r["p"].value, r["label"].value)):
                labels[r["p"].value].setdefault(_lang(r["label"]) or "", r["label"].value)
            self._property_labels = dict(labels)
        return self._property_labels

    def _link(self, index: _Index, iri: str) -> Link:
        label = index.label(iri)
        notation = index.notation(iri)
        if label is not None:
            text, lang = label.value, _lang(label)
        elif notation:
            text, lang = notation, None
        else:
            # A term of a known vocabulary without a label: its local name in words.
            text, lang = (
                (_plain_name(iri), "en")
                if iri.startswith(tuple(PREFIXES.values()))
                else (iri, None)
            )
        names: dict[str, str] = {}
        for p in LABEL_PROPERTIES:
            for v in index.values(iri, p):
                if _lang(v) in LANGUAGES:
                    names.setdefault(_lang(v) or "", v.value)
        return Link(iri, self.href(iri), text, notation, lang, names)

    def _statement(
        self, index: _Index, subject: str, prop: str, labels: Mapping[str, dict[str, str]]
    ) -> Statement:
        st = _named_statement(prop, labels)
        for value in index.values(subject, prop):
            if isinstance(value, ox.NamedNode):
                st.links.append(self._link(index, value.value))
            else:
                st.texts.append(_text(value))
        st.links.sort(key=lambda link: (natural_key(link.notation or ""), link.label))
        return st

    async def concept(
        self, iri: str, kind: str, triples: list[ox.Triple] | None = None
    ) -> ConceptPage | None:
        """Everything the HTML page of a resource shows; None if the release lacks it.
        `triples`: its description, when the caller has fetched it already."""
        if triples is None:
            triples = await self.describe(iri, kind)
        index = _Index(triples)
        if iri not in index.by_subject:
            return None
        this = ox.NamedNode(iri)
        ancestors: list[dict[str, Value]]
        decisions: list[dict[str, Value]]
        incoming: list[dict[str, Value]]
        counts: list[dict[str, Value]]
        acts: list[dict[str, Value]]
        if self._in_publication(iri) or kind in ("catalog", "void"):
            ancestors, decisions, incoming, counts, acts = [], [], [], [], []
            labels = await self.property_labels()
        else:
            ancestors, decisions, incoming, counts, acts, labels = await asyncio.gather(
                self.repo.select(_ANCESTORS, {"this": this}),
                self.repo.select(_DECISIONS, {"this": this}),
                self.repo.select(_INCOMING, {"this": this}),
                self.repo.select(_INCOMING_COUNTS, {"this": this}),
                self.repo.select(_SOURCE_ACTS),
                self.property_labels(),
            )
        own = index.by_subject[iri]
        positions: list[Link] = []
        if kind == "tier":
            for r in await self.repo.select(_TIER_POSITIONS, {"this": this}):
                label = r["pl"].value if "pl" in r else r["pn"].value
                positions.append(
                    Link(r["pos"].value, self.href(r["pos"].value), label, r["pn"].value, "kk")
                )
            positions.sort(key=lambda link: natural_key(link.notation or ""))
        header, title = self._header(index, iri, kind)
        notation = index.notation(iri)
        scheme_iri = next(
            (v.value for p in (SKOS + "topConceptOf", SKOS + "inScheme") for v in own.get(p, [])),
            None,
        )
        quote_iris = (
            [iri] if kind == "quote" else [v.value for v in own.get(KGNS + "sourceQuote", [])]
        )
        act_of_source = {r["src"].value: r for r in acts}
        quotes = [self._quote(index, q, act_of_source) for q in sorted(set(quote_iris))]
        quotes.sort(key=lambda q: (q.start if q.start is not None else -1, q.iri))
        decision_list = sorted(
            (self._decision(r) for r in decisions), key=lambda d: natural_key(d.label)
        )
        own_decision = self._own_decision(index, iri, title)
        decided = tuple(d.label.split(":", 1)[0] + " " for d in decision_list)
        skip = set(_SHOWN_ELSEWHERE) | ({RDFS + "comment"} if own_decision else set())
        definitions = [_text(v) for v in own.get(SKOS + "definition", [])]
        return ConceptPage(
            iri=iri,
            path=self.href(iri),
            kind=kind,
            title=title,
            labels=header,
            notation=notation,
            types=[
                self._link(index, v.value)
                for v in own.get(RDF + "type", [])
                if isinstance(v, ox.NamedNode)
            ],
            definitions=definitions,
            breadcrumb=self._breadcrumb(index, own, ancestors, scheme_iri),
            children=self._links(
                index,
                (v for p in (SKOS + "narrower", SKOS + "hasTopConcept") for v in own.get(p, [])),
            ),
            children_label=_CHILDREN.get(kind, N_("Narrower concepts")),
            facts=[self._statement(index, iri, p, labels) for p in FACT_PROPERTIES if own.get(p)],
            quotes=quotes,
            decision=own_decision,
            decisions=decision_list,
            notes=[
                _text(v)
                for v in own.get(SKOS + "editorialNote", [])
                if not (decided and v.value.startswith(decided))
            ],
            statements=[
                self._statement(index, iri, p, labels) for p in sorted(own) if p not in skip
            ],
            used_by=self._incoming(incoming, counts, labels),
            sections=self._sections(index, iri, kind, quote_iris, labels),
            schema_org=_schema_org(
                iri,
                own,
                header,
                notation,
                definitions,
                self._link(index, scheme_iri) if scheme_iri else None,
            ),
            deprecated=any(v.value in ("true", "1") for v in own.get(OWL + "deprecated", [])),
            replaced_by=self._links(index, own.get(DCT + "isReplacedBy", [])),
            history=[_text(v) for v in own.get(SKOS + "historyNote", [])],
            positions=positions,
            official={
                ("ru" if "/rus/" in v.value else "kk"): v.value
                for v in own.get(KGNS + "officialText", [])
            },
        )

    def _header(self, index: _Index, iri: str, kind: str) -> tuple[list[Text], str]:
        """The labels to show under the title (Kazakh first, translations marked) and the title."""
        own = index.by_subject[iri]
        values: list[Value] = next((list(own[p]) for p in LABEL_PROPERTIES if own.get(p)), [])
        unofficial = {v.value for v in own.get(KGNS + "unofficialLabelLanguage", [])}
        if not unofficial and any(_lang(v) == "kk" for v in values):
            unofficial = set(UNOFFICIAL)  # a concept labelled in Kazakh: ru/en are ours
        order = {lang: i for i, lang in enumerate(LANGUAGES)}
        values.sort(key=lambda v: (order.get(_lang(v) or "", 9), v.value))
        header = [_text(v, unofficial=_lang(v) in unofficial) for v in values]
        if header:
            return header, header[0].text
        if kind == "quote":
            quoted = [s for p, s in index.incoming.get(iri, []) if p == KGNS + "sourceQuote"]
            return header, self._link(index, quoted[0]).label if quoted else iri
        return header, index.notation(iri) or iri

    def _links(self, index: _Index, values: Iterable[Value]) -> list[Link]:
        links = [self._link(index, v.value) for v in values if isinstance(v, ox.NamedNode)]
        links.sort(key=lambda link: (natural_key(link.notation or ""), link.label))
        return links

    def _breadcrumb(
        self,
        index: _Index,
        own: Mapping[str, list[Value]],
        ancestors: Sequence[Mapping[str, Value]],
        scheme_iri: str | None,
    ) -> list[Link]:
        """From the scheme down to the parent, following skos:broader."""
        parent = {r["a"].value: r["parent"].value for r in ancestors if "parent" in r}
        names = {r["a"].value: r for r in ancestors}
        crumbs: list[Link] = []
        node = next((v.value for v in own.get(SKOS + "broader", [])), None)
        while node is not None and len(crumbs) < 16:
            row = names.get(node, {})
            crumbs.append(
                Link(
                    node,
                    self.href(node),
                    row["label"].value if "label" in row else self._link(index, node).label,
                    row["notation"].value if "notation" in row else None,
                    "kk" if "label" in row else None,
                    _names(row, {"kk": "label", "ru": "label_ru", "en": "label_en"}),
                )
            )
            node = parent.get(node)
        if scheme_iri:
            crumbs.append(self._link(index, scheme_iri))
        crumbs.reverse()
        return crumbs

    def _decision(self, r: Mapping[str, Value]) -> Decision:
        d = r["d"].value
        kind = (
            Link(
                r["kind"].value,
                self.href(r["kind"].value),
                r["kindLabel"].value,
                lang="en",
                names={
                    lang: r[key].value
                    for lang, key in (("kk", "kind_kk"), ("ru", "kind_ru"), ("en", "kindLabel"))
                    if key in r
                },
            )
            if "kind" in r and "kindLabel" in r
            else None
        )
        return Decision(
            d,
            self.href(d),
            r["label"].value if "label" in r else d.rsplit("/", 1)[-1],
            kind,
            r["lawSays"].value if "lawSays" in r else "",
            r["weRecord"].value if "weRecord" in r else "",
            r["why"].value if "why" in r else "",
        )

    def _own_decision(self, index: _Index, iri: str, title: str) -> Decision | None:
        """The page of a decision itself shows what the law says, what we record and why."""
        own = index.by_subject[iri]
        if not own.get(KGNS + "lawSays"):
            return None
        kind_iri = next((v.value for v in own.get(KGNS + "decisionKind", [])), None)
        first = {p: own[p][0].value for p in (KGNS + "weRecord", RDFS + "comment") if own.get(p)}
        return Decision(
            iri,
            self.href(iri),
            title,
            self._link(index, kind_iri) if kind_iri else None,
            own[KGNS + "lawSays"][0].value,
            first.get(KGNS + "weRecord", ""),
            first.get(RDFS + "comment", ""),
        )

    def _incoming(
        self,
        rows: Sequence[Mapping[str, Value]],
        counts: Sequence[Mapping[str, Value]],
        labels: Mapping[str, dict[str, str]],
    ) -> list[Statement]:
        """What links here, per property, with how many there are in all."""
        incoming: dict[str, Statement] = {}
        for r in rows:
            p, s = r["p"].value, r["s"].value
            st = incoming.setdefault(p, _named_statement(p, labels))
            name = next((r[k] for k in ("label", "title", "name", "rlabel") if k in r), None)
            st.links.append(
                Link(
                    s,
                    self.href(s),
                    name.value if name is not None else s,
                    r["notation"].value if "notation" in r else None,
                    _lang(name) if name is not None else None,
                )
            )
        totals = {r["p"].value: int(r["n"].value) for r in counts}
        for p, st in incoming.items():
            st.links.sort(key=lambda link: (natural_key(link.notation or ""), link.label))
            st.links = st.links[:INCOMING_SHOWN]
            st.total = totals.get(p, len(st.links))
        return sorted(incoming.values(), key=lambda st: st.label)

    def _sections(
        self,
        index: _Index,
        iri: str,
        kind: str,
        quote_iris: Sequence[str],
        labels: Mapping[str, dict[str, str]],
    ) -> list[Section]:
        """Other subjects of the document: hash children (vocabulary terms, distributions),
        or every subject of a whole-graph document (catalog, VoID)."""
        whole_document = kind in ("catalog", "void")
        # On a concept page its quotes' selectors are shown in the quote figures; on a quote's
        # own page they are its sections, so the page's links to `#exact`/`#position` land.
        shown_as_quotes = [q for q in quote_iris if q != iri]
        sections = []
        for s in sorted(index.by_subject):
            if (
                s == iri
                or s in shown_as_quotes
                or any(s.startswith(q + "#") for q in shown_as_quotes)
            ):
                continue
            if not (whole_document or s.startswith(iri + "#")):
                continue
            props = index.by_subject[s]
            sections.append(
                Section(
                    s,
                    s.split("#", 1)[1] if "#" in s else self.href(s),
                    self._link(index, s).label,
                    [self._link(index, v.value) for v in props.get(RDF + "type", [])],
                    [
                        self._statement(index, s, p, labels)
                        for p in sorted(props)
                        if p != RDF + "type"
                    ],
                    self._link(index, s).lang,
                )
            )
        return sections

    def _quote(self, index: _Index, q: str, acts: Mapping[str, dict[str, Value]]) -> Quote:
        exact = prefix = suffix = ""
        start = end = None
        for sel in index.values(q, OA + "hasSelector"):
            s = sel.value
            quoted = index.first(s, OA + "exact")
            if quoted is not None:
                exact = quoted.value
                prefix = getattr(index.first(s, OA + "prefix"), "value", "")
                suffix = getattr(index.first(s, OA + "suffix"), "value", "")
            start_at, end_at = index.first(s, OA + "start"), index.first(s, OA + "end")
            if start_at is not None:
                assert end_at is not None  # a position selector has a start and an end
                start, end = int(start_at.value), int(end_at.value)
        source = index.first(q, OA + "hasSource")
        act = None
        if source is not None and source.value in acts:
            row = acts[source.value]
            titles = {k: row[v].value for k, v in (("kk", "titleKk"), ("en", "title")) if v in row}
            first = next(iter(titles.items()), None)
            act = Link(
                row["act"].value,
                self.href(row["act"].value),
                first[1] if first else row["act"].value,
                lang=first[0] if first else None,
                names=titles,
            )
        role = index.first(q, KGNS + "quoteRole")
        note = index.first(q, RDFS + "comment")
        return Quote(
            q,
            self.href(q),
            role.value if role is not None else "",
            exact,
            prefix,
            suffix,
            start,
            end,
            note.value if note is not None else None,
            act,
        )

    # ------------------------------------------------------------------ home page

    async def home(self) -> HomePage:
        scheme = str(self.uris.scheme())
        described, counts_rows, acts_rows, grade_rows = await asyncio.gather(
            self.describe(scheme, "scheme"),
            self.repo.select(_COUNTS),
            self.repo.select(_ACTS),
            self.repo.select(_GRADE_SIZES),
        )
        index = _Index(described)
        own = index.by_subject.get(scheme, {})
        order = {lang: i for i, lang in enumerate(LANGUAGES)}
        titles = sorted(
            (_text(v, unofficial=_lang(v) in UNOFFICIAL) for v in own.get(SKOS + "prefLabel", [])),
            key=lambda t: order.get(t.lang or "", 9),
        )
        definition = next(
            (v.value for v in own.get(SKOS + "definition", []) if _lang(v) == "en"), None
        )
        counts = {k: int(v.value) for k, v in (counts_rows[0] if counts_rows else {}).items()}
        acts = []
        for r in acts_rows:
            a = r["act"].value
            acts.append(
                Act(
                    Link(a, self.href(a), r["title"].value if "title" in r else a),
                    r["number"].value if "number" in r else None,
                    r["date"].value if "date" in r else None,
                    r["kindLabel"].value if "kindLabel" in r else None,
                    r["titleKk"].value if "titleKk" in r else None,
                    {lang: r[f"kind_{lang}"].value for lang in LANGUAGES if f"kind_{lang}" in r},
                )
            )
        blocks = [self._link(index, v.value) for v in own.get(SKOS + "hasTopConcept", [])]
        blocks.sort(key=lambda link: natural_key(link.notation or ""))
        bars, width, height = structure_figure(grade_rows, self.href)
        title = titles[0] if titles else Text("Register", "en")
        schema = {
            "@context": _SCHEMA_ORG,
            "@type": "DefinedTermSet",
            "@id": scheme,
            "name": title.text,
            "alternateName": [t.text for t in titles[1:]],
            "description": definition or "",
            "url": scheme,
            "hasDefinedTerm": [
                {
                    "@type": "DefinedTerm",
                    "@id": b.iri,
                    "name": b.label,
                    "termCode": b.notation,
                    "inDefinedTermSet": scheme,
                }
                for b in blocks
            ],
        }
        return HomePage(
            scheme, title, titles, definition, acts, counts, blocks, bars, width, height, schema
        )

    # ------------------------------------------------------------------ browse page

    async def browse(self) -> BrowsePage:
        grade_rows, position_rows = await asyncio.gather(
            self.repo.select(_BROWSE_GRADES), self.repo.select(_BROWSE_POSITIONS)
        )
        blocks: dict[str, BrowseBlock] = {}
        groups: dict[tuple[str, str | None], BrowseGroup] = {}
        tiers: dict[tuple[str, str | None, str], BrowseTier] = {}
        grades: dict[str, tuple[BrowseGrade, BrowseBlock]] = {}

        def link(r: Mapping[str, Value], key: str, label: str, notation: str) -> Link:
            iri = r[key].value
            code = r[notation].value if notation in r else None
            text = r[label].value if label in r else (code or iri)
            names = _names(r, {"kk": label, "ru": f"{label}_ru", "en": f"{label}_en"})
            lang = _lang(r[label]) if label in r else None
            return Link(iri, self.href(iri), text, code, lang, names)

        for r in sorted(grade_rows, key=lambda r: natural_key(r["gn"].value)):
            b = r["block"].value
            if b not in blocks:
                blocks[b] = BrowseBlock(
                    link(r, "block", "bl", "bn"), r["ble"].value if "ble" in r else None, [], 0
                )
            sector = r["sector"].value if "sector" in r else None
            gkey = (b, sector)
            if gkey not in groups:
                groups[gkey] = BrowseGroup(link(r, "sector", "sl", "sn") if sector else None, [])
                blocks[b].groups.append(groups[gkey])
            tkey = (b, sector, r["tier"].value)
            if tkey not in tiers:
                tiers[tkey] = BrowseTier(link(r, "tier", "tl", "tn"), [])
                groups[gkey].tiers.append(tiers[tkey])
            g = r["grade"].value
            if g not in grades:
                grades[g] = (BrowseGrade(link(r, "grade", "gl", "gn"), []), blocks[b])
                tiers[tkey].grades.append(grades[g][0])
        seen_positions: set[str] = set()
        titles: dict[str, list[tuple[str, Link]]] = {"kk": [], "ru": []}
        for r in position_rows:
            found = grades.get(r["grade"].value)
            if found is None or r["pos"].value in seen_positions:
                continue
            seen_positions.add(r["pos"].value)
            found[0].positions.append(link(r, "pos", "pl", "pn"))
            found[1].positions += 1
            for lang, key in (("kk", "pl"), ("ru", "pl_ru")):
                if key in r:
                    titles[lang].append((r[key].value, link(r, "pos", key, "pn")))
        sector_order = {"H": 0, "E": 1, "O": 2}
        for block in blocks.values():
            block.groups.sort(
                key=lambda g: (
                    g.sector is not None,
                    sector_order.get(g.sector.notation or "", 9) if g.sector else -1,
                )
            )
            for group in block.groups:
                group.tiers.sort(key=lambda t: natural_key(t.link.notation or ""))
                for tier in group.tiers:
                    tier.grades.sort(key=lambda g: natural_key(g.link.notation or ""))
                    for grade in tier.grades:
                        grade.positions.sort(key=lambda p: natural_key(p.notation or ""))
        ordered = sorted(blocks.values(), key=lambda b: natural_key(b.link.notation or ""))
        az = {lang: az_index(pairs, lang) for lang, pairs in titles.items()}
        return BrowsePage(ordered, len(seen_positions), az)


def _bounded(triples: Sequence[ox.Triple], iri: str) -> list[ox.Triple]:
    """A resource's own triples, those of its hash children, and labels of what they link to."""
    own = [
        t
        for t in triples
        if isinstance(t.subject, ox.NamedNode)
        and (t.subject.value == iri or t.subject.value.startswith(iri + "#"))
    ]
    linked = {t.object.value for t in own if isinstance(t.object, ox.NamedNode)}
    labels = [
        t
        for t in triples
        if plain(t.subject).value in linked
        and (t.predicate.value in LABEL_PROPERTIES or t.predicate.value == SKOS + "notation")
    ]
    return own + labels


def _schema_org(
    iri: str,
    own: Mapping[str, list[Value]],
    header: list[Text],
    notation: str | None,
    definitions: list[Text],
    scheme: Link | None,
) -> dict[str, Any]:
    types = {v.value for v in own.get(RDF + "type", [])}
    name = header[0].text if header else (notation or iri)
    data: dict[str, Any] = {"@context": _SCHEMA_ORG, "@id": iri, "name": name, "url": iri}
    alternate = [t.text for t in header[1:]]
    if alternate:
        data["alternateName"] = alternate
    description = next((d.text for d in definitions if d.lang == "en"), None)
    if description:
        data["description"] = description
    if SKOS + "ConceptScheme" in types:
        data["@type"] = "DefinedTermSet"
    elif SKOS + "Concept" in types:
        data["@type"] = "DefinedTerm"
        if notation:
            data["termCode"] = notation
        if scheme is not None:
            data["inDefinedTermSet"] = {
                "@type": "DefinedTermSet",
                "@id": scheme.iri,
                "name": scheme.label,
                "url": scheme.iri,
            }
    else:
        data["@type"] = "Thing"
    return data


def structure_figure(
    rows: Sequence[Mapping[str, Value]],
    href: Any,
    width: float = 960.0,
    row_height: float = 44.0,
    gap: float = 2.0,
) -> tuple[list[Bar], float, float]:
    """An icicle of blocks -> tiers -> grades, each as wide as its number of positions.

    `rows` have block, bn, tier, tn, grade, gn and n (positions of the grade); grades
    without positions get no width. Deterministic, so the page is byte-reproducible.
    """
    grades = sorted(
        (
            (
                r["block"].value,
                r["bn"].value,
                r["tier"].value,
                r["tn"].value,
                r["grade"].value,
                r["gn"].value,
                int(r["n"].value),
            )
            for r in rows
        ),
        key=lambda g: natural_key(g[5]),
    )
    total = sum(g[6] for g in grades) or 1
    scale = width / total
    bars: list[Bar] = []

    def add(level: int, iri: str, code: str, block: str, x: float, n: int, what: str) -> None:
        w = n * scale
        bars.append(
            Bar(
                round(x, 2),
                level * (row_height + gap),
                round(max(w - gap, 0.5), 2),
                row_height,
                level,
                block,
                code,
                f"{what} {code}: {n} position{'s' if n != 1 else ''}",
                href(iri),
                n,
                w >= 9.0 * len(code) + 6,
            )
        )

    x = 0.0
    for block_code in sorted({g[1] for g in grades}, key=natural_key):
        in_block = [g for g in grades if g[1] == block_code]
        n_block = sum(g[6] for g in in_block)
        add(0, in_block[0][0], block_code, block_code, x, n_block, "Block")
        tx = x
        for tier_code in sorted({g[3] for g in in_block}, key=natural_key):
            in_tier = [g for g in in_block if g[3] == tier_code]
            n_tier = sum(g[6] for g in in_tier)
            add(1, in_tier[0][2], tier_code, block_code, tx, n_tier, "Tier")
            gx = tx
            for g in in_tier:
                if g[6]:
                    add(2, g[4], g[5], block_code, gx, g[6], "Grade")
                gx += g[6] * scale
            tx += n_tier * scale
        x += n_block * scale
    return bars, width, 3 * (row_height + gap)


# ---------------------------------------------------------------------------- queries

#: Properties whose values name a linked thing in a description (labels and notations).
_NAMING = "skos:prefLabel, rdfs:label, dct:title, eli:title, foaf:name, skos:notation"
#: Each linked thing's names are joined inside its own UNION branch, from ?x outwards: the
#: former form (the links, then VALUES ?xp, then `?x ?xp ?xo`) made Oxigraph read every label
#: of the store first, ten times slower (30 ms a description) for the same triples.
_DESCRIBE = (
    _SPARQL_PREFIXES
    + """
CONSTRUCT { ?this ?p ?o . ?x ?xp ?xo . ?who kg:sourceQuote ?this . }
WHERE {
  { ?this ?p ?o }
  UNION { ?this kg:sourceQuote ?x . ?x ?xp ?xo }
  UNION { ?this kg:sourceQuote/oa:hasSelector ?x . ?x ?xp ?xo }
  UNION { ?this oa:hasSelector ?x . ?x ?xp ?xo }
  UNION { ?who kg:sourceQuote ?this }
  UNION { ?this ?link ?x . ?x ?xp ?xo FILTER(isIRI(?x) && ?xp IN (NAMING)) }
  UNION { ?x kg:sourceQuote ?this . ?x ?xp ?xo FILTER(?xp IN (NAMING)) }
}
""".replace("NAMING", _NAMING)
)
_ANCESTORS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?this skos:broader+ ?a .
  OPTIONAL { ?a skos:broader ?parent }
  OPTIONAL { ?a skos:prefLabel ?label FILTER(LANG(?label) = "kk") }
  OPTIONAL { ?a skos:prefLabel ?label_ru FILTER(LANG(?label_ru) = "ru") }
  OPTIONAL { ?a skos:prefLabel ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?a skos:notation ?notation }
}
"""
)
_DECISIONS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?this kg:editorialDecision ?d .
  OPTIONAL { ?d rdfs:label ?label }
  OPTIONAL { ?d kg:decisionKind ?kind .
             OPTIONAL { ?kind skos:prefLabel ?kindLabel FILTER(LANG(?kindLabel) = "en") }
             OPTIONAL { ?kind skos:prefLabel ?kind_kk FILTER(LANG(?kind_kk) = "kk") }
             OPTIONAL { ?kind skos:prefLabel ?kind_ru FILTER(LANG(?kind_ru) = "ru") } }
  OPTIONAL { ?d kg:lawSays ?lawSays }
  OPTIONAL { ?d kg:weRecord ?weRecord }
  OPTIONAL { ?d rdfs:comment ?why }
}
"""
)
_INCOMING_FILTER = "FILTER(?p NOT IN (" + ", ".join(f"<{p}>" for p in _INCOMING_SKIPPED) + "))"
#: At most INCOMING_SHOWN rows per property would do, but SPARQL has no per-group LIMIT:
#: 1000 rows in a stable order stay under any sensible row cap of the endpoint.
_INCOMING = (
    _SPARQL_PREFIXES
    + "SELECT * WHERE {\n  ?s ?p ?this .\n  "
    + _INCOMING_FILTER
    + """
  OPTIONAL { ?s skos:prefLabel ?label FILTER(LANG(?label) = "kk") }
  OPTIONAL { ?s dct:title ?title FILTER(LANG(?title) = "en") }
  OPTIONAL { ?s foaf:name ?name FILTER(LANG(?name) = "en") }
  OPTIONAL { ?s rdfs:label ?rlabel FILTER(LANG(?rlabel) = "en") }
  OPTIONAL { ?s skos:notation ?notation }
}
ORDER BY ?p ?notation ?s
LIMIT 1000
"""
)
_INCOMING_COUNTS = (
    _SPARQL_PREFIXES
    + "SELECT ?this ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {\n  ?s ?p ?this .\n  "
    + _INCOMING_FILTER
    + "\n}\nGROUP BY ?this ?p\n"
)
_SOURCE_ACTS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?src eli:embodies/eli:realizes ?act .
  OPTIONAL { ?act dct:title ?title FILTER(LANG(?title) = "en") }
  OPTIONAL { ?act dct:title ?titleKk FILTER(LANG(?titleKk) = "kk") }
}
"""
)
_COUNTS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  { SELECT (COUNT(DISTINCT ?p) AS ?positions) WHERE {
      ?p a kg:Position FILTER NOT EXISTS { ?p <http://www.w3.org/2002/07/owl#deprecated> true } } }
  { SELECT (COUNT(DISTINCT ?g) AS ?grades) WHERE { ?g a kg:Grade } }
  { SELECT (COUNT(DISTINCT ?t) AS ?tiers) WHERE { ?t a kg:Tier } }
  { SELECT (COUNT(DISTINCT ?b) AS ?blocks) WHERE { ?b a kg:Block } }
  { SELECT (COUNT(DISTINCT ?i) AS ?institution_types) WHERE { ?i a kg:InstitutionType } }
  { SELECT (COUNT(DISTINCT ?d) AS ?decisions) WHERE { ?d a kg:EditorialDecision } }
  { SELECT (COUNT(DISTINCT ?q) AS ?quotes) WHERE { ?q a kg:SourceQuote } }
  { SELECT (COUNT(DISTINCT ?a) AS ?acts) WHERE { ?a a eli:LegalResource } }
}
"""
)
_ACTS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?act a eli:LegalResource .
  OPTIONAL { ?act dct:title ?title FILTER(LANG(?title) = "en") }
  OPTIONAL { ?act dct:title ?titleKk FILTER(LANG(?titleKk) = "kk") }
  OPTIONAL { ?act eli:id_local ?number }
  OPTIONAL { ?act eli:date_document ?date }
  OPTIONAL { ?act eli:type_document ?kind .
             OPTIONAL { ?kind skos:prefLabel ?kindLabel FILTER(LANG(?kindLabel) = "en") }
             OPTIONAL { ?kind skos:prefLabel ?kind_kk FILTER(LANG(?kind_kk) = "kk") }
             OPTIONAL { ?kind skos:prefLabel ?kind_ru FILTER(LANG(?kind_ru) = "ru") }
             OPTIONAL { ?kind skos:prefLabel ?kind_en FILTER(LANG(?kind_en) = "en") } }
}
ORDER BY ?date ?act
"""
)
_GRADE_SIZES = (
    _SPARQL_PREFIXES
    + """
SELECT ?block ?bn ?tier ?tn ?grade ?gn (COUNT(?pos) AS ?n) WHERE {
  ?grade a kg:Grade ; skos:notation ?gn ; kg:tier ?tier ; kg:block ?block .
  ?tier skos:notation ?tn .
  ?block skos:notation ?bn .
  OPTIONAL { ?pos kg:grade ?grade
             FILTER NOT EXISTS { ?pos <http://www.w3.org/2002/07/owl#deprecated> true } }
}
GROUP BY ?block ?bn ?tier ?tn ?grade ?gn
"""
)
#: Required patterns first, OPTIONALs last: Oxigraph evaluates a pattern that follows an
#: OPTIONAL against all of the OPTIONAL's rows (this order takes 2 ms; the other, 30 s).
_BROWSE_GRADES = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?grade a kg:Grade ; skos:notation ?gn ; kg:tier ?tier ; kg:block ?block .
  ?tier skos:notation ?tn .
  ?block skos:notation ?bn .
  OPTIONAL { ?grade skos:prefLabel ?gl FILTER(LANG(?gl) = "kk") }
  OPTIONAL { ?grade skos:prefLabel ?gl_ru FILTER(LANG(?gl_ru) = "ru") }
  OPTIONAL { ?grade skos:prefLabel ?gl_en FILTER(LANG(?gl_en) = "en") }
  OPTIONAL { ?tier skos:prefLabel ?tl FILTER(LANG(?tl) = "kk") }
  OPTIONAL { ?tier skos:prefLabel ?tl_ru FILTER(LANG(?tl_ru) = "ru") }
  OPTIONAL { ?tier skos:prefLabel ?tl_en FILTER(LANG(?tl_en) = "en") }
  OPTIONAL { ?block skos:prefLabel ?bl FILTER(LANG(?bl) = "kk") }
  OPTIONAL { ?block skos:prefLabel ?bl_ru FILTER(LANG(?bl_ru) = "ru") }
  OPTIONAL { ?block skos:prefLabel ?bl_en FILTER(LANG(?bl_en) = "en") }
  OPTIONAL { ?block skos:prefLabel ?ble FILTER(LANG(?ble) = "en") }
  OPTIONAL { ?grade kg:sector ?sector . ?sector skos:notation ?sn . }
  OPTIONAL { ?grade kg:sector/skos:prefLabel ?sl FILTER(LANG(?sl) = "kk") }
  OPTIONAL { ?grade kg:sector/skos:prefLabel ?sl_ru FILTER(LANG(?sl_ru) = "ru") }
  OPTIONAL { ?grade kg:sector/skos:prefLabel ?sl_en FILTER(LANG(?sl_en) = "en") }
}
"""
)
_TIER_POSITIONS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?pos a kg:Position ; kg:tier ?this ; skos:notation ?pn .
  OPTIONAL { ?pos skos:prefLabel ?pl FILTER(LANG(?pl) = "kk") }
}
"""
)
_BROWSE_POSITIONS = (
    _SPARQL_PREFIXES
    + """
SELECT * WHERE {
  ?pos a kg:Position ; kg:grade ?grade ; skos:notation ?pn .
  FILTER NOT EXISTS { ?pos <http://www.w3.org/2002/07/owl#deprecated> true }
  OPTIONAL { ?pos skos:prefLabel ?pl FILTER(LANG(?pl) = "kk") }
  OPTIONAL { ?pos skos:prefLabel ?pl_ru FILTER(LANG(?pl_ru) = "ru") }
  OPTIONAL { ?pos skos:prefLabel ?pl_en FILTER(LANG(?pl_en) = "en") }
}
"""
)
