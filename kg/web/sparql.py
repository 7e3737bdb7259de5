"""The SPARQL 1.1 Protocol endpoint at /sparql (query only; the service is read-only).

Handlers stay thin: they turn an HTTP request into (query, dataset, formats), hand it to
kg.query.store.QueryService, and turn the QueryResult or QueryError back into a response. What
belongs to the protocol itself (which parameters, which media types, the service
description) is here; evaluation, limits and caching are in kg.query.store.

Statuses: 400 malformed request or query, 403 update or SERVICE refused, 405 other methods,
406 no acceptable format, 413 query over the size cap, 415 wrong POST media type or charset,
422 result over the row cap, 503 time limit exceeded (or every worker busy). Errors are
text/plain (or the HTML page, when the client asked for HTML).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kg.cache import memoize
from kg.query.remote import RemoteQueryService
from kg.query.store import (
    CSV,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
    Dataset,
    Formats,
    QueryError,
    QueryForm,
    QueryResult,
    QueryService,
    is_deterministic,
)
from kg.rdf.terms import written
from kg.uris import Uris
from kg.web import forms
from kg.web.context import AppContext, context
from kg.web.negotiation import CACHE_BYTES, CACHE_ENTRY_BYTES, choose
from kg.web.replay import mark_replayable

PATH = "/sparql"
HTML = "text/html"
FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

router = APIRouter()

# ---------------------------------------------------------------------------- formats

#: What a client may ask for, per query form, in server preference order (first = default),
#: mapped to what we produce: generic types are answered with the precise SPARQL/RDF type.
_OFFERS: dict[QueryForm, dict[str, str]] = {
    QueryForm.SOLUTIONS: {
        SPARQL_JSON: SPARQL_JSON,
        SPARQL_XML: SPARQL_XML,
        CSV: CSV,
        TSV: TSV,
        "application/json": SPARQL_JSON,
        "application/xml": SPARQL_XML,
        "text/xml": SPARQL_XML,
        HTML: HTML,
    },
    QueryForm.BOOLEAN: {
        SPARQL_JSON: SPARQL_JSON,
        SPARQL_XML: SPARQL_XML,
        "application/json": SPARQL_JSON,
        "application/xml": SPARQL_XML,
        "text/xml": SPARQL_XML,
        HTML: HTML,
    },
    QueryForm.GRAPH: {
        TURTLE: TURTLE,
        N_TRIPLES: N_TRIPLES,
        JSON_LD: JSON_LD,
        RDF_XML: RDF_XML,
        "application/json": JSON_LD,
        "application/xml": RDF_XML,
        "text/xml": RDF_XML,
        HTML: HTML,
    },
}
#: Formats of the service description (GET /sparql without a query).
_DESCRIPTION_OFFERS: dict[str, str] = {
    TURTLE: TURTLE,
    N_TRIPLES: N_TRIPLES,
    JSON_LD: JSON_LD,
    RDF_XML: RDF_XML,
    "application/json": JSON_LD,
    "application/xml": RDF_XML,
    HTML: HTML,
}
_DESCRIPTION_RDF = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    JSON_LD: ox.RdfFormat.JSON_LD,
    RDF_XML: ox.RdfFormat.RDF_XML,
}
#: The `format` (or `output`) parameter overrides Accept for the query forms it names: the
#: HTML form and download links use it, and so do clients such as SPARQLWrapper, which send
#: several values (e.g. format=json-ld&format=application/ld+json). Unknown values are ignored.
_FORMAT_NAMES: dict[str, dict[QueryForm, str]] = {
    "json": {
        QueryForm.SOLUTIONS: SPARQL_JSON,
        QueryForm.BOOLEAN: SPARQL_JSON,
        QueryForm.GRAPH: JSON_LD,
    },
    "xml": {
        QueryForm.SOLUTIONS: SPARQL_XML,
        QueryForm.BOOLEAN: SPARQL_XML,
        QueryForm.GRAPH: RDF_XML,
    },
    "csv": {QueryForm.SOLUTIONS: CSV},
    "tsv": {QueryForm.SOLUTIONS: TSV},
    "turtle": {QueryForm.GRAPH: TURTLE},
    "ttl": {QueryForm.GRAPH: TURTLE},
    "n3": {QueryForm.GRAPH: TURTLE},  # Turtle is N3's RDF subset
    "ntriples": {QueryForm.GRAPH: N_TRIPLES},
    "nt": {QueryForm.GRAPH: N_TRIPLES},
    "jsonld": {QueryForm.GRAPH: JSON_LD},
    "json-ld": {QueryForm.GRAPH: JSON_LD},
    "rdfxml": {QueryForm.GRAPH: RDF_XML},
    "rdf": {QueryForm.GRAPH: RDF_XML},
    "html": {form: HTML for form in QueryForm},
}
for _form, _offers in _OFFERS.items():  # a media type given as a format works too
    for _offered, _produced in _offers.items():
        _FORMAT_NAMES.setdefault(_offered, {})[_form] = _produced
FORMAT_PARAMETERS = ("format", "output")
#: What the store writes when we render HTML ourselves.
_HTML_SOURCE = {
    QueryForm.SOLUTIONS: SPARQL_JSON,
    QueryForm.BOOLEAN: SPARQL_JSON,
    QueryForm.GRAPH: N_TRIPLES,
}
_DOWNLOADS = {
    QueryForm.SOLUTIONS: (("CSV", "csv"), ("JSON", "json"), ("TSV", "tsv"), ("XML", "xml")),
    QueryForm.BOOLEAN: (("JSON", "json"), ("XML", "xml")),
    QueryForm.GRAPH: (("Turtle", "turtle"), ("N-Triples", "ntriples"), ("JSON-LD", "jsonld")),
}
_COMMON_HEADERS = {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}
_POSITION = {form: i for i, form in enumerate(QueryForm)}


@memoize(CACHE_BYTES, CACHE_ENTRY_BYTES)
def resolve_outputs(
    accept: str | None, format_values: tuple[str, ...] = ()
) -> tuple[str | None, ...]:
    """Per query form (QueryForm order): the media type to answer with, or None (406)."""
    named = [
        _FORMAT_NAMES[v] for v in (f.strip().lower() for f in format_values) if v in _FORMAT_NAMES
    ]
    outputs: list[str | None] = []
    for form in QueryForm:
        chosen = next((n[form] for n in named if form in n), None)
        if chosen is None:
            offers = _OFFERS[form]
            key = choose(accept, tuple(offers))
            chosen = offers[key] if key else None
        outputs.append(chosen)
    return tuple(outputs)


@lru_cache(maxsize=512)
def store_formats(outputs: tuple[str | None, ...]) -> Formats:
    """What the store should write for `outputs` (HTML is rendered here from JSON/N-Triples)."""
    return Formats(
        *(
            _HTML_SOURCE[form] if out == HTML else out
            for form, out in zip(QueryForm, outputs, strict=True)
        )
    )


def _content_type(media: str) -> str:
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


# ---------------------------------------------------------------------------- request parsing


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """A query string's or form's parameters (kg.web.forms), as a protocol error if bad."""
    try:
        return forms.parse_pairs(text)
    except UnicodeDecodeError:
        raise QueryError(400, "parameters must be percent-encoded UTF-8") from None


def _query_string_pairs(raw: bytes) -> tuple[tuple[str, str], ...]:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise QueryError(400, "the query string must be percent-encoded ASCII") from None
    return tuple(parse_pairs(text))


#: Parsed query strings of recent GETs (the same GET is usually repeated), by bytes.
_recent_query_string_pairs = memoize(2 * 1024 * 1024, 64 * 1024)(_query_string_pairs)


def _url_pairs(request: Request) -> tuple[tuple[str, str], ...]:
    """The URL's parameters; the same GET is usually repeated, so short ones are memoised."""
    raw: bytes = request.scope["query_string"]
    return _recent_query_string_pairs(raw) if len(raw) <= 8192 else _query_string_pairs(raw)


def _media_type(header: str | None) -> tuple[str, str | None]:
    """(type/subtype, charset) of a Content-Type header, lower-cased."""
    if not header:
        return "", None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for p in parts[1:]:
        name, _, value = p.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise QueryError(413, f"the request body is larger than the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise QueryError(413, f"the request body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _only(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise QueryError(400, f"give the {name!r} parameter at most once")
    return values[0] if values else None


class _Protocol:
    """One protocol request, whatever way it came: the parameters that matter."""

    def __init__(self, pairs: Sequence[tuple[str, str]], query: str | None = None) -> None:
        if any(k == "update" for k, _ in pairs):
            raise QueryError(403, "this endpoint is read-only: SPARQL Update is not accepted")
        self.query = query if query is not None else _only(pairs, "query")
        self.formats = tuple(v for k, v in pairs if k in FORMAT_PARAMETERS)
        self.dataset = Dataset(
            tuple(v for k, v in pairs if k == "default-graph-uri"),
            tuple(v for k, v in pairs if k == "named-graph-uri"),
        )


# ---------------------------------------------------------------------------- responses


def error_response(error: QueryError, extra: Mapping[str, str] | None = None) -> Response:
    """A plain-text error with the endpoint's common headers; never cached."""
    headers = {**_COMMON_HEADERS, "Cache-Control": "no-store", **(extra or {})}
    return Response(
        error.message + "\n",
        status_code=error.status,
        media_type="text/plain; charset=utf-8",
        headers=headers,
    )


def _result_response(result: QueryResult, method: str) -> Response:
    headers = dict(_COMMON_HEADERS)
    headers["Cache-Control"] = "public, max-age=300" if method in ("GET", "HEAD") else "no-store"
    return Response(result.body, media_type=_content_type(result.media_type), headers=headers)


def _service(request: Request) -> QueryService | RemoteQueryService:
    return context(request).query_service


async def _answer(request: Request, proto: _Protocol) -> Response:
    accept = request.headers.get("accept")
    outputs = resolve_outputs(accept, proto.formats)
    wants_html = outputs[0] == HTML
    if proto.query is None:
        if request.method in ("GET", "HEAD"):
            return _describe(request, accept, proto.formats)
        return _failure(
            request, QueryError(400, "missing the 'query' parameter"), proto, wants_html
        )
    try:
        result = await _service(request).execute(
            proto.query, dataset=proto.dataset, formats=store_formats(outputs)
        )
    except QueryError as e:
        return _failure(request, e, proto, wants_html)
    if outputs[_POSITION[result.form]] == HTML:
        return _page(request, proto, result=result)
    if request.method == "GET" and is_deterministic(proto.query):
        mark_replayable(request.scope, result, store_formats(outputs))  # kg.web.replay
    return _result_response(result, request.method)


def _failure(request: Request, error: QueryError, proto: _Protocol, wants_html: bool) -> Response:
    return _page(request, proto, error=error) if wants_html else error_response(error)


# ---------------------------------------------------------------------------- routes


async def sparql_endpoint(request: Request) -> Response:
    """GET, POST and OPTIONS on /sparql (other methods get 405 from the router)."""
    if request.method == "POST":
        return await sparql_post(request)
    if request.method == "OPTIONS":
        return sparql_options(request)
    return await sparql_get(request)


async def sparql_get(request: Request) -> Response:
    """Query by GET, or the service description / query page when there is no query."""
    try:
        proto = _Protocol(_url_pairs(request))
    except QueryError as e:
        return error_response(e)
    return await _answer(request, proto)


async def sparql_post(request: Request) -> Response:
    """Query by URL-encoded form or by a direct application/sparql-query body."""
    service = _service(request)
    media, charset = _media_type(request.headers.get("content-type"))
    try:
        if charset not in (None, "utf-8", "utf8") and media in (FORM_TYPE, QUERY_TYPE, UPDATE_TYPE):
            raise QueryError(415, f"only UTF-8 is accepted, not {charset}")
        url = _url_pairs(request)
        if media == FORM_TYPE:
            body = await _read_body(request, 3 * service.query_size_cap + 4096)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise QueryError(400, "the form body is not UTF-8") from None
            proto = _Protocol([*url, *parse_pairs(text)])
        elif media == QUERY_TYPE:
            body = await _read_body(request, service.query_size_cap)
            try:
                query = body.decode("utf-8")
            except UnicodeDecodeError:
                raise QueryError(400, "the query is not valid UTF-8") from None
            if any(k == "query" for k, _ in url):
                raise QueryError(
                    400, "give the query either in the body or as a parameter, not both"
                )
            proto = _Protocol(url, query=query)
        elif media == UPDATE_TYPE:
            raise QueryError(403, "this endpoint is read-only: SPARQL Update is not accepted")
        else:
            shown = media or "none"
            raise QueryError(
                415, f"POST needs Content-Type {FORM_TYPE} or {QUERY_TYPE} (got {shown})"
            )
    except QueryError as e:
        return error_response(e)
    return await _answer(request, proto)


def sparql_options(request: Request) -> Response:
    """CORS preflight: any origin may GET or POST queries."""
    requested = request.headers.get("access-control-request-headers")
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": requested or "Accept, Content-Type",
            "Access-Control-Max-Age": "86400",
            "Allow": "GET, POST, OPTIONS",
            "Vary": "Access-Control-Request-Headers",
        },
    )


# A plain Starlette route inside the APIRouter: the handler takes the Request and builds the
# Response itself, so FastAPI's dependency and validation layer would only add cost (about a
# third of the time of a cached answer, measured with bench/sparql.py).
router.add_route(PATH, sparql_endpoint, methods=["GET", "POST", "OPTIONS"], include_in_schema=False)

# ---------------------------------------------------------------------------- description

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_VOID = "http://rdfs.org/ns/void#"
_DCT = "http://purl.org/dc/terms/"
_FMT = "http://www.w3.org/ns/formats/"
_RESULT_FORMAT_IRIS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)


def limits_namespace(base_iri: str) -> str:
    """Where the terms for this endpoint's limits are minted (described in the SD itself)."""
    return Uris(base_iri).sparql_terms()


def service_description(
    endpoint: str, service: QueryService | RemoteQueryService, base_iri: str
) -> list[ox.Triple]:
    """SPARQL 1.1 Service Description of this endpoint, limits included, without blank nodes."""
    n, lit = ox.NamedNode, ox.Literal
    lim = limits_namespace(base_iri)
    svc, ds = n(f"{endpoint}#service"), n(f"{endpoint}#dataset")
    default = n(f"{endpoint}#default-graph")
    t: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        t.append(ox.Triple(s, n(p), o))

    add(svc, _RDF + "type", n(SD + "Service"))
    add(svc, SD + "endpoint", n(endpoint))
    add(svc, SD + "supportedLanguage", n(SD + "SPARQL11Query"))
    for name in _RESULT_FORMAT_IRIS:
        add(svc, SD + "resultFormat", n(_FMT + name))
    add(svc, SD + "defaultEntailmentRegime", n("http://www.w3.org/ns/entailment/Simple"))
    add(svc, SD + "defaultDataset", ds)
    add(
        svc, _DCT + "title", lit("SPARQL endpoint of the register of Order No. 1042", language="en")
    )
    add(
        svc,
        _RDFS + "comment",
        lit(
            "Read-only SPARQL 1.1 Query endpoint over one published release. SPARQL Update and "
            f"SERVICE are refused. A query may run {service.time_limit:g} s, may be at most "
            f"{service.query_size_cap} bytes long, and its result may have at most "
            f"{service.row_cap} rows or triples; past the row limit the answer is an error (422), "
            "never a truncated result, and past the time limit it is 503.",
            language="en",
        ),
    )
    add(svc, lim + "queryTimeLimit", lit(f"{service.time_limit:g}", datatype=n(_XSD + "decimal")))
    add(svc, lim + "resultRowLimit", lit(str(service.row_cap), datatype=n(_XSD + "integer")))
    add(svc, lim + "querySizeLimit", lit(str(service.query_size_cap), datatype=n(_XSD + "integer")))
    for term, label, comment, rng in (
        (
            "queryTimeLimit",
            "query time limit (seconds)",
            "Seconds a query may run before it is stopped with status 503.",
            "decimal",
        ),
        (
            "resultRowLimit",
            "result row limit",
            "Most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) one answer may have; "
            "more is status 422.",
            "integer",
        ),
        (
            "querySizeLimit",
            "query size limit (bytes)",
            "Largest accepted query text in bytes of UTF-8; larger is status 413.",
            "integer",
        ),
    ):
        prop = n(lim + term)
        add(prop, _RDF + "type", n(_RDF + "Property"))
        add(prop, _RDFS + "label", lit(label, language="en"))
        add(prop, _RDFS + "comment", lit(comment, language="en"))
        add(prop, _RDFS + "domain", n(SD + "Service"))
        add(prop, _RDFS + "range", n(_XSD + rng))
    add(ds, _RDF + "type", n(SD + "Dataset"))
    # The dataset's own descriptions (kg.release.catalog): its VoID and its DCAT-AP catalog.
    add(ds, _RDFS + "seeAlso", n(str(Uris(base_iri).void())))
    add(svc, _RDFS + "seeAlso", n(str(Uris(base_iri).catalog())))
    add(ds, SD + "defaultGraph", default)
    add(default, _RDF + "type", n(SD + "Graph"))
    counts = service.triple_counts
    if None in counts:
        add(default, _VOID + "triples", lit(str(counts[None]), datatype=n(_XSD + "integer")))
    for i, (iri, count) in enumerate(((k, v) for k, v in counts.items() if k is not None), 1):
        named, graph = n(f"{endpoint}#named-graph-{i}"), n(f"{endpoint}#named-graph-{i}-graph")
        add(ds, SD + "namedGraph", named)
        add(named, _RDF + "type", n(SD + "NamedGraph"))
        add(named, SD + "name", n(iri))
        add(named, SD + "graph", graph)
        add(graph, _RDF + "type", n(SD + "Graph"))
        add(graph, _VOID + "triples", lit(str(count), datatype=n(_XSD + "integer")))
    return t


_DESCRIPTION_PREFIXES = {
    "sd": SD,
    "rdf": _RDF,
    "rdfs": _RDFS,
    "xsd": _XSD,
    "void": _VOID,
    "dct": _DCT,
    "format": _FMT,
}


def _describe(request: Request, accept: str | None, format_values: tuple[str, ...]) -> Response:
    graph_format = resolve_outputs(accept, format_values)[_POSITION[QueryForm.GRAPH]]
    if format_values and graph_format in _DESCRIPTION_OFFERS.values():
        chosen: str | None = graph_format
    else:
        offers = _DESCRIPTION_OFFERS
        key = choose(accept, tuple(offers))
        chosen = offers[key] if key else None
    if chosen is None:
        raise QueryError(
            406, "the service description is offered as " + ", ".join(_DESCRIPTION_RDF)
        )
    if chosen == HTML:
        return _page(request, _Protocol([]))
    endpoint = str(request.url).split("?", 1)[0]
    body = _description_bytes(context(request), endpoint, chosen)
    headers = {**_COMMON_HEADERS, "Cache-Control": "public, max-age=300"}
    return Response(body, media_type=_content_type(chosen), headers=headers)


def _description_bytes(ctx: AppContext, endpoint: str, media: str) -> bytes:
    cache = ctx.sparql_descriptions
    key = (endpoint, media)
    body = cache.get(key)
    if body is None:
        base_iri = ctx.settings.base_iri
        triples = service_description(endpoint, ctx.query_service, base_iri)
        prefixes = {**_DESCRIPTION_PREFIXES, "limit": limits_namespace(base_iri)}
        body = written(
            ox.serialize(
                triples,
                format=_DESCRIPTION_RDF[media],
                prefixes=prefixes if media == TURTLE else None,
            )
        )
        cache.put(key, body)
    return body


# ---------------------------------------------------------------------------- HTML page


@lru_cache(maxsize=4)
def load_examples(base_iri: str, vocabulary: str) -> tuple[dict[str, str], ...]:
    """The example queries of the query page, with the configured namespaces filled in."""
    path = Path(__file__).with_name("sparql_examples.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        {
            "title": e["title"],
            "description": e.get("description", ""),
            # The page shows them in the reader's language (title_kk, description_ru, ...).
            "titles": {k[6:]: v for k, v in e.items() if k.startswith("title_")},
            "descriptions": {k[12:]: v for k, v in e.items() if k.startswith("description_")},
            "query": e["query"].strip().replace("{kg}", vocabulary).replace("{base}", base_iri)
            + "\n",
        }
        for e in data["example"]
    )


def _short(iri: str, prefixes: Mapping[str, str]) -> str:
    for name, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{name}:{iri[len(ns) :]}"
    return iri


def _iri_cell(iri: str, prefixes: Mapping[str, str]) -> dict[str, str]:
    """A result IRI: a link only when it is http(s). A query can mint any IRI (IRI("javascript:
    ..."), so anything else is shown as text, never made a link someone might follow."""
    cell = {"text": _short(iri, prefixes)}
    if iri.lower().startswith(("http://", "https://")):
        cell["href"] = iri
    return cell


def _cell_from_json(term: Mapping[str, Any] | None, prefixes: Mapping[str, str]) -> dict[str, str]:
    if term is None:
        return {"text": ""}
    kind, value = term.get("type"), term.get("value", "")
    if kind == "uri":
        return _iri_cell(value, prefixes)
    if kind == "bnode":
        return {"text": f"_:{value}"}
    if kind == "triple":
        return {"text": json.dumps(value, ensure_ascii=False)}
    text = value
    if "xml:lang" in term:
        return {"text": text, "note": "@" + term["xml:lang"]}
    if "datatype" in term and term["datatype"] != _XSD + "string":
        return {"text": text, "note": "^^" + _short(term["datatype"], prefixes)}
    return {"text": text}


def _cell_from_term(term: Any, prefixes: Mapping[str, str]) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return _iri_cell(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"text": term.value, "note": "@" + term.language}
        if term.datatype.value != _XSD + "string":
            return {"text": term.value, "note": "^^" + _short(term.datatype.value, prefixes)}
        return {"text": term.value}
    return {"text": str(term)}


def _table(result: QueryResult, prefixes: Mapping[str, str]) -> dict[str, Any]:
    if result.form is QueryForm.GRAPH:
        rows = [
            [
                _cell_from_term(q.subject, prefixes),
                _cell_from_term(q.predicate, prefixes),
                _cell_from_term(q.object, prefixes),
            ]
            for q in ox.parse(result.body, ox.RdfFormat.N_TRIPLES)
        ]
        return {"kind": "table", "columns": ["subject", "predicate", "object"], "rows": rows}
    data = json.loads(result.body)
    if "boolean" in data:
        return {"kind": "boolean", "value": bool(data["boolean"])}
    columns = data["head"].get("vars", [])
    rows = [
        [_cell_from_json(b.get(c), prefixes) for c in columns] for b in data["results"]["bindings"]
    ]
    return {"kind": "table", "columns": columns, "rows": rows}


def _downloads(query: str, dataset: Dataset, form: QueryForm) -> list[dict[str, str]]:
    params: list[tuple[str, str]] = [("query", query)]
    params += [("default-graph-uri", g) for g in dataset.default_graphs]
    params += [("named-graph-uri", g) for g in dataset.named_graphs]
    return [
        {"label": label, "href": f"{PATH}?{urlencode([*params, ('format', name)])}"}
        for label, name in _DOWNLOADS[form]
    ]


def _local_links(table: dict[str, Any], base_iri: str) -> None:
    """Result IRIs under the base IRI link to this server's path for them (so they resolve
    on whatever host it runs, as the identifiers do); the text still shows the IRI."""
    for row in table.get("rows", []):
        for cell in row:
            href = cell.get("href")
            if href and href.startswith(base_iri):
                cell["href"] = "/" + href[len(base_iri) :]


def _page(
    request: Request,
    proto: _Protocol,
    *,
    result: QueryResult | None = None,
    error: QueryError | None = None,
) -> Response:
    ctx = context(request)
    service = ctx.query_service
    settings = ctx.settings
    prefixes = dict(service.spec.prefixes)
    examples = load_examples(settings.base_iri, prefixes.get("kg", settings.base_iri + "def#"))
    values: dict[str, Any] = {
        "endpoint": PATH,
        "query": proto.query if proto.query is not None else examples[0]["query"],
        "examples": [
            {**e, "href": f"{PATH}?{urlencode({'query': e['query'], 'format': 'html'})}"}
            for e in examples
        ],
        "limits": {
            "time_limit": f"{service.time_limit:g}",
            "row_cap": service.row_cap,
            "query_size_cap": service.query_size_cap,
        },
        "formats": [
            ("html", "HTML table"),
            ("json", "JSON"),
            ("xml", "XML"),
            ("csv", "CSV"),
            ("tsv", "TSV"),
            ("turtle", "Turtle"),
            ("ntriples", "N-Triples"),
            ("jsonld", "JSON-LD"),
        ],
        "selected_format": (proto.formats[0] if proto.formats else "html").lower(),
        "result": None,
        "error": error.message if error else None,
        "status": error.status if error else 200,
    }
    if result is not None:
        values["result"] = {
            **_table(result, prefixes),
            "rows_count": result.rows,
            "downloads": _downloads(proto.query or "", proto.dataset, result.form),
        }
    # in the site's layout, with result IRIs as paths of this server
    if result is not None:
        _local_links(values["result"], ctx.site.base_iri)
    body = ctx.site.render("sparql.html", self_href=PATH, **values)
    response: Response = HTMLResponse(body, status_code=values["status"])
    response.headers.update(
        {**_COMMON_HEADERS, "Cache-Control": "no-store" if error else "public, max-age=300"}
    )
    return response
