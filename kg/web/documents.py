"""Documents of the route table as bytes: HTML pages, RDF descriptions, JSON twins, files.

Why apart from the HTTP handlers: a static export needs exactly the same bytes without a
server, so everything that makes a body lives here (templates, serialisers, the download
list) and kg.web.linked_data only negotiates, adds headers and answers 303/304/404.

Why a cache: a release never changes while it is served, so a document rendered once is
kept (an LRU bounded by bytes) and its ETag, a hash of its bytes, is computed once.

Why links go through `url()` (a template global): the server links by site path (`/browse`,
`/position/A1-1.01`), a static export (kg.export.site) by a relative path to the file that holds the
document (`../browse.html`, `A1-1.01.html`), so the exported folder works from any path. The
templates are the same; the Site's linker decides (ServerLinker here, kg.export.site.StaticLinker).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import jinja2
import pyoxigraph as ox

from kg.cache import ByteCache
from kg.rdf import dumps
from kg.rdf.terms import written
from kg.release.archive import ArchivedRelease, archive_of_release, archived_releases, version_key
from kg.release.catalog import (
    ReleaseFile,
    ReleaseSummary,
    media_type_of,
    read_publication,
    release_files,
    release_summary,
)
from kg.release.changes import CHANGES_ATOM, read_log
from kg.release.folder import SUMS_NAME
from kg.web import i18n
from kg.web.pages import (
    CHANGE_KINDS,
    KIND_NAMES,
    PREFIXES,
    QUOTE_ROLES,
    HomePage,
    PageService,
    Repository,
    json_for_script,
)
from kg.web.routes import FORMATS, ROUTES, VOCABULARY_IRI, Mode, Route, by_kind, match

#: Seconds clients and proxies may reuse a document (and a 303) without asking again.
MAX_AGE = 3600
_RDF_WRITERS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


def content_type(media_type: str) -> str:
    """The Content-Type header: text types and JSON say UTF-8 explicitly."""
    if media_type.startswith("text/") or media_type in ("application/json",):
        return f"{media_type}; charset=utf-8"
    return media_type


def etag_of(body: bytes) -> str:
    """A strong ETag: the first 128 bits of the body's SHA-256."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


#: The site path of the document being rendered (for relative links in a static export).
_HERE: ContextVar[str | None] = ContextVar("kg_document_here", default=None)


class Linker(Protocol):
    """Turns a link as templates write it (a site path or a URL) into the href to emit."""

    def url(self, href: str, here: str | None) -> str: ...


class ServerLinker:
    """The server's links: site paths, unchanged (the server answers every one of them)."""

    def url(self, href: str, here: str | None) -> str:
        return href


@dataclass(frozen=True, slots=True)
class Document:
    body: bytes
    media_type: str
    etag: str


def _plain(value: Any) -> Any:
    """Dataclasses to JSON-ready values."""
    is_instance = dataclasses.is_dataclass(value) and not isinstance(value, type)
    return dataclasses.asdict(value) if is_instance else value


@dataclass(frozen=True)
class AboutPage:
    """What the about page shows (and its JSON twin holds)."""

    home: HomePage
    release: ReleaseSummary
    base_iri: str
    vocabulary: str
    example: dict[str, Any] | None
    changes: str | None


def environment(templates_dir: Path) -> jinja2.Environment:
    """The Jinja environment of the site's templates, translated through kg.web.i18n.

    Why one: every page the server answers (documents, search, finder, SPARQL, errors,
    the reconciliation preview) and every file of the static export is rendered by the
    environment a Site makes here, so the whitespace rules, filters and globals cannot drift.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["filesize"] = filesize
    i18n.install(env)
    return env


class Site:
    """Renders every document of one release.

    `repository` is kg.query.store.Repository (server) or kg.query.local_store.LocalRepository (export).
    `linker` makes the links of templates (ServerLinker by default; kg.export.site passes its own),
    `sparql` is where pages link the SPARQL endpoint (None: nowhere, as in a static export),
    `archive_dir` holds the releases served at /downloads/<version>/ (default: the archive
    beside the release folder, kg.release.archive).
    """

    #: Paths the sitemap lists, set when it is first asked for (kg.web.linked_data).
    sitemap_paths: list[str]

    def __init__(
        self,
        repository: Repository,
        release_dir: Path,
        base_iri: str,
        templates_dir: Path,
        static_dir: Path,
        cache_bytes: int = 32 * 1024 * 1024,
        linker: Linker | None = None,
        sparql: str | None = "/sparql",
        archive_dir: Path | None = None,
    ) -> None:
        self.release_dir = Path(release_dir)
        self.linker = linker or ServerLinker()
        publication = read_publication(self.release_dir)
        self.pages = PageService(repository, base_iri, publication)
        self.base_iri = self.pages.base
        self.files: dict[str, ReleaseFile] = {
            f.name: f for f in release_files(self.release_dir, publication["catalog"])
        }
        self.release = release_summary(publication["catalog"])
        archive = archive_dir if archive_dir is not None else archive_of_release(self.release_dir)
        self.archive: dict[str, ArchivedRelease] = {
            r.version: r for r in archived_releases(archive)
        }
        self.static = _load_static(Path(static_dir))
        self.env = environment(Path(templates_dir))
        self.env.globals.update(
            static=self.static_url,
            url=self.url,
            sparql=sparql,
            formats=FORMATS,
            has_catalog=bool(publication["catalog"]),
            has_void=bool(publication["void"]),
            has_changes=bool(publication["changes"]),
            kind_names=KIND_NAMES,
            quote_roles=QUOTE_ROLES,
            change_kinds=CHANGE_KINDS,
        )
        self._cache: ByteCache[tuple[str, str, str], Document] = ByteCache(
            cache_bytes, cache_bytes // 4, lambda key, doc: len(key[0]) + len(doc.body) + 200
        )

    # ------------------------------------------------------------------ addressing

    def iri(self, route: Route, params: dict[str, str]) -> str:
        """The IRI a resource route identifies: under the base IRI, or the route's fixed IRI."""
        return route.fixed_iri or self.pages.iri_of(route.path(**params))

    def valid_iri(self, route: Route, params: dict[str, str]) -> str | None:
        """The IRI, or None when the path cannot make one (e.g. quotes or brackets in it)."""
        iri = self.iri(route, params)
        try:
            ox.NamedNode(iri)
        except ValueError:
            return None
        return iri

    def url(self, href: str, lang: str | None = None) -> str:
        """The href to emit for a link to `href` (a site path or a URL), from the document
        being rendered, in the language being rendered (or `lang`)."""
        return self.linker.url(localize(href, lang or i18n.current()), _HERE.get())

    def static_url(self, name: str) -> str:
        """A static file's URL, with a content hash so it can be cached for long."""
        doc = self.static.get(name)
        path = f"/static/{name}?v={doc.etag.strip(chr(34))[:12]}" if doc else f"/static/{name}"
        return self.url(path)

    def alternates(self, route: Route, params: dict[str, str]) -> list[dict[str, str]]:
        """The documents of a resource or page: format, media type, label, URL."""
        return [
            {
                "ext": fmt,
                "media_type": FORMATS[fmt].media_type,
                "label": FORMATS[fmt].label,
                "href": route.document_path(fmt, **params),
            }
            for fmt in route.formats
        ]

    # ------------------------------------------------------------------ documents

    async def exists(self, route: Route, params: dict[str, str]) -> bool:
        iri = self.valid_iri(route, params)
        return iri is not None and await self.pages.exists(iri, route.kind)

    async def resource(
        self, route: Route, params: dict[str, str], fmt: str, lang: str = i18n.DEFAULT
    ) -> Document | None:
        """The document of a resource in one format (HTML in `lang`), or None if the release
        lacks it."""
        key = (route.document_path(fmt, **params), fmt, lang if fmt == "html" else "")
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        return (await self.resource_documents(route, params, [(fmt, lang)])).get((fmt, lang))

    async def resource_documents(
        self, route: Route, params: dict[str, str], wanted: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Document]:
        """The documents of a resource in the (format, language) pairs `wanted`, leaving out
        those the release lacks.

        Why together: the description is fetched, and the page data made, once for all of
        them (the export asks for the HTML in every language and every RDF twin)."""
        iri = self.valid_iri(route, params)
        if iri is None:
            return {}
        triples = await self.pages.describe(iri, route.kind)
        # an RDF twin exists only if the resource itself is described (once, for every twin)
        described = any(
            isinstance(t.subject, ox.NamedNode) and t.subject.value == iri for t in triples
        )
        page: Any = None
        out: dict[tuple[str, str], Document] = {}
        for fmt, lang in wanted:
            body: bytes | None
            if fmt == "html" and route.kind == "changes":
                body = self._changes_page(route, params, iri, triples, lang)
            elif fmt == "html":
                if page is None:
                    page = await self.pages.concept(iri, route.kind, triples)
                body = None if page is None else self._concept_page(route, params, page, lang)
            elif described:
                body = serialize(triples, fmt)
            else:
                body = None
            if body is not None:
                doc = Document(body, FORMATS[fmt].media_type, etag_of(body))
                key = (route.document_path(fmt, **params), fmt, lang if fmt == "html" else "")
                self._cache.put(key, doc)
                out[fmt, lang] = doc
        return out

    def _changes_page(
        self,
        route: Route,
        params: dict[str, str],
        iri: str,
        triples: list[ox.Triple],
        lang: str,
    ) -> bytes | None:
        if not triples:
            return None
        return self.render(
            route.template or "changes.html",
            lang=lang,
            iri=iri,
            log=read_log(triples, self.base_iri),
            href=self.pages.href,
            feed=f"/downloads/{CHANGES_ATOM}" if CHANGES_ATOM in self.files else None,
            alternates=self.alternates(route, params)[1:],
            self_href=route.document_path("html", **params),
        )

    def _concept_page(self, route: Route, params: dict[str, str], page: Any, lang: str) -> bytes:
        return self.render(
            route.template or "concept.html",
            lang=lang,
            page=page,
            jsonld=json_for_script(page.schema_org),
            alternates=self.alternates(route, params)[1:],
            self_href=route.document_path("html", **params),
        )

    async def page(self, route: Route, fmt: str, lang: str = i18n.DEFAULT) -> Document:
        """Home, browse or downloads, as HTML (in `lang`) or its JSON twin."""
        key = (route.pattern, fmt, lang if fmt == "html" else "")
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if route.kind == "home":
            data: Any = await self.pages.home()
            extra = {"jsonld": json_for_script(data.schema_org)}
        elif route.kind == "browse":
            data = await self.pages.browse()
            extra = {}
        elif route.kind == "downloads":
            data = self.downloads()
            extra = {}
        elif route.kind == "about":
            data = await self.about()
            extra = {}
        else:
            raise ValueError(f"no page of kind {route.kind}")
        if fmt == "json":
            body = (
                json.dumps(_plain(data), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
            ).encode("utf-8")
        else:
            body = self.render(
                route.template or f"{route.kind}.html",
                lang=lang,
                page=data,
                alternates=[a for a in self.alternates(route, {}) if a["ext"] != "html"],
                self_href=route.pattern,
                **extra,
            )
        doc = Document(body, FORMATS[fmt].media_type, etag_of(body))
        self._cache.put(key, doc)
        return doc

    def downloads(self) -> dict[str, Any]:
        """The downloads page's data: every release file with type, size, checksum, licence;
        this release's version and every archived release's files at their versioned URLs."""
        files = sorted(self.files.values(), key=lambda f: (not f.distribution, f.name))
        distributions = {f.name for f in files if f.distribution}
        releases = []
        for r in sorted(self.archive.values(), key=lambda r: version_key(r.version), reverse=True):
            listed = [f for f in r.files.values() if f.name in distributions or f.name == SUMS_NAME]
            releases.append(
                {
                    "version": r.version,
                    "date": r.date.isoformat() if r.date else None,
                    "notes": r.notes.get("en") or next(iter(r.notes.values()), None),
                    "current": r.version == self.release.version,
                    "files": [
                        {**dataclasses.asdict(f), "href": f"/downloads/{r.version}/{f.name}"}
                        for f in sorted(listed, key=lambda f: (f.name == SUMS_NAME, f.name))
                    ],
                }
            )
        return {
            "files": [{**dataclasses.asdict(f), "href": f"/downloads/{f.name}"} for f in files],
            "sums": f"/downloads/{SUMS_NAME}" if SUMS_NAME in self.files else None,
            "catalog": "/catalog" if self.env.globals["has_catalog"] else None,
            "void": "/void" if self.env.globals["has_void"] else None,
            "release": dataclasses.asdict(self.release),
            "releases": releases,
            "changes": "/changes" if self.env.globals["has_changes"] else None,
            "feed": f"/downloads/{CHANGES_ATOM}" if CHANGES_ATOM in self.files else None,
        }

    async def about(self) -> AboutPage:
        """The about page's data: the register (from the home page's data), this release, and
        an example of a URI with its documents."""
        example = by_kind("position")
        params = {"notation": "A1-1.01"}
        iri = self.iri(example, params)
        has_example = await self.pages.exists(iri, example.kind)
        return AboutPage(
            home=await self.pages.home(),
            release=self.release,
            base_iri=self.base_iri,
            vocabulary=VOCABULARY_IRI,
            example={
                "iri": iri,
                "path": example.path(**params),
                "alternates": self.alternates(example, params),
            }
            if has_example
            else None,
            changes="/changes" if self.env.globals["has_changes"] else None,
        )

    def download(self, name: str) -> tuple[Path, ReleaseFile] | None:
        """A release file by its listed name; anything not listed (e.g. '../x') is None."""
        info = self.files.get(name)
        if info is None:
            return None
        return self.release_dir / info.name, info

    def archived(self, version: str, name: str) -> tuple[Path, ReleaseFile] | None:
        """A file of an archived release, if that release's SHA256SUMS lists it."""
        release = self.archive.get(version)
        found = release.files.get(name) if release is not None else None
        if release is None or found is None:
            return None
        info = ReleaseFile(
            name=found.name,
            media_type=media_type_of(found.name),
            size=found.size,
            sha256=found.sha256,
            title=found.name,
            licence=None,
            licence_title=None,
            distribution=False,
        )
        return release.folder / found.name, info

    def not_found(self, path: str, fmt: str, lang: str = i18n.DEFAULT) -> Document:
        """The 404 document, suggesting a search for the path's last segment."""
        query = _search_term(path)
        search = "/search?" + _urlencode(query)
        if fmt == "html":
            body = self.render(
                "not_found.html",
                lang=lang,
                path=path,
                query=query,
                search=search,
                alternates=[],
                self_href=None,
            )
        elif fmt == "json":
            data = {"error": "not found", "path": path, "search": search, "query": query}
            body = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
        else:
            body = f"Not found: {path}\nTry a search: {search}\n".encode()
        media = {"html": "text/html", "json": "application/json"}.get(fmt, "text/plain")
        return Document(body, media, etag_of(body))

    def render(self, template: str, lang: str | None = None, **context: Any) -> bytes:
        """`template` with `context` in language `lang` (default: the current one); links
        resolve from `self_href` (the document's plain path, None for an error page), and the
        page names its versions in the other languages (`versions`, for hreflang)."""
        routes = {r.kind: r for r in ROUTES}
        with i18n.using(lang or i18n.current()) as lang:
            plain = context.pop("self_href", None)
            here = i18n.prefixed(plain, lang) if plain else None
            token = _HERE.set(here)
            try:
                versions = {
                    other: self.url(localize(plain, other), lang=i18n.DEFAULT)
                    for other in i18n.LANGUAGES
                    if plain
                }
                canonical = versions[lang] if plain else None
                return (
                    self.env.get_template(template)
                    .render(
                        routes=routes,
                        base_iri=self.base_iri,
                        lang=lang,
                        self_href=here,
                        versions=versions,
                        canonical=canonical,
                        **{"alternates": [], **context},
                    )
                    .encode("utf-8")
                )
            finally:
                _HERE.reset(token)


@functools.lru_cache(maxsize=1 << 16)
def localize(href: str, lang: str) -> str:
    """The link to the `lang` version of what `href` (a plain site path, maybe with a query
    or fragment) points at: pages, resources and the search and SPARQL pages get the language
    prefix, and a resource's identifier becomes its HTML document, so the reader's choice of
    language stays while they navigate. Files, RDF documents and URLs are left alone.
    Memoised: a page links the same targets as its neighbours, and the route table is fixed."""
    if not href.startswith("/") or href.startswith("//"):
        return href
    parts = urlsplit(href)
    found = match(parts.path)
    if found is None:
        return href
    route, path = found.route, parts.path
    if route.mode is Mode.RESOURCE and found.ext is None:
        path += ".html"
    elif not (
        (route.mode is Mode.RESOURCE and found.ext == "html")
        or (route.mode is Mode.PAGE and found.ext is None)
        or route.kind in LOCALIZED_SERVICES
    ):
        return href
    return urlunsplit(("", "", i18n.prefixed(path, lang), parts.query, parts.fragment))


#: Services whose pages have language versions.
LOCALIZED_SERVICES = ("search", "sparql", "finder")


def filesize(size: int) -> str:
    """Bytes for people: 1.5 MB, 6.1 kB, 742 bytes."""
    if size < 1000:
        return f"{size} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if size < scale * 1000:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1e12:.1f} TB"


def serialize(triples: list[ox.Triple], fmt: str) -> bytes:
    """RDF in one of the resource formats; JSON-LD with the published context embedded."""
    if fmt == "jsonld":
        return dumps.jsonld(triples)
    prefixes = PREFIXES if fmt in ("ttl", "rdf") else None
    return written(ox.serialize(triples, format=_RDF_WRITERS[fmt], prefixes=prefixes))


def _search_term(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    for fmt in FORMATS:
        if last.endswith("." + fmt):
            last = last[: -len(fmt) - 1]
    return last


def _urlencode(query: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": query})


def _load_static(folder: Path) -> dict[str, Document]:
    """Every file under site/static, read once: the whitelist the server answers from."""
    types = {
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".js": "text/javascript",
        ".ico": "image/x-icon",
        ".png": "image/png",
    }
    out = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                body = path.read_bytes()
                media = types.get(path.suffix, "application/octet-stream")
                out[path.relative_to(folder).as_posix()] = Document(body, media, etag_of(body))
    return out


def resource_paths(site: Site) -> list[tuple[Route, dict[str, str]]]:
    """Every resource the release describes, as (route, parameters), in path order."""
    iris: set[str] = set()
    path = site.release_dir / "register.nt"
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
        if isinstance(quad.subject, ox.NamedNode):
            iris.add(quad.subject.value.split("#", 1)[0])
    for triples in site.pages.publication.values():
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                iris.add(t.subject.value.split("#", 1)[0])
    found: dict[str, tuple[Route, dict[str, str]]] = {}
    for iri in iris:
        href = site.pages.href(iri)
        m = match(href) if href.startswith("/") else None
        if m is not None and m.route.mode is Mode.RESOURCE and m.ext is None:
            found[href] = (m.route, m.params)
    return [found[k] for k in sorted(found)]
