"""Routes of search and reconciliation: they decode requests and encode answers, nothing more.

What is found and how it is scored lives in kg.search; the protocol rules of the W3C
Reconciliation Service API 0.2 live in kg.reconcile. The app keeps one index and one
reconciler on ``app.state.search`` and ``app.state.reconciler`` (built when the app is
created, so each uvicorn worker process has its own).

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

import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import TemplateNotFound
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, JSONResponse, Response

from kg.reconcile import ReconcileError, Reconciler, parse_json_param, service_error
from kg.search import TYPE_ORDER, Hit, SearchIndex, parse_query
from kg.web import i18n

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
#: Names of the facts on a reconciliation preview card (kg.reconcile), for the catalogs.
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


class _Problem(Exception):
    """An expected problem with a request: its status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class CorsRoute(APIRoute):
    """A route whose every answer carries CORS headers, errors included."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError as exc:
                response = JSONResponse({"detail": jsonable_encoder(exc.errors())}, 422)
            except (_Problem, ReconcileError) as exc:
                status = exc.status if isinstance(exc, _Problem) else 400
                response = JSONResponse(service_error(str(exc)), status)
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


class SearchGroup(BaseModel):
    """Hits of one type with the same normalised title, their grades side by side."""

    title: str
    type: str
    score: float = Field(ge=0, le=100)
    grades: list[str] = Field(description="Grade notations of the members, in register order")
    items: list[SearchItem]


class SearchInterpretation(BaseModel):
    """How the query was read."""

    codes: list[str] = Field(description="Register codes, look-alike letters mapped to Latin")
    words: list[str] = Field(description="Words folded as a Russian keyboard types them")
    keys: list[str] = Field(description="Search keys after Kazakh suffix stripping")


class SearchResponse(BaseModel):
    """Search results: the best groups first."""

    query: str
    types: list[str]
    total: int = Field(description="Number of entities found (up to the limit)")
    interpretation: SearchInterpretation
    groups: list[SearchGroup]


def _search(
    request: Request, q: str, types: list[str] | None, limit: int
) -> tuple[SearchIndex, list[Hit]]:
    index: SearchIndex = request.app.state.search
    return index, index.search(q, types or None, limit=limit)


def _search_response(index: SearchIndex, q: str, types: list[str], hits: list[Hit]) -> dict:
    parsed = parse_query(q)
    return {
        "query": q,
        "types": types,
        "total": len(hits),
        "interpretation": {
            "codes": list(parsed.codes),
            "words": list(parsed.words),
            "keys": list(parsed.stems),
        },
        "groups": [
            {
                "title": g.title,
                "type": g.type,
                "score": g.score,
                "grades": g.grades,
                "items": [
                    {
                        "id": h.entity.id,
                        "uri": h.entity.uri,
                        "type": h.entity.type,
                        "notation": h.entity.notation,
                        "label": h.entity.label("kk"),
                        "grade": h.entity.grade_notation
                        if h.entity.type in ("position", "grade")
                        else "",
                        "score": h.score,
                        "matched": h.matched,
                        "deprecated": h.entity.deprecated,
                    }
                    for h in g.hits
                ],
            }
            for g in index.group(hits)
        ],
    }


QueryParam = Annotated[
    str,
    Query(
        max_length=500,
        description="What to find: a title in any case, with or without Kazakh letters, "
        "inflected, an abbreviation or its expansion, or a code such as B2-1 or C2.02",
    ),
]
TypeParam = Annotated[
    list[EntityType] | None, Query(alias="type", description="Only these types (repeatable)")
]
LimitParam = Annotated[int, Query(ge=1, le=500, description="Most entities to return")]


@router.get(
    "/api/search",
    response_model=SearchResponse,
    summary="Find positions, grades, tiers, institution types and occupations",
    tags=["search"],
)
async def api_search(
    request: Request, q: QueryParam = "", types: TypeParam = None, limit: LimitParam = 50
) -> JSONResponse:
    """Results grouped by normalised title: one title in several grades is one group that
    lists the grades side by side. The HTML page at /search shows the same results."""
    index, hits = _search(request, q, types, limit)
    body = _search_response(index, q, list(types or []), hits)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
async def search_page(
    request: Request, q: QueryParam = "", types: TypeParam = None, limit: LimitParam = 50
) -> Response:
    """The search page: a plain GET form and its results, no JavaScript needed.

    Rendered through the site's own environment (``app.state.site``, kg.web.documents) when
    the site is installed, so it extends the site's base template; else on its own.
    """
    index, hits = _search(request, q, types, limit)
    root = request.scope.get("root_path", "")
    api = f"{root}/api/search?" + urlencode([("q", q), *(("type", t) for t in types or [])])
    context = {
        "root": root,
        "q": q,
        "types": list(types or []),
        "all_types": [
            (t, index.type_name(t, i18n.current())) for t in TYPE_ORDER if t in _present(index)
        ],
        "type_names": {t: index.type_name(t, i18n.current()) for t in TYPE_ORDER},
        "groups": index.group(hits) if q.strip() else [],
        "total": len(hits),
        "limit": limit,
        "alternates": [{"media_type": "application/json", "href": api, "label": "JSON"}],
        "isco_codes": lambda e: list(dict.fromkeys(g.code for _, _, g in index.isco_codes(e))),
    }
    headers = {"Cache-Control": "public, max-age=300"}
    site = getattr(request.app.state, "site", None)
    if site is not None and _has_template(site.env, BASE_TEMPLATE):
        body = site.render(
            "search.html", base_template=BASE_TEMPLATE, self_href=PATH_SEARCH, **context
        )
        return HTMLResponse(body, headers=headers)
    return request.app.state.templates.TemplateResponse(
        request, "search.html", {"base_template": None, **context}, headers=headers
    )


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
            raise _Problem(413, f"the request body is larger than {MAX_BODY} bytes")
        if body and media not in ("", FORM_TYPE):
            raise _Problem(415, f"POST needs Content-Type {FORM_TYPE} (got {media})")
        try:
            fields = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
        except UnicodeError:
            raise _Problem(400, "form fields must be percent-encoded UTF-8") from None
        params.update(fields)
    return params


def _json(data: Any, params: dict[str, str], status: int = 200) -> Response:
    """JSON, or JSONP when a valid ``callback`` is given."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    callback = params.get("callback")
    if callback is None:
        return Response(body, status, media_type="application/json")
    if not _CALLBACK_RE.match(callback) or len(callback) > 128:
        raise _Problem(400, "'callback' must be a JavaScript identifier")
    return Response(f"/**/{callback}({body});", status, media_type="application/javascript")


def _urls(request: Request) -> tuple[str, str]:
    site = str(request.base_url).rstrip("/")
    return f"{site}/reconcile", site


def _reconciler(request: Request) -> Reconciler:
    return request.app.state.reconciler


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
_BAD_REQUEST = {400: {"description": "A malformed request; the body says why"}}


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
    if "queries" in params:
        return _json(service.reconcile(parse_json_param("queries", params["queries"])), params)
    if "extend" in params:
        return _json(service.extend(parse_json_param("extend", params["extend"])), params)
    return _json(service.manifest(*_urls(request)), params)


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
    result = _reconciler(request).suggest_entities(
        params.get("prefix", ""),
        types,
        cursor=_int(params, "cursor") or 0,
        limit=min(_int(params, "limit") or 10, 100),
    )
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
    return _json(_reconciler(request).suggest_types(params.get("prefix", "")), params)


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
    result = _reconciler(request).suggest_properties(params.get("prefix", ""), params.get("type"))
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
    context = {"card": card, "id": id, "site": _urls(request)[1]}
    return request.app.state.templates.TemplateResponse(
        request, "reconcile-preview.html", context, status_code=200 if card else 404
    )


def _int(params: dict[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise _Problem(400, f"'{name}' must be an integer") from None


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
