"""Routes of search and reconciliation: they decode requests and encode answers, nothing more.

What is found and how it is scored lives in kg.lookup.search; the protocol rules of the W3C
Reconciliation Service API 0.2 live in kg.lookup.reconcile. The app keeps one index and one
reconciler in its context (kg.web.context: built when the app is created, so each uvicorn
worker process has its own).

- ``GET /search?q=`` HTML page (works without JavaScript), ``GET /api/search?q=`` its JSON
  twin, documented in the OpenAPI schema;
- ``GET|POST /reconcile`` manifest, ``queries=`` batches and ``extend=`` requests (POST as
  ``application/x-www-form-urlencoded``, exactly as OpenRefine sends them);
  ``/reconcile/preview``, ``/reconcile/suggest/{entity,type,property}``,
  ``/reconcile/properties``.

Why CORS on every answer, errors included: OpenRefine and browser-based tools call the
service from other origins, and an error they cannot read is an error they cannot report.
The service is read-only and uses no cookies, so ``*`` is safe. ``callback=`` wraps a JSON
answer as JSONP for old clients.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import TemplateNotFound
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, JSONResponse, Response

from kg.errors import HttpError
from kg.lookup.reconcile import ReconcileError, Reconciler, parse_json_param, service_error
from kg.lookup.search import (
    TYPE_ORDER,
    Filters,
    Group,
    Hit,
    Rows,
    SearchIndex,
    chips,
    nearest_titles,
    parse_query,
    result_rows,
)
from kg.query.store import QueryError
from kg.settings import Settings
from kg.web import error_pages, i18n
from kg.web.bounds import (
    check_batch,
    check_count,
    check_extend,
    check_limit,
    check_text,
    off_loop,
    settings_of,
)
from kg.web.context import context
from kg.web.sparql import parse_pairs as parse_form

CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "86400",
}
#: Largest accepted POST body: a 1000-query batch of long titles fits many times over.
MAX_BODY = 4 * 1024 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
_CALLBACK_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
#: The site's base template, used by the search page once the site has one.
BASE_TEMPLATE = "base.html"
#: Names of the facts on a reconciliation preview card (kg.lookup.reconcile), for the catalogs.
PREVIEW_FACTS = (
    i18n.N_("Notation"),
    i18n.N_("Block"),
    i18n.N_("Tier"),
    i18n.N_("Grade"),
    i18n.N_("Step"),
    i18n.N_("Sector"),
    i18n.N_("Institution types"),
)
#: The search page's path (its language versions are under /ru/, /en/: kg.web.i18n).
PATH_SEARCH = "/search"
EntityType = Literal[TYPE_ORDER]  # type: ignore[valid-type]


class CorsRoute(APIRoute):
    """A route whose every answer carries CORS headers, errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError as exc:
                response = JSONResponse({"detail": jsonable_encoder(exc.errors())}, 422)
            except HttpError as exc:
                response = error_pages.refusal(request, exc, as_json=True)
            except ReconcileError as exc:
                response = error_pages.refusal(request, HttpError(400, str(exc)), as_json=True)
            except RecursionError:  # JSON nested just below the parser's own limit
                response = JSONResponse(service_error("the request is nested too deeply"), 400)
            for name, value in CORS_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return route


router = APIRouter(route_class=CorsRoute)


# ---------------------------------------------------------------------------- search


class SearchItem(BaseModel):
    """One entity found."""

    id: str = Field(description="Path of the entity's URI under the base IRI, e.g. position/C2.02")
    uri: str
    type: str = Field(description="position, occupation, grade, tier, block, institution-type, ...")
    notation: str = Field(description="Register code (positions, grades, tiers, blocks) or id")
    label: str = Field(description="Kazakh preferred label")
    grade: str = Field(description="Grade notation the entity stands in ('' if none)")
    score: float = Field(ge=0, le=100)
    matched: str = Field(description="The label or code that matched best")
    deprecated: bool
    replaced_by: list[str] = Field(
        default_factory=list,
        description="A deprecated entity's successors (ids), e.g. the parts of a split position",
    )


class ChipFact(BaseModel):
    """A fact that sets one grade of a title apart from its other grades."""

    property: str = Field(description="qualification-level, category, significance-level, ...")
    id: str
    label: str = Field(description="The law's words (Kazakh)")


class SearchChip(BaseModel):
    """One grade of a title and what distinguishes it."""

    grade: str
    id: str = Field(description="The position (or grade) in that grade")
    facts: list[ChipFact]


class SearchGroup(BaseModel):
    """Hits of one type with the same normalised title, their grades side by side."""

    title: str
    type: str
    score: float = Field(ge=0, le=100)
    grades: list[str] = Field(description="Grade notations of the members, in register order")
    chips: list[SearchChip] = Field(description="Each grade with the facts that set it apart")
    items: list[SearchItem]


class Suggestion(BaseModel):
    """A position spelled like the query, offered when nothing matches."""

    id: str
    label: str
    grades: list[str]


class SearchInterpretation(BaseModel):
    """How the query was read."""

    codes: list[str] = Field(description="Register codes, look-alike letters mapped to Latin")
    words: list[str] = Field(description="Words folded as a Russian keyboard types them")
    keys: list[str] = Field(description="Search keys after Kazakh suffix stripping")
    facts: dict[str, str] = Field(
        description="Category and qualification level the query's words name (kind -> id)"
    )


class SearchResponse(BaseModel):
    """Search results: the best groups first."""

    query: str
    types: list[str]
    filters: dict[str, str] = Field(description="sector, block, institution_type, as given")
    total: int = Field(description="Number of result rows (titles) on all pages")
    page: int
    per_page: int
    pages: int
    interpretation: SearchInterpretation
    groups: list[SearchGroup] = Field(description="The rows of this page: one per title")
    occupations: list[SearchGroup] = Field(description="Occupations found, listed apart")
    no_such_position: bool = Field(
        description="True when the query names no position of this register"
    )
    message: str = Field(description="A plain sentence when nothing matched ('' otherwise)")
    suggestions: list[Suggestion] = Field(description="Nearest titles when nothing matched")


def _search(
    request: Request, q: str, types: list[str] | None, limit: int
) -> tuple[SearchIndex, list[Hit]]:
    """The hits of a search, after the bounds of kg.web.bounds (the caller runs it off the
    event loop)."""
    limits = settings_of(request)
    check_text("the search query", q, limits)
    check_limit("limit", limit, limits)
    index = context(request).search
    return index, index.search(q, types or None, limit=limit)


def _item(h: Hit) -> dict[str, Any]:
    return {
        "id": h.entity.id,
        "uri": h.entity.uri,
        "type": h.entity.type,
        "notation": h.entity.notation,
        "label": h.entity.label("kk"),
        "grade": h.entity.grade_notation if h.entity.type in ("position", "grade") else "",
        "score": h.score,
        "matched": h.matched,
        "deprecated": h.entity.deprecated,
        "replaced_by": list(h.entity.links.get("replaced-by", ())),
    }


def _group(index: SearchIndex, g: Group) -> dict[str, Any]:
    return {
        "title": g.title,
        "type": g.type,
        "score": g.score,
        "grades": g.grades,
        "chips": [
            {
                "grade": c.grade,
                "id": c.hit.entity.id,
                "facts": [{"property": k, "id": e.id, "label": e.label("kk")} for k, e in c.facts],
            }
            for c in chips(index, g)
        ]
        if g.type in ("position", "grade")
        else [],
        "items": [_item(h) for h in g.hits],
    }


@dataclass
class _Page:
    rows: Rows
    page: int
    per_page: int

    @property
    def total(self) -> int:
        return len(self.rows.groups)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def groups(self) -> list[Group]:
        start = (self.page - 1) * self.per_page
        return self.rows.groups[start : start + self.per_page]


def _results(
    index: SearchIndex, q: str, hits: list[Hit], filters: Filters, page: int, per_page: int
) -> tuple[_Page, bool, list[Any]]:
    """The page of rows, whether the query names no position here, and the nearest titles."""
    rows = result_rows(index, q, hits, filters)
    parsed = parse_query(q)
    found_job = any(
        h.entity.type in ("position", "occupation")
        for g in rows.groups + rows.occupations
        for h in g.hits
    )
    nothing = bool(parsed.stems) and not parsed.codes and not found_job and not filters
    suggestions = nearest_titles(index, q) if nothing else []
    return _Page(rows, page, per_page), nothing, suggestions


def _search_response(
    index: SearchIndex,
    q: str,
    types: list[str],
    hits: list[Hit],
    filters: Filters | None = None,
    page: int = 1,
    per_page: int = 20,
) -> dict:
    filters = filters or Filters()
    parsed = parse_query(q)
    paged, nothing, suggestions = _results(index, q, hits, filters, page, per_page)
    return {
        "query": q,
        "types": types,
        "filters": {
            k: v
            for k, v in (
                ("sector", filters.sector),
                ("block", filters.block),
                ("institution_type", filters.institution_type),
            )
            if v
        },
        "total": paged.total,
        "page": page,
        "per_page": per_page,
        "pages": paged.pages,
        "interpretation": {
            "codes": list(parsed.codes),
            "words": list(parsed.words),
            "keys": list(parsed.stems),
            "facts": paged.rows.facts,
        },
        "groups": [_group(index, g) for g in paged.groups],
        "occupations": [_group(index, g) for g in paged.rows.occupations],
        "no_such_position": nothing,
        "message": NO_SUCH_POSITION.format(q=q.strip()) if nothing else "",
        "suggestions": [
            {
                "id": e.id,
                "label": e.label("kk"),
                "grades": [
                    x.grade_notation
                    for x in index.entities
                    if x.type == "position" and x.label("kk") == e.label("kk")
                ],
            }
            for e in suggestions
        ],
    }


#: The plain answer to a word that names no position of the register.
NO_SUCH_POSITION = (
    "There is no position called “{q}” in this register (civil servants of the social "
    "security sector). The nearest titles are listed below."
)


QueryParam = Annotated[
    str,
    Query(
        description="What to find: a title in any case, with or without Kazakh letters, "
        "inflected, an abbreviation or its expansion, or a code such as B2-1 or C2.02 "
        "(at most 500 characters and 64 words by default: max_query_chars, max_query_words)",
    ),
]
TypeParam = Annotated[
    list[EntityType] | None, Query(alias="type", description="Only these types (repeatable)")
]
LimitParam = Annotated[
    int, Query(ge=1, description="Most entities to return (at most max_limit, 500 by default)")
]
_TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "Over a limit of the service; the body names it"}
}
PageParam = Annotated[int, Query(ge=1, le=10000, description="Page of result rows, from 1")]
PerPageParam = Annotated[int, Query(ge=1, le=100, description="Result rows (titles) per page")]
SectorParam = Annotated[
    str, Query(max_length=100, description="Only this sector (id: healthcare, education, other)")
]
BlockParam = Annotated[str, Query(max_length=10, description="Only this block (A, B, C or D)")]
InstitutionParam = Annotated[
    str,
    Query(
        max_length=100,
        description="Only positions of this kind of institution (id, e.g. ZTMO; a broader kind "
        "such as MM includes its narrower kinds)",
    ),
]


@router.get(
    "/api/search",
    response_model=SearchResponse,
    summary="Find positions, grades, tiers, institution types and occupations",
    tags=["search"],
    responses=_TOO_LARGE,
)
async def api_search(
    request: Request,
    q: QueryParam = "",
    types: TypeParam = None,
    limit: LimitParam = 500,
    page: PageParam = 1,
    per_page: PerPageParam = 20,
    sector: SectorParam = "",
    block: BlockParam = "",
    institution_type: InstitutionParam = "",
) -> JSONResponse:
    """Results grouped by normalised title: one title in several grades is one row that
    lists the grades side by side, each grade with the facts that set it apart (chips);
    occupations are listed apart. Category and qualification words in the query are read as
    facts ("врач второй категории"). A query that names no position of the register gets
    ``no_such_position`` and the nearest titles. The HTML page at /search shows the same."""
    filters = Filters(sector.strip(), block.strip(), institution_type.strip())

    def answer() -> dict:
        index, hits = _search(request, q, types, limit)
        return _search_response(index, q, list(types or []), hits, filters, page, per_page)

    body = await off_loop(request, answer)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


@router.get("/search", response_class=HTMLResponse, include_in_schema=False, responses=_TOO_LARGE)
async def search_page(
    request: Request,
    q: QueryParam = "",
    types: TypeParam = None,
    limit: LimitParam = 500,
    page: PageParam = 1,
    per_page: PerPageParam = 20,
    sector: SectorParam = "",
    block: BlockParam = "",
    institution_type: InstitutionParam = "",
) -> Response:
    """The search page: a plain GET form and its results, no JavaScript needed.

    Rendered by the site (kg.web.documents), so it extends the site's base template (when
    the templates have one; else on its own).
    """
    filters = Filters(sector.strip(), block.strip(), institution_type.strip())

    def answer() -> tuple[SearchIndex, tuple[_Page, bool, list[Any]]]:
        index, hits = _search(request, q, types, limit)
        return index, _results(index, q, hits, filters, page, per_page)

    index, (paged, nothing, suggestions) = await off_loop(request, answer)
    asked = SearchAsked(q, list(types or []), limit, page, per_page, filters)
    root = request.scope.get("root_path", "")
    values = page_values(index, asked, paged, nothing, suggestions, root)
    headers = {"Cache-Control": "public, max-age=300"}
    site = context(request).site
    base = BASE_TEMPLATE if _has_template(site.env, BASE_TEMPLATE) else None
    body = site.render("search.html", base_template=base, self_href=PATH_SEARCH, **values)
    return HTMLResponse(body, headers=headers)


@dataclass(frozen=True)
class SearchAsked:
    """What the search page was asked: the query, types, bounds, page and filters."""

    q: str
    types: list[str]
    limit: int
    page: int
    per_page: int
    filters: Filters


def page_values(
    index: SearchIndex,
    asked: SearchAsked,
    paged: _Page,
    nothing: bool,
    suggestions: list[Any],
    root: str,
) -> dict[str, Any]:
    """What search.html shows for `asked` and its results (`paged`; `nothing`: the query
    names no position here, `suggestions` the nearest titles), under the path prefix `root`."""
    q, types, limit, page, per_page, filters = (
        asked.q,
        asked.types,
        asked.limit,
        asked.page,
        asked.per_page,
        asked.filters,
    )
    params = [("q", q), *(("type", t) for t in types)]
    params += [(k, v) for k, v in _filter_params(filters) if v]
    api = f"{root}/api/search?" + urlencode(params)
    return {
        "root": root,
        "q": q,
        "types": list(types),
        "all_types": [
            (t, index.type_name(t, i18n.current())) for t in TYPE_ORDER if t in _present(index)
        ],
        "type_names": {t: index.type_name(t, i18n.current()) for t in TYPE_ORDER},
        "groups": paged.groups if q.strip() else [],
        "occupations": paged.rows.occupations if q.strip() else [],
        "total": paged.total if q.strip() else 0,
        "limit": limit,
        "page": page,
        "per_page": per_page,
        "pages": paged.pages,
        # the page's query string; the template puts it after the search page's own URL,
        # which keeps the reader's language
        "page_query": lambda n: urlencode([*params, ("page", str(n)), ("per_page", str(per_page))]),
        "filters": filters,
        "filter_options": _filter_options(index),
        "chips": lambda g: chips(index, g),
        "no_such_position": nothing,
        "suggestions": suggestions,
        "alternates": [{"media_type": "application/json", "href": api, "label": "JSON"}],
        "isco_codes": lambda e: list(dict.fromkeys(g.code for _, _, g in index.isco_codes(e))),
    }


def _filter_params(f: Filters) -> list[tuple[str, str]]:
    return [("sector", f.sector), ("block", f.block), ("institution_type", f.institution_type)]


@functools.lru_cache(maxsize=8)  # keyed by the served index (one per release), not by clients
def _filter_options(index: SearchIndex) -> dict[str, list[tuple[str, str]]]:
    """Choices of the filters: (id, Kazakh label) of sectors, blocks and institution types."""

    def of(kind: str) -> list[tuple[str, str]]:
        return [(e.notation or e.id, e.label("kk")) for e in index.entities if e.type == kind]

    sectors = [
        (e.id.rpartition("/")[2], e.label("kk")) for e in index.entities if e.type == "sector"
    ]
    return {"sector": sectors, "block": of("block"), "institution_type": of("institution-type")}


def _has_template(env: Any, name: str) -> bool:
    try:
        env.get_template(name)
    except TemplateNotFound:
        return False
    return True


def _present(index: SearchIndex) -> set[str]:
    return {e.type for e in index.entities}


# ---------------------------------------------------------------------------- reconciliation


async def _params(request: Request) -> dict[str, str]:
    """URL parameters, and for POST the form fields (which win), as one dict."""
    params = dict(request.query_params)
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HttpError(413, f"the request body is larger than {MAX_BODY} bytes")
        if body and media not in ("", FORM_TYPE):
            raise HttpError(415, f"POST needs Content-Type {FORM_TYPE} (got {media})")
        params.update(await off_loop(request, _form_fields, body))  # megabytes: not on the loop
    return params


def _form_fields(body: bytes) -> list[tuple[str, str]]:
    """The fields of a form body, decoded as the SPARQL endpoint decodes its own (at C speed:
    urllib's decoder takes most of a second for a 4 MB body)."""
    try:
        return parse_form(body.decode("ascii"))
    except (UnicodeError, QueryError):
        raise HttpError(400, "form fields must be percent-encoded UTF-8") from None


def _json(data: Any, params: dict[str, str], status: int = 200) -> Response:
    """JSON, or JSONP when a valid ``callback`` is given."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    callback = params.get("callback")
    if callback is None:
        return Response(body, status, media_type="application/json")
    if not _CALLBACK_RE.match(callback) or len(callback) > 128:
        raise HttpError(400, "'callback' must be a JavaScript identifier")
    return Response(f"/**/{callback}({body});", status, media_type="application/javascript")


def _urls(request: Request) -> tuple[str, str]:
    site = str(request.base_url).rstrip("/")
    return f"{site}/reconcile", site


def _reconciler(request: Request) -> Reconciler:
    return context(request).reconciler


def _documented(*params: tuple[str, str], form: bool = False) -> dict[str, Any]:
    """OpenAPI parameters (and a form body) of a route that reads the request itself."""
    extra: dict[str, Any] = {
        "parameters": [
            {"name": n, "in": "query", "required": False, "schema": _PARAM_SCHEMAS.get(n, _TEXT)}
            | {"description": d}
            for n, d in params
        ]
    }
    if any(n == "callback" for n, _ in params):  # JSONP answers are JavaScript
        jsonp = {"schema": {"type": "string"}}
        extra["responses"] = {"200": {"content": {"application/javascript": jsonp}}}
    if form:
        fields = {n: {"type": "string", "description": d} for n, d in params if n != "callback"}
        schema = {"type": "object", "properties": fields}
        extra["requestBody"] = {"content": {FORM_TYPE: {"schema": schema}}}
    return extra


_CALLBACK_DOC = ("callback", "JSONP: wrap the JSON answer in a call of this function")
_TEXT = {"type": "string"}
_PARAM_SCHEMAS = {"callback": {"type": "string", "pattern": _CALLBACK_RE.pattern, "maxLength": 128}}
_BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed request; the body says why"}
}


@router.api_route(
    "/reconcile",
    methods=["GET", "POST"],
    summary="W3C Reconciliation Service API 0.2: manifest, queries, data extension",
    tags=["reconciliation"],
    responses=_BAD_REQUEST,
    openapi_extra=_documented(
        ("queries", "A reconciliation query batch (JSON), as OpenRefine sends it"),
        ("extend", "A data extension query (JSON): ids and properties"),
        _CALLBACK_DOC,
        form=True,
    ),
)
async def reconcile(request: Request) -> Response:
    """Without parameters: the service manifest. ``queries=<JSON batch>`` reconciles,
    ``extend=<JSON>`` fetches property values; GET or POST (form-encoded)."""
    params = await _params(request)
    service = _reconciler(request)
    limits = settings_of(request)
    if "queries" in params:
        return await off_loop(request, _reconcile_batch, service, params, limits)
    if "extend" in params:
        return await off_loop(request, _extend, service, params, limits)
    return _json(service.manifest(*_urls(request)), params)


def _reconcile_batch(service: Reconciler, params: dict[str, str], limits: Settings) -> Response:
    """Parse, bound, answer and encode a batch: all of it in a worker thread."""
    batch = parse_json_param("queries", params["queries"])
    check_batch(batch, limits)
    return _json(service.reconcile(batch), params)


def _extend(service: Reconciler, params: dict[str, str], limits: Settings) -> Response:
    extend = check_extend(parse_json_param("extend", params["extend"]), limits)
    return _json(service.extend(extend), params)


@router.api_route(
    "/reconcile/properties",
    methods=["GET", "POST"],
    summary="Reconciliation: properties to fetch for a type (data extension)",
    tags=["reconciliation"],
    responses=_BAD_REQUEST,
    openapi_extra=_documented(
        ("type", "Type id (default: position)"), ("limit", "Most properties"), _CALLBACK_DOC
    ),
)
async def propose_properties(request: Request) -> Response:
    params = await _params(request)
    limit = _int(params, "limit")
    return _json(_reconciler(request).propose_properties(params.get("type"), limit), params)


@router.get(
    "/reconcile/suggest/entity",
    summary="Reconciliation: suggest entities",
    tags=["reconciliation"],
    responses=_BAD_REQUEST,
    openapi_extra=_documented(
        ("prefix", "What the user typed so far"),
        ("type", "Type ids, repeated or comma-separated"),
        ("cursor", "Number of suggestions to skip"),
        ("limit", "Most suggestions (default 10)"),
        _CALLBACK_DOC,
    ),
)
async def suggest_entity(request: Request) -> Response:
    params = dict(request.query_params)
    types = [t for v in request.query_params.getlist("type") for t in v.split(",") if t.strip()]
    limits = settings_of(request)
    prefix = params.get("prefix", "")
    check_text("the prefix", prefix, limits, prefix=True)
    check_count("types", len(types), limits.max_properties, "max_properties")
    cursor, limit = _int(params, "cursor") or 0, _int(params, "limit")
    check_limit("cursor", cursor, limits)
    if limit is not None:
        check_limit("limit", limit, limits)
    suggest = _reconciler(request).suggest_entities
    result = await off_loop(request, suggest, prefix, types, cursor, min(limit or 10, 100))
    return _json(result, params)


@router.get(
    "/reconcile/suggest/type",
    summary="Reconciliation: suggest types",
    tags=["reconciliation"],
    responses=_BAD_REQUEST,
    openapi_extra=_documented(("prefix", "What the user typed so far"), _CALLBACK_DOC),
)
async def suggest_type(request: Request) -> Response:
    params = dict(request.query_params)
    prefix = params.get("prefix", "")
    check_text("the prefix", prefix, settings_of(request), prefix=True)
    return _json(_reconciler(request).suggest_types(prefix), params)


@router.get(
    "/reconcile/suggest/property",
    summary="Reconciliation: suggest properties",
    tags=["reconciliation"],
    responses=_BAD_REQUEST,
    openapi_extra=_documented(
        ("prefix", "What the user typed so far"), ("type", "Only properties of this type")
    ),
)
async def suggest_property(request: Request) -> Response:
    params = dict(request.query_params)
    prefix = params.get("prefix", "")
    check_text("the prefix", prefix, settings_of(request), prefix=True)
    result = _reconciler(request).suggest_properties(prefix, params.get("type"))
    return _json(result, params)


@router.get(
    "/reconcile/preview",
    response_class=HTMLResponse,
    tags=["reconciliation"],
    responses={404: {"description": "No entity has this id (an HTML card says so)"}},
)
async def preview(request: Request, id: str = "") -> Response:
    """An HTML card of one entity, for OpenRefine's preview frame."""
    card = _reconciler(request).preview(id)
    if card is not None:  # named in the language of the request (/ru/reconcile/preview, ...)
        index = _reconciler(request).index
        card = {**card, "type_name": index.type_name(card["entity"].type, i18n.current())}
    body = context(request).site.render(
        "reconcile-preview.html", card=card, id=id, site=_urls(request)[1]
    )
    return HTMLResponse(body, status_code=200 if card else 404)


def _int(params: dict[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise HttpError(400, f"'{name}' must be an integer") from None


async def _preflight(request: Request) -> Response:
    """CORS preflight: any origin may GET or POST."""
    requested = request.headers.get("access-control-request-headers")
    headers = {**PREFLIGHT_HEADERS, "Access-Control-Allow-Headers": requested or "Content-Type"}
    return Response(status_code=204, headers={**headers, "Vary": "Access-Control-Request-Headers"})


_GET_ROUTES: dict[str, Callable[..., Awaitable[Response]]] = {
    "/api/search": api_search,
    "/search": search_page,
    "/reconcile": reconcile,
    "/reconcile/properties": propose_properties,
    "/reconcile/preview": preview,
    "/reconcile/suggest/entity": suggest_entity,
    "/reconcile/suggest/type": suggest_type,
    "/reconcile/suggest/property": suggest_property,
}
for _path, _endpoint in _GET_ROUTES.items():  # HEAD as GET (uvicorn drops the body)
    router.add_api_route(_path, _endpoint, methods=["HEAD"], include_in_schema=False)
    router.add_api_route(_path, _preflight, methods=["OPTIONS"], include_in_schema=False)
