"""Dereferenceable URIs, HTML pages and downloads: the HTTP face of kg.web.routes.

Handlers are thin: they match a path against the route table, negotiate a format, and answer
with a document from kg.web.documents.Site, adding the caching headers. The pattern (see
README "URIs"): an identifier path answers 303 See Other to the document the client prefers
(``Accept``, or ``?_format=`` which overrides it), with ``Vary: Accept``; a document path
(identifier + extension) answers 200 with ``Link`` headers to its other formats, a strong
ETag and Cache-Control, and 304 to a matching ``If-None-Match``. Unknown paths get 404 with a
suggested search, as HTML, JSON or plain text.

Paths are answered on whatever host the server runs: the IRI of a path is the base IRI
(settings.base_iri) plus the path, so a local server dereferences the published URIs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from kg.errors import HttpError
from kg.release.catalog import ReleaseFile
from kg.web import i18n
from kg.web.context import context
from kg.web.documents import (
    LOCALIZED_SERVICES,
    MAX_AGE,
    Document,
    Site,
    content_type,
    localize,
    resource_paths,
)
from kg.web.negotiation import choose, choose_or_refuse
from kg.web.replay import GZIP_MINIMUM
from kg.web.routes import ACCEPT_ALIASES, FORMATS, ROUTES, Mode, Route, match

_METHODS = ("GET", "HEAD")
_CORS = {"Access-Control-Allow-Origin": "*"}


def install(app: FastAPI) -> None:
    """Add the site's routes and 404 page to an app made by kg.web.app.create_app (whose
    context holds the Site)."""
    app.add_middleware(LanguagePrefix)
    # Text answers compressed when the client accepts gzip (adds Vary: Accept-Encoding).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM)
    app.add_api_route("/robots.txt", _robots, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/sitemap.xml", _sitemap, methods=["GET", "HEAD"], include_in_schema=False)
    for entry in ROUTES:
        if entry.mode is not Mode.SERVICE:
            app.router.routes.append(TableRoute(entry))
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


class LanguagePrefix:
    """Serves ``/ru/...`` and ``/en/...`` by the plain path's handler in that language.

    The prefix is taken off the path (the handlers and the route table know plain paths
    only), kept in ``scope["kg_lang"]``, and made the current language of the request, so any
    template rendered for it (pages, search, SPARQL, errors) speaks it. A plain path is
    Kazakh. Which documents have language versions is decided by the handlers (RDF
    documents and files do not: under a prefix they are 404).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang, path = i18n.split(scope["path"])
        if lang is not None:
            scope = {**scope, "path": path, "raw_path": path.encode("utf-8"), "kg_lang": lang}
        with i18n.using(lang or i18n.DEFAULT):
            await self.app(scope, receive, send)


def explicit_language(request: Request) -> str | None:
    """The language the URL names (its prefix), or None for a plain path."""
    return request.scope.get("kg_lang")


def page_language(request: Request) -> str:
    """The language of a page: its prefix, and Kazakh at the plain path."""
    return explicit_language(request) or i18n.DEFAULT


def wanted_language(request: Request) -> str:
    """What a client asks for where the URL does not say (303s, errors): the prefix, else
    Accept-Language, else Kazakh."""
    return i18n.choose(explicit_language(request), request.headers.get("accept-language"))


class TableRoute(BaseRoute):
    """One route-table entry as a Starlette route, matched by the entry's own regex."""

    def __init__(self, entry: Route) -> None:
        self.entry = entry
        self.path = entry.pattern
        self.name = entry.kind

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        found = match(scope["path"], (self.entry,))
        if found is None:
            return Match.NONE, {}
        child = {"endpoint": self.handle, "path_params": found.params, "kg_match": found}
        return (Match.FULL if scope["method"] in _METHODS else Match.PARTIAL), child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method not in _METHODS:
            response: Response = Response(
                "Method Not Allowed\n", 405, headers={"Allow": ", ".join(_METHODS)}
            )
        else:
            found = scope.get("kg_match")  # matches() found it; Starlette merged it in
            if found is None:
                found = match(scope["path"], (self.entry,))
            assert found is not None
            response = await _dispatch(request, self.entry, found.params, found.ext)
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)


def _site(request: Request) -> Site:
    return context(request).site


async def _dispatch(
    request: Request, entry: Route, params: dict[str, str], ext: str | None
) -> Response:
    if explicit_language(request) and not _has_versions(entry, ext):
        return not_found(request)
    if entry.mode is Mode.RESOURCE:
        return await _resource(request, entry, params, ext)
    if entry.mode is Mode.PAGE:
        doc = await _site(request).page(entry, ext or "html", page_language(request))
        links = [
            (entry.document_path(f), FORMATS[f].media_type)
            for f in entry.formats
            if f != (ext or "html")
        ]
        return _document(request, doc, links)
    if entry.kind == "download":
        return _download(request, _site(request).download(params["name"]))
    if entry.kind == "release-file":  # /downloads/<version>/<name>, from the archive
        return _download(request, _site(request).archived(params["version"], params["name"]))
    return _static(request, params["name"])


def _has_versions(entry: Route, ext: str | None) -> bool:
    """Whether a path has language versions (HTML pages and resource documents, and an
    identifier, which then answers 303 to its HTML in that language)."""
    if entry.mode is Mode.RESOURCE:
        return ext in (None, "html")
    return (entry.mode is Mode.PAGE and ext is None) or entry.kind in LOCALIZED_SERVICES


# ---------------------------------------------------------------------------- resources


def negotiate(request: Request, offers: tuple[str, ...], vary: str = "Accept") -> str:
    """The format to send: `_format` if given (HttpError 400 if unknown), else by Accept
    (HttpError 406 if none, naming `vary`, what the answer depends on)."""
    wanted = request.query_params.get("_format")
    if wanted is not None:
        key = wanted.strip().lower()
        for ext in offers:
            f = FORMATS[ext]
            if key in (f.ext, f.media_type, *f.aliases):
                return ext
        listed = ", ".join(offers)
        raise HttpError(  # a person who followed a bad link gets a page in their language
            400,
            f"unknown _format {wanted!r}; use one of: {listed}",
            page=(
                i18n.N_("Unknown format"),
                i18n.N_("There is no format “%(value)s”; use one of: %(formats)s."),
            ),
            values={"value": wanted, "formats": listed},
        )
    media = {FORMATS[e].media_type: e for e in offers}
    media.update({m: e for m, e in ACCEPT_ALIASES.items() if e in offers})
    shown = [FORMATS[e].media_type for e in offers]
    return media[choose_or_refuse(request.headers.get("accept"), tuple(media), vary, shown)]


async def _resource(
    request: Request, entry: Route, params: dict[str, str], ext: str | None
) -> Response:
    site = _site(request)
    if ext is None:  # the identifier: 303 to a document (HTML in the language asked for)
        # a 406 varies as the 303s do, on both headers
        fmt = negotiate(request, entry.formats, vary="Accept, Accept-Language")
        if not await site.exists(entry, params):
            return await _case_redirect(request, entry, params, ext) or not_found(request)
        location = entry.document_path(fmt, **params)
        if fmt == "html":
            location = localize(location, wanted_language(request))
        return Response(
            status_code=303,
            headers={
                "Location": location,
                "Vary": "Accept, Accept-Language",
                "Cache-Control": f"public, max-age={MAX_AGE}",
                **_CORS,
            },
        )
    doc = await site.resource(entry, params, ext, page_language(request))
    if doc is None:
        return await _case_redirect(request, entry, params, ext) or not_found(request)
    links = [
        (entry.document_path(f, **params), FORMATS[f].media_type) for f in entry.formats if f != ext
    ]
    return _document(request, doc, links, about=site.iri(entry, params))


async def _case_redirect(
    request: Request, entry: Route, params: dict[str, str], ext: str | None
) -> Response | None:
    """A notation typed in another case (`/position/b2-1-h.01`) answers 301 to its canonical
    form, when that exists; notations are upper case, identifiers of other kinds are not."""
    notation = params.get("notation")
    if not notation or notation == notation.upper():
        return None
    canonical = {**params, "notation": notation.upper()}
    if not await _site(request).exists(entry, canonical):
        return None
    path = entry.path(**canonical) + (f".{ext}" if ext else "")
    lang = explicit_language(request)
    location = i18n.prefixed(path, lang) if lang else path
    if request.url.query:
        location += "?" + request.url.query
    return Response(status_code=301, headers={"Location": location})


def _matches(header: str | None, etag: str) -> bool:
    """If-None-Match with the weak comparison RFC 9110 asks for."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


def _document(
    request: Request, doc: Document, links: list[tuple[str, str]], about: str | None = None
) -> Response:
    link_values = [f'<{href}>; rel="alternate"; type="{media}"' for href, media in links]
    if about:
        link_values.append(f'<{about}>; rel="about"')
    headers = {
        "ETag": doc.etag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Link": ", ".join(link_values),
        **_CORS,
    }
    if _matches(request.headers.get("if-none-match"), doc.etag):
        return Response(status_code=304, headers=headers)
    return Response(doc.body, media_type=content_type(doc.media_type), headers=headers)


# ---------------------------------------------------------------------------- files


def _download(request: Request, found: tuple[Path, ReleaseFile] | None) -> Response:
    if found is None:
        return not_found(request)
    path, info = found
    etag = f'"{info.sha256}"'
    # The file's SHA-256 from SHA256SUMS is a strong ETag; FileResponse keeps ours.
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE}", **_CORS}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=content_type(info.media_type), headers=headers)


def _static(request: Request, name: str) -> Response:
    doc = _site(request).static.get(name)
    if doc is None:
        return not_found(request)
    return _document(request, doc, [])


# ---------------------------------------------------------------------------- crawlers


async def _robots(request: Request) -> Response:
    """Crawlers may read every page; services that compute answers are left out."""
    body = (
        "User-agent: *\n"
        "Disallow: /sparql\nDisallow: /api/\nDisallow: /reconcile\n"
        "Disallow: /ru/sparql\nDisallow: /en/sparql\n"
        f"Sitemap: {str(request.base_url).rstrip('/')}/sitemap.xml\n"
    )
    return Response(body, media_type="text/plain; charset=utf-8")


async def _sitemap(request: Request) -> Response:
    """Every page and resource page in each language, with its other language versions
    (sitemaps protocol with xhtml:link hreflang alternates), on the host asked."""
    site = _site(request)
    if getattr(site, "sitemap_paths", None) is None:
        pages = [r.path() for r in ROUTES if r.mode is Mode.PAGE]
        resources = [route.document_path("html", **p) for route, p in resource_paths(site)]
        site.sitemap_paths = pages + resources
    root = str(request.base_url).rstrip("/")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    ]
    for path in site.sitemap_paths:
        links = (
            "".join(
                f'<xhtml:link rel="alternate" hreflang="{code}" href="{root}{i18n.prefixed(path, code)}"/>'
                for code in i18n.LANGUAGES
            )
            + f'<xhtml:link rel="alternate" hreflang="x-default" href="{root}{path}"/>'
        )
        for lang in i18n.LANGUAGES:
            out.append(f"<url><loc>{root}{i18n.prefixed(path, lang)}</loc>{links}</url>\n")
    out.append("</urlset>\n")
    return Response("".join(out), media_type="application/xml")


# ---------------------------------------------------------------------------- errors

_ERROR_OFFERS = ("text/plain", "text/html", "application/xhtml+xml", "application/json")


def not_found(request: Request) -> Response:
    """404 in the client's preferred form, suggesting a search for the last path segment."""
    chosen = choose(request.headers.get("accept"), _ERROR_OFFERS) or "text/plain"
    fmt = {"text/html": "html", "application/xhtml+xml": "html", "application/json": "json"}.get(
        chosen, "txt"
    )
    doc = _site(request).not_found(request.url.path, fmt, wanted_language(request))
    return Response(
        doc.body,
        status_code=404,
        media_type=content_type(doc.media_type),
        headers={"Vary": "Accept, Accept-Language", "Cache-Control": "no-store"},
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Unknown paths get the site's 404; other HTTP errors keep FastAPI's answer."""
    if exc.status_code == 404:
        return not_found(request)
    return await http_exception_handler(request, exc)


def wants_html(request: Request) -> bool:
    """True when the client prefers an HTML page to plain text (a browser)."""
    return choose(request.headers.get("accept"), ("text/plain", "text/html")) == "text/html"


def error_page(
    request: Request, status: int, heading: str, message: str, detail: str = "", **values: str
) -> Response:
    """An error as a page of the site, in the language the client asks for: `heading` and
    `message` are gettext ids (`message` formatted with `values`); `detail`, the service's
    own words, is shown as code below them."""
    site = _site(request)
    with i18n.using(wanted_language(request)) as lang:
        body = site.render(
            "error.html",
            lang=lang,
            heading=i18n.gettext(heading),
            message=i18n.gettext(message) % values,
            detail=detail,
            self_href=None,
        )
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Vary": "Accept, Accept-Language", "Cache-Control": "no-store"},
    )
