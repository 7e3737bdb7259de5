"""The one route table of the web face: which paths exist, what each one is, in which formats.

Why a table: three consumers must agree on it and nothing may drift between them: the server
(kg.web.linked_data registers one route per entry), a static export (one file per entry and
format) and the web-server rules shipped for static hosting (nginx/Apache rewrites that do the
same 303 as the server). Each entry is plain data: a URI pattern, the kind of thing, the
formats, the HTML template, and how it is served.

URI pattern syntax: paths relative to the site root (which is the base IRI's path, usually
`/`); `{name}` matches one path segment, `{name+}` one or more segments.

How each mode is served (the Cool URIs "303" pattern, see README "URIs"):

- ``resource``: the path identifies a thing (a position, an act, the dataset). It answers
  303 See Other to a document chosen by ``Accept`` (or ``?_format=``), with ``Vary: Accept``.
  The documents are the same path plus an extension, one per format (``/position/A1-1.01.ttl``)
  and answer 200.
- ``page``: a document that describes no single thing (home, browse, downloads): HTML at the
  path, its JSON twin at ``twin``.
- ``file``: bytes from the release folder or ``site/static``, as they are.
- ``service``: handled by another module (SPARQL, search, reconciliation, health); listed so
  the static-hosting rules know to proxy them. A service with a template (search) has a
  stand-in in the static export: the same template, listing everything, with a small script
  that filters the list in the browser (kg.export.site).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from kg.uris import ONTOLOGY_IRI, Uris


@dataclass(frozen=True, slots=True)
class Format:
    """One representation: the extension of its document URL and its media type."""

    ext: str
    media_type: str
    label: str
    #: Other names a client may give in ``?_format=`` (the extension and media type work too).
    aliases: tuple[str, ...] = ()


FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("html", "text/html", "HTML", ("application/xhtml+xml",)),
        Format("ttl", "text/turtle", "Turtle", ("turtle",)),
        Format("nt", "application/n-triples", "N-Triples", ("ntriples", "n-triples")),
        Format("jsonld", "application/ld+json", "JSON-LD", ("json-ld",)),
        Format("rdf", "application/rdf+xml", "RDF/XML", ("rdfxml", "xml")),
        Format("json", "application/json", "JSON"),
    )
}
RDF_FORMATS = ("ttl", "nt", "jsonld", "rdf")
#: Formats of a resource, in server preference order: the first is the default (e.g. `*/*`).
RESOURCE_FORMATS = ("html", *RDF_FORMATS)
#: Generic media types some clients send, mapped to the format that answers them.
ACCEPT_ALIASES: dict[str, str] = {
    "application/xhtml+xml": "html",
    "application/json": "jsonld",
    "application/xml": "rdf",
    "text/xml": "rdf",
    "application/x-turtle": "ttl",
}


class Mode(StrEnum):
    RESOURCE = "resource"
    PAGE = "page"
    FILE = "file"
    SERVICE = "service"


_PARAM = re.compile(r"\{(\w+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    """One entry of the table."""

    pattern: str
    kind: str
    formats: tuple[str, ...]
    template: str | None
    mode: Mode
    title: str
    #: For pages: the path of the JSON twin.
    twin: str | None = None
    #: For resources whose IRI is not under the base IRI (the vocabulary): that IRI.
    fixed_iri: str | None = None
    params: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(m[0] for m in _PARAM.findall(self.pattern)))

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Matches the pattern's own path and, for resources, its document paths."""
        out, last = [], 0
        for m in _PARAM.finditer(self.pattern):
            out.append(re.escape(self.pattern[last : m.start()]))
            out.append(f"(?P<{m[1]}>[^/]+?)" if not m[2] else f"(?P<{m[1]}>(?:[^/]+/)*?[^/]+?)")
            last = m.end()
        out.append(re.escape(self.pattern[last:]))
        body = "".join(out)
        if self.mode is Mode.RESOURCE:
            exts = "|".join(re.escape(e) for e in self.formats)
            body += rf"(?:\.(?P<_ext>{exts}))?"
        elif self.mode is Mode.PAGE and self.twin:
            body = rf"(?:{body}|(?P<_twin>{re.escape(self.twin)}))"
        return re.compile(f"^{body}$")

    def path(self, **params: str) -> str:
        """The identifier path (resources) or page path, with parameters filled in."""
        return _PARAM.sub(lambda m: params[m[1]], self.pattern)

    def document_path(self, fmt: str, **params: str) -> str:
        """Where the document in format `fmt` lives."""
        if self.mode is Mode.PAGE:
            return self.path(**params) if fmt == "html" else (self.twin or "")
        return f"{self.path(**params)}.{fmt}"


def _resource(pattern: str, kind: str, title: str, fixed_iri: str | None = None) -> Route:
    return Route(
        pattern, kind, RESOURCE_FORMATS, "concept.html", Mode.RESOURCE, title, fixed_iri=fixed_iri
    )


#: Vocabulary IRI: it does not move with the data's base IRI.
VOCABULARY_IRI = str(ONTOLOGY_IRI)

ROUTES: tuple[Route, ...] = (
    # pages
    Route("/", "home", ("html", "json"), "home.html", Mode.PAGE, "Home", twin="/index.json"),
    Route(
        "/browse", "browse", ("html", "json"), "browse.html", Mode.PAGE, "Browse", "/browse.json"
    ),
    Route(
        "/downloads/",
        "downloads",
        ("html", "json"),
        "downloads.html",
        Mode.PAGE,
        "Downloads",
        twin="/downloads.json",
    ),
    Route("/about", "about", ("html", "json"), "about.html", Mode.PAGE, "About", "/about.json"),
    # files
    Route("/downloads/{name}", "download", (), None, Mode.FILE, "A file of the release"),
    Route(
        "/downloads/{version}/{name}",
        "release-file",
        (),
        None,
        Mode.FILE,
        "A file of a release, by version (kept in the archive; kg.release.archive)",
    ),
    Route("/static/{name+}", "static", (), None, Mode.FILE, "Stylesheet and other assets"),
    # services of other modules
    Route("/sparql", "sparql", (), None, Mode.SERVICE, "SPARQL 1.1 endpoint"),
    Route("/search", "search", ("html",), "search.html", Mode.SERVICE, "Search"),
    Route("/api/search", "search-api", (), None, Mode.SERVICE, "Search, JSON"),
    Route("/finder", "finder", (), None, Mode.SERVICE, "Grade finder (kg.lookup.finder)"),
    Route("/api/finder", "finder-api", (), None, Mode.SERVICE, "Grade finder, JSON"),
    Route("/reconcile", "reconcile", (), None, Mode.SERVICE, "Reconciliation service"),
    Route("/reconcile/{path+}", "reconcile-parts", (), None, Mode.SERVICE, "Reconciliation"),
    Route("/openapi.json", "openapi", (), None, Mode.SERVICE, "OpenAPI description"),
    Route("/healthz", "health", (), None, Mode.SERVICE, "Liveness"),
    # the register and its concept schemes
    _resource("/register", "scheme", "The register (concept scheme)"),
    _resource("/institution-types", "scheme", "Concept scheme of institution types"),
    _resource("/sectors", "scheme", "Concept scheme of sectors"),
    _resource("/qualification-levels", "scheme", "Concept scheme of qualification levels"),
    _resource("/categories", "scheme", "Concept scheme of categories"),
    _resource("/significance-levels", "scheme", "Concept scheme of significance levels"),
    _resource("/decision-kinds", "scheme", "Concept scheme of kinds of editorial decision"),
    # concepts
    _resource("/block/{notation}", "block", "Block"),
    _resource("/tier/{notation}", "tier", "Tier"),
    _resource("/grade/{notation}", "grade", "Grade"),
    _resource("/position/{notation}", "position", "Position"),
    _resource("/institution-type/{id}", "institution-type", "Institution type"),
    _resource("/significance-level/{id}", "significance-level", "Significance level"),
    _resource("/sector/{id}", "sector", "Sector"),
    _resource("/qualification-level/{id}", "qualification-level", "Qualification level"),
    _resource("/category/{id}", "category", "Category"),
    _resource("/decision-kind/{id}", "decision-kind", "Kind of editorial decision"),
    # occupations and their ISCO-08 crosswalk (kg/curate/occupations.py)
    _resource("/occupations", "scheme", "Concept scheme of occupations"),
    _resource("/occupation/{id}", "occupation", "Occupation"),
    _resource("/mapping/{occupation}/{code}", "mapping", "Mapping of an occupation to ISCO-08"),
    # provenance
    _resource("/act/{id}/{language}", "expression", "Language version of a legal act"),
    _resource("/act/{id}", "act", "Legal act"),
    _resource("/agent/{id}", "agent", "Minister or ministry"),
    _resource("/decision/{id}", "decision", "Editorial decision"),
    _resource("/quote/{path+}", "quote", "Verbatim source quote"),
    _resource("/source/{name}", "source", "The source text"),
    # publication
    _resource("/catalog", "catalog", "DCAT-AP catalog"),
    _resource("/dataset", "dataset", "The dataset (DCAT and VoID)"),
    _resource("/void", "void", "VoID description"),
    _resource("/publisher", "publisher", "Publisher of the dataset"),
    # what changed between releases (kg.release.changes): a page of its own, RDF twins as any resource
    Route(
        "/changes",
        "changes",
        RESOURCE_FORMATS,
        "changes.html",
        Mode.RESOURCE,
        "What changed between releases (Talis Changeset)",
    ),
    # the vocabulary
    _resource("/def", "vocabulary", "Vocabulary of the register", fixed_iri=VOCABULARY_IRI),
)


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]
    #: The extension of a document URL, or None for the identifier (or a page).
    ext: str | None


def match(path: str, routes: tuple[Route, ...] = ROUTES) -> Match | None:
    """The first entry whose pattern matches `path` (relative to the site root)."""
    for route in routes:
        m = route.regex.match(path)
        if m is not None:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            ext = groups.pop("_ext", None)
            if groups.pop("_twin", None) is not None:
                ext = "json"
            return Match(route, groups, ext)
    return None


def by_kind(kind: str, routes: tuple[Route, ...] = ROUTES) -> Route:
    return next(r for r in routes if r.kind == kind)


#: Uris methods that mint no dereferenceable URI: the named graph of a release in an external
#: store (a name inside the store), what change-set IRIs start with, the namespace of the
#: service description's own terms, and helpers that mint nothing themselves.
NOT_ROUTED = frozenset({"release_graph", "change_sets", "sparql_terms", "subject", "path_of"})


def unrouted_uris(uris: Uris, routes: tuple[Route, ...] = ROUTES) -> list[str]:
    """The URIs each Uris method mints (with sample arguments) that no route of `routes`
    answers; empty when the table covers them all.

    Why: the route patterns spell the same paths as kg.uris; this check, run when the server
    starts, keeps a new kind of URI from being published without a page.
    """
    missing = []
    for name, method in inspect.getmembers(uris, inspect.ismethod):
        if name.startswith("_") or name in NOT_ROUTED:
            continue
        params = inspect.signature(method).parameters.values()
        args = ["x1" for p in params if p.default is inspect.Parameter.empty]
        uri = str(method(*args))
        path = "/" + uris.path_of(uri).partition("#")[0]
        if match(path, routes) is None:
            missing.append(f"{name}: {uri}")
    return missing
