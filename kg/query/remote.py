"""The query service in front of an external SPARQL 1.1 endpoint (`kg serve --sparql-endpoint`).

Why: past one machine, the register lives in the portal's triple store (filled by `kg publish`,
one named graph per release) and any number of `kg serve` replicas answer pages, search and
/sparql without holding a store of their own. `RemoteQueryService` has the interface of
kg.query.store.QueryService, so kg.query.store.Repository, the pages and the SPARQL endpoint work
unchanged; only where the answers are computed differs.

What stays the same as with the embedded store:

- Every query is first checked by the embedded store's own code, in the same killable worker
  processes, against an *empty* store: size cap (413), syntax (400), SPARQL Update in any
  form (403), SERVICE (403), and the query form (which decides the formats). Nothing the
  embedded endpoint would refuse is ever forwarded. Virtuoso pragmas (``define ...``) are not
  SPARQL and fail that parse; IRIs in Virtuoso's built-in function schemes (``bif:``,
  ``sql:``) are refused here too (403), since the store would run them.
- The dataset is fixed: the release's named graph is the default graph and no named graph is
  visible (``named-graph-uri`` names a graph that never exists). A query with FROM / FROM
  NAMED, or a protocol dataset, names graphs the embedded store does not have (it holds no
  named graphs), so it is answered over the preflight's empty store, which gives the embedded
  store's answer; it never reaches the shared store, whose other graphs stay unreadable
  (Virtuoso would add a FROM graph to the protocol's default graph rather than replace it).
- Time limit: the whole exchange with the store runs under it; past it the answer is 503 with
  the embedded store's message (the store itself should have a limit of its own: see README
  "Deploying at national scale"). A store's partial "anytime" answer is a 503 too, never a
  truncated result.
- Row cap: more rows or triples than `row_cap` is 422, as with the embedded store; a body
  larger than `max_body_bytes` is refused the same way before it is parsed.
- DESCRIBE is the store's own (SPARQL leaves its answer to the implementation); the pages
  use CONSTRUCT queries, which every store answers alike.
- Answers are re-serialised here by pyoxigraph in the format the client chose, so they are
  byte-for-byte what the embedded store writes for the same solutions.
- Bindings (kg.query.store.Repository's pre-bound variables) become BINDs at the start of the WHERE
  group, each term written by `sparql_term` (escaped, never raw user text).

At start-up the store must hold the release: the release graph's triple count must equal the
number of triples in the release's register.nt, or the app does not start.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.cache import ByteCache
from kg.errors import KgError
from kg.query.store import (
    DEFAULT_FORMATS,
    N_TRIPLES,
    RDF_FORMAT,
    RESULTS_FORMAT,
    SERVICE_LETTERS,
    SPARQL_JSON,
    TSV,
    TURTLE,
    Dataset,
    Formats,
    QueryError,
    QueryForm,
    QueryResult,
    QueryService,
    ServiceStats,
    StoreSpec,
    Term,
    check_query_size,
    checked_formats,
    is_deterministic,
    unescape_codepoints,
)
from kg.rdf.terms import written

if TYPE_CHECKING:  # httpx loads only with an external store (start, kg.query.credentials)
    import httpx

log = logging.getLogger(__name__)

_FORM_ACCEPT = {
    QueryForm.SOLUTIONS: "application/sparql-results+json, application/sparql-results+xml;q=0.5",
    QueryForm.BOOLEAN: "application/sparql-results+json, application/sparql-results+xml;q=0.5",
    QueryForm.GRAPH: "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5",
}
_PREFLIGHT_FORMATS = Formats(solutions=TSV, boolean=SPARQL_JSON, graph=N_TRIPLES)
#: Virtuoso's built-in functions (``bif:``/``sql:`` and their long namespace), which the store
#: would run with its own privileges.
_VENDOR_FUNCTIONS = re.compile(r"<\s*(?:bif|sql)\s*:|openlinksw\.com/schemas/(?:bif|sql)", re.I)
#: The `named-graph-uri` of every forwarded query: a graph no store holds, so none is visible.
NO_GRAPH = "urn:x-kg-register-1042:no-named-graph"
_TIME_LIMIT = "the query ran longer than the time limit of {:g} s and was stopped"
_UNAVAILABLE = "the SPARQL store behind this endpoint is unavailable; try again shortly"
#: A store that refuses a query up front because it expects it to run too long (Virtuoso's
#: MaxQueryCostEstimationTime answers 500 "The estimated execution time ... exceeds the limit").
_ESTIMATE_REFUSED = re.compile(r"estimated execution time .{0,40}exceeds the limit", re.I)
_TIME_ESTIMATE = (
    "the query would run longer than the time limit of {:g} s (the SPARQL store's estimate), "
    "so it was not run"
)


# ---------------------------------------------------------------------------- terms and VALUES


def sparql_term(term: Term) -> str:
    """`term` in SPARQL syntax, safe to place in a query (IRIs checked, literals escaped).

    Why not str(term): N-Triples may write \\u escapes, which SPARQL decodes before parsing,
    so an escaped quote could end the literal early. Here only ECHAR escapes are written.
    """
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if any(c in iri for c in '<>"{}|^`\\') or any(ord(c) <= 0x20 for c in iri):
            raise ValueError(f"not an IRI that can be written in SPARQL: {iri!r}")
        return f"<{iri}>"
    if isinstance(term, ox.Literal):
        value = (
            term.value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
        if term.language:
            if not re.fullmatch(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*", term.language):
                raise ValueError(f"not a language tag: {term.language!r}")
            return f'"{value}"@{term.language}'
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return f'"{value}"'
        return f'"{value}"^^{sparql_term(term.datatype)}'
    raise TypeError(f"only IRIs and literals can be bound in a remote query, not {term!r}")


_TOKENS = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][^\W]+)
    | (?P<word>[^\W\d][\w.-]*(?::[\w.%:-]*)?|:[\w.%:-]*)
    | (?P<open>\{) | (?P<close>\}) | (?P<lparen>\() | (?P<rparen>\))
    | (?P<other>\S)
    | \s+
    """,
    re.VERBOSE | re.DOTALL,
)


def where_group_start(query: str) -> int | None:
    """Offset just after the `{` that opens the query's WHERE group (None: there is none).

    Comments, strings, IRIs and variables are skipped as whole tokens, so a `{` or the word
    WHERE inside them is never taken for syntax. Without the keyword (``ASK {``, ``SELECT ?x
    {``) the group is the first `{` outside parentheses.
    """
    depth = parens = 0
    after_where = False
    for m in _TOKENS.finditer(query):
        kind = m.lastgroup
        if kind == "word" and depth == 0 and parens == 0 and m.group().upper() == "WHERE":
            after_where = True
        elif kind == "lparen":
            parens += 1
        elif kind == "rparen":
            parens = max(0, parens - 1)
        elif kind == "open":
            if depth == 0 and (after_where or parens == 0):
                head = query[: m.start()].upper()
                if after_where or "CONSTRUCT" not in head:
                    return m.end()
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
    return None


def _significant(tokens: list[re.Match[str]], i: int) -> int:
    """Index of the first token at or after `i` that is neither space nor comment."""
    while i < len(tokens) and tokens[i].lastgroup in (None, "comment"):
        i += 1
    return i


def without_graph_patterns(query: str) -> str:
    """`query` with every ``GRAPH g { ... }`` replaced by an empty VALUES over its variables.

    Why: the embedded store holds no named graphs, so a GRAPH pattern matches nothing there;
    an empty VALUES is the same empty solution sequence with the same variables in scope.
    And the shared store never sees a GRAPH pattern, so no query can reach the graphs of
    others even where a store does not honour the protocol's ``named-graph-uri`` (Virtuoso
    answers ``ASK { GRAPH <other> { ?s ?p ?o } }`` with true). Raises QueryError(400) if the
    text does not have the shape the preflight's parser accepted (it never should).
    """
    if "graph" not in query.lower():
        return query
    tokens = [m for m in _TOKENS.finditer(query)]
    out: list[str] = []
    pos = i = 0
    while i < len(tokens):
        m = tokens[i]
        if m.lastgroup != "word" or m.group().upper() != "GRAPH":
            i += 1
            continue
        name = _significant(tokens, i + 1)
        brace = _significant(tokens, name + 1)
        if (
            brace >= len(tokens)
            or tokens[name].lastgroup not in ("var", "iri", "word")
            or tokens[brace].lastgroup != "open"
        ):
            raise QueryError(400, "malformed GRAPH pattern")
        depth, end = 0, brace
        while end < len(tokens):
            kind = tokens[end].lastgroup
            depth += 1 if kind == "open" else -1 if kind == "close" else 0
            if depth == 0:
                break
            end += 1
        if end >= len(tokens):
            raise QueryError(400, "malformed GRAPH pattern")
        names = dict.fromkeys(
            "?" + t.group()[1:] for t in tokens[name : end + 1] if t.lastgroup == "var"
        )
        out.append(query[pos : m.start()])
        out.append(f"{{ VALUES ({' '.join(names)}) {{ }} }}")
        pos = tokens[end].end()
        i = end + 1
    out.append(query[pos:])
    return "".join(out)


#: Line ends some SPARQL lexers know and others do not: a bare CR (not before LF), VT, FF,
#: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
_AMBIGUOUS_BREAK = re.compile("\r(?!\n)|[\x0b\x0c\x85\u2028\u2029]")


def refuse_ambiguous_line_breaks(query: str) -> None:
    """Refuse (400) a line end other than LF or CRLF anywhere after a `#`.

    Why: where a comment ends is where two stores may disagree (pyoxigraph ends one at a
    bare CR too), and text one of them takes for a comment the other would run. Before the
    first `#` there is no comment, so such characters there are only the engine's concern.
    """
    at = query.find("#")
    if at >= 0 and _AMBIGUOUS_BREAK.search(query, at):
        raise QueryError(
            400,
            "after a '#', line ends other than LF and CRLF (a bare CR, vertical tab, form "
            "feed, U+0085, U+2028, U+2029) are not accepted, since SPARQL stores disagree on "
            "where a comment ends; end lines with LF and write such characters in strings as "
            "\\r or \\f escapes",
        )


def has_dataset_clause(query: str) -> bool:
    """Whether the query has FROM / FROM NAMED (the keyword appears nowhere else in SPARQL)."""
    text = unescape_codepoints(query)
    if "from" not in text.lower():
        return False
    return any(
        m.lastgroup == "word" and m.group().upper() == "FROM" for m in _TOKENS.finditer(text)
    )


def bind_values(query: str, bindings: Mapping[str, Term]) -> str:
    """`query` with `bindings` bound first thing in its WHERE group (or by a final VALUES)."""
    if not bindings:
        return query
    names = sorted(bindings)
    for name in names:
        if not re.fullmatch(r"[^\W][\w]*", name):
            raise ValueError(f"not a variable name: {name!r}")
    at = where_group_start(query)
    if at is None:  # e.g. DESCRIBE ?x without WHERE: the query-level VALUES clause
        row = " ".join(sparql_term(bindings[n]) for n in names)
        return f"{query}\nVALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n"
    # BIND rather than VALUES: same solutions, but Virtuoso's planner only sees a BIND's
    # constant (with VALUES it estimates `?this skos:broader+ ?a` over every subject).
    binds = " ".join(f"BIND({sparql_term(bindings[n])} AS ?{n})" for n in names)
    return f"{query[:at]} {binds}\n{query[at:]}"


# ---------------------------------------------------------------------------- the service


def release_triples(register: Path) -> int:
    """Triples in an N-Triples dump (one per non-empty, non-comment line, as we write them)."""
    with open(register, "rb") as f:
        return sum(1 for line in f if line.strip() and not line.lstrip().startswith(b"#"))


class RemoteQueryService:
    """kg.query.store.QueryService's interface over an external SPARQL 1.1 query endpoint.

    Use ``async with`` or ``start()`` / ``close()`` on the event loop that runs the queries.
    """

    def __init__(
        self,
        spec: StoreSpec,
        endpoint: str,
        graph: str,
        *,
        expected_triples: int,
        concurrency: int = 4,
        time_limit: float = 5.0,
        query_size_cap: int = 64 * 1024,
        cache_bytes: int = 64 * 1024 * 1024,
        max_body_bytes: int = 256 * 1024 * 1024,
        start_method: str | None = None,
        page_connections: int = 0,
    ) -> None:
        from kg.query.credentials import redact, split_credentials

        self.spec = spec
        self.endpoint, self._auth = split_credentials(endpoint)
        self._shown_endpoint = redact(self.endpoint)  # as logs and messages may name it
        self.graph = str(ox.NamedNode(graph).value)
        #: A graph name no store holds: the only named graph a query may see (none).
        self.no_graph = NO_GRAPH
        self.expected_triples = expected_triples
        self.time_limit = time_limit
        self.row_cap = spec.row_cap
        self.query_size_cap = query_size_cap
        self.max_body_bytes = max_body_bytes
        self.concurrency = concurrency
        empty = StoreSpec(
            register="",
            base_iri=spec.base_iri,
            row_cap=spec.row_cap,
            prefixes=spec.prefixes,
            memory_limit=spec.memory_limit,
            sandbox_network=spec.sandbox_network,
        )
        #: Checks queries with the embedded store's own code, against an empty store.
        self.preflight = QueryService(
            empty,
            workers=max(1, min(2, concurrency)),
            time_limit=time_limit,
            query_size_cap=query_size_cap,
            cache_bytes=4 * 1024 * 1024,
            start_method=start_method,
        )
        self._cache: ByteCache[tuple[Any, ...], QueryResult] | None = (
            ByteCache(cache_bytes) if cache_bytes > 0 else None
        )
        # pages' queries may use every connection; others at most `concurrency` of them, so
        # `page_connections` stay free for pages whatever /sparql asks
        self._slots = asyncio.Semaphore(concurrency + page_connections)
        self._shared_slots = asyncio.Semaphore(concurrency)
        self.page_connections = page_connections
        self._shared_in_flight = 0
        self._in_flight = 0
        self._client: httpx.AsyncClient | None = None
        self._counts: dict[str | None, int] = {}
        self.stats = ServiceStats()

    @classmethod
    def from_release(cls, release_dir: Path, settings: Any) -> RemoteQueryService:
        """The service for `release_dir` in the store at settings.sparql_endpoint."""
        from kg.release.folder import release_version

        if settings.named_graphs:
            raise KgError("extra named graphs cannot be loaded into an external SPARQL store")
        spec = StoreSpec.from_release(release_dir, settings)
        return cls(
            spec,
            settings.sparql_endpoint,
            settings.sparql_graph or str(settings.uris.release_graph(release_version(release_dir))),
            expected_triples=release_triples(Path(spec.register)),
            concurrency=settings.workers,
            time_limit=settings.time_limit,
            query_size_cap=settings.query_size_cap,
            cache_bytes=settings.cache_bytes,
            page_connections=settings.page_workers,
        )

    # -------------------------------------------------------------- QueryService's surface

    @property
    def workers(self) -> int:
        return self.concurrency

    @property
    def triple_counts(self) -> Mapping[str | None, int]:
        return self._counts

    @property
    def network_sandboxed(self) -> bool:
        return self.preflight.network_sandboxed

    def health(self) -> dict[str, Any]:
        return {
            "store": "external",
            "workers": self.concurrency,
            # free connections to the store for any query, and those kept for pages
            "idle_workers": max(0, self.concurrency - self._shared_in_flight),
            "page_workers": self.page_connections,
            "worker_restarts": self.preflight.health()["worker_restarts"],
            "evaluations": self.stats.evaluations,
            "cache_hits": self.stats.cache_hits,
            "cached_responses": len(self._cache) if self._cache else 0,
            "network_sandboxed": self.network_sandboxed,
        }

    async def start(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(
            auth=self._auth,
            # asyncio bounds the exchange by the time limit; a connect fails well before it, so
            # a store that cannot be reached is "unavailable", never a race with the limit
            timeout=httpx.Timeout(60.0, connect=min(5.0, self.time_limit / 2)),
            limits=httpx.Limits(
                max_connections=self.concurrency + self.page_connections,
                max_keepalive_connections=8,
            ),
            follow_redirects=False,
            trust_env=False,
        )
        try:
            await self.preflight.start()
            count = await self._count_release_triples()
        except BaseException:
            await self.close()
            raise
        if count != self.expected_triples:
            await self.close()
            raise KgError(
                f"the SPARQL store at {self._shown_endpoint} holds {count} triples in graph "
                f"<{self.graph}>, the release has {self.expected_triples}: publish it with "
                "`kg publish --graph-store URL` first"
            )
        self._counts = {None: count}

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await self.preflight.close()

    async def __aenter__(self) -> RemoteQueryService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(
        self,
        query: str,
        *,
        dataset: Dataset | None = None,
        formats: Formats = DEFAULT_FORMATS,
        bindings: Mapping[str, Term] | None = None,
        priority: bool = False,
    ) -> QueryResult:
        """Check `query` as the embedded store would, then have the external store answer it.

        `priority` (pages) may use the connections kept for pages, as in kg.query.store."""
        text = query.strip()
        check_query_size(text, self.query_size_cap)
        if not text:
            raise QueryError(400, "the query is empty")
        if dataset is not None and dataset.given:
            dataset.check()
        else:
            dataset = None
        formats = checked_formats(formats)
        # What is checked is exactly what the store parses: the text with its \\u escapes
        # applied (the store may apply them before lexing, pyoxigraph does not).
        plain = unescape_codepoints(text)
        if unescape_codepoints(plain) != plain:
            raise QueryError(400, "\\u escapes that spell further \\u escapes are not accepted")
        refuse_ambiguous_line_breaks(plain)
        if _VENDOR_FUNCTIONS.search(plain):
            raise QueryError(
                403, "IRIs in the bif: and sql: schemes (store built-in functions) are refused"
            )
        if dataset is not None or has_dataset_clause(plain):
            # The embedded store holds no named graphs, so a protocol dataset or FROM clause
            # names graphs that do not exist there: an empty dataset. The preflight's empty
            # store gives exactly that answer, and the shared store's other graphs stay unread.
            return await self.preflight.execute(
                plain, dataset=dataset, formats=formats, bindings=bindings, priority=priority
            )
        checked = await self.preflight.execute(
            plain, formats=_PREFLIGHT_FORMATS, bindings=bindings, priority=priority
        )
        form = checked.form
        media = formats.for_form(form)
        if media is None:  # the preflight asked for every form, so ask again for the 406
            await self.preflight.execute(plain, formats=formats, bindings=bindings)
            raise QueryError(406, f"no acceptable format for a {form.value} result")
        bound = tuple(sorted((n, str(t)) for n, t in (bindings or {}).items()))
        key = (text, dataset, bound, media)
        cache = self._cache if self._cache is not None and is_deterministic(plain) else None
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                self.stats.cache_hits += 1
                return hit
        sent = bind_values(without_graph_patterns(plain), bindings or {})
        if sent != plain and SERVICE_LETTERS.search(sent):
            # the rewrite is this module's own lexing: the engine checks its result too
            await self.preflight.execute(sent, formats=_PREFLIGHT_FORMATS, priority=priority)
        body, content_type = await self._ask_store(sent, form, priority=priority)
        self.stats.evaluations += 1
        payload, rows = await asyncio.to_thread(
            _reserialise, body, content_type, form, media, self.row_cap, self.spec.prefixes
        )
        result = QueryResult(form, media, payload, rows)
        if cache is not None:
            cache.put(key, result)
        return result

    # -------------------------------------------------------------- talking to the store

    async def _ask_store(
        self, query: str, form: QueryForm, limit: float | None = None, priority: bool = False
    ) -> tuple[bytes, str]:
        limit = limit or self.time_limit
        shared = None if priority else self._shared_slots
        try:
            async with asyncio.timeout(limit):
                if shared is not None:
                    await shared.acquire()
                try:
                    await self._slots.acquire()
                except BaseException:
                    if shared is not None:
                        shared.release()
                    raise
        except TimeoutError:
            raise QueryError(
                503, f"all {self.concurrency} connections to the store are busy; try again shortly"
            ) from None
        self._in_flight += 1
        self._shared_in_flight += 0 if shared is None else 1
        try:
            async with asyncio.timeout(limit):
                return await self._post(query, form)
        except TimeoutError:
            raise QueryError(503, _TIME_LIMIT.format(limit)) from None
        finally:
            self._in_flight -= 1
            self._shared_in_flight -= 0 if shared is None else 1
            self._slots.release()
            if shared is not None:
                shared.release()

    async def _post(self, query: str, form: QueryForm) -> tuple[bytes, str]:
        import httpx  # loaded by start() already

        assert self._client is not None, "start() the service first"
        try:
            async with self._client.stream(
                "POST",
                self.endpoint,
                data={
                    "query": query,
                    "default-graph-uri": self.graph,
                    "named-graph-uri": self.no_graph,
                },
                headers={"Accept": _FORM_ACCEPT[form]},
            ) as response:
                if response.status_code != 200:
                    raise await self._store_error(response)
                if "x-sql-state" in response.headers:  # Virtuoso's partial "anytime" answer
                    raise QueryError(503, _TIME_LIMIT.format(self.time_limit))
                if "x-sparql-maxrows" in response.headers:  # the store cut the result short
                    raise QueryError(
                        422,
                        f"the result has more rows than the store returns at once "
                        f"(and this endpoint's limit is {self.row_cap}); use LIMIT and OFFSET",
                    )
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise QueryError(
                            422,
                            f"the result is larger than {self.max_body_bytes} bytes; "
                            "use LIMIT and OFFSET to fetch it in pages",
                        )
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type", "")
        except httpx.HTTPError as e:
            log.warning("SPARQL store %s: %s: %s", self._shown_endpoint, type(e).__name__, e)
            raise QueryError(503, _UNAVAILABLE) from None

    async def _store_error(self, response: httpx.Response) -> QueryError:
        text = (await response.aread())[:4096].decode("utf-8", "replace")
        status = response.status_code
        if _ESTIMATE_REFUSED.search(text):  # the store's own time limit, not an outage
            return QueryError(503, _TIME_ESTIMATE.format(self.time_limit))
        if status == 400:
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            return QueryError(400, f"the SPARQL store refused the query: {first[:300]}")
        if status in (413, 414):
            return QueryError(413, "the query is too large for the SPARQL store")
        log.warning("SPARQL store %s answered %s: %s", self._shown_endpoint, status, text[:300])
        return QueryError(503, _UNAVAILABLE)

    async def _count_release_triples(self) -> int:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        try:
            body, content_type = await self._ask_store(query, QueryForm.SOLUTIONS, limit=60.0)
        except QueryError as e:
            raise KgError(
                f"the SPARQL store at {self._shown_endpoint} did not answer ({e.message})"
            ) from None
        solutions = ox.parse_query_results(body, _results_format(content_type))
        row = next(iter(solutions), None)  # type: ignore[arg-type]
        return int(row[0].value) if row is not None and row[0] is not None else 0


def _results_format(content_type: str) -> ox.QueryResultsFormat:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/sparql-results+json", "application/json"):
        return ox.QueryResultsFormat.JSON
    if media in ("application/sparql-results+xml", "application/xml", "text/xml"):
        return ox.QueryResultsFormat.XML
    raise QueryError(503, f"the SPARQL store answered in an unexpected format ({media or 'none'})")


def _rdf_format(content_type: str) -> ox.RdfFormat:
    media = content_type.split(";", 1)[0].strip().lower()
    formats = {
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "text/plain": ox.RdfFormat.N_TRIPLES,
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/x-turtle": ox.RdfFormat.TURTLE,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
    }
    if media not in formats:
        raise QueryError(
            503, f"the SPARQL store answered in an unexpected format ({media or 'none'})"
        )
    return formats[media]


def _reserialise(
    body: bytes,
    content_type: str,
    form: QueryForm,
    media: str,
    cap: int,
    prefixes: tuple[tuple[str, str], ...],
) -> tuple[bytes, int]:
    """(bytes in `media`, rows) from the store's answer; 422 past `cap` (runs in a thread)."""
    try:
        if form is QueryForm.GRAPH:
            rdf_format = _rdf_format(content_type)
            triples = [q.triple for q in itertools.islice(ox.parse(body, rdf_format), cap + 1)]
            if len(triples) > cap:
                raise QueryError(422, _row_cap(cap, "triples"))
            chosen = dict(prefixes) if media == TURTLE else None
            out = written(ox.serialize(triples, format=RDF_FORMAT[media], prefixes=chosen))
            return out, len(triples)
        fmt = _results_format(content_type)
        results = ox.parse_query_results(body, fmt)
        if form is QueryForm.BOOLEAN:
            if not isinstance(results, ox.QueryBoolean):
                raise QueryError(503, "the SPARQL store answered an ASK query with solutions")
            return written(results.serialize(format=RESULTS_FORMAT[media])), 1
        if not isinstance(results, ox.QuerySolutions):
            raise QueryError(503, "the SPARQL store answered a SELECT query with a boolean")
        rows = sum(1 for _ in itertools.islice(results, cap + 1))
        if rows > cap:
            raise QueryError(422, _row_cap(cap, "rows"))
        again = ox.parse_query_results(body, fmt)
        return written(again.serialize(format=RESULTS_FORMAT[media])), rows
    except (SyntaxError, ValueError) as e:
        log.warning("unreadable answer from the SPARQL store: %s", e)
        raise QueryError(503, "the SPARQL store gave an answer that could not be read") from None


def _row_cap(cap: int, unit: str) -> str:
    from kg.query.store import row_cap_message

    return row_cap_message(cap, unit)


def check_store(release_dir: Path, settings: Any) -> int:
    """Synchronously check that the store holds the release (for `kg serve` before it forks).

    Returns the triple count; raises KgError with what to do otherwise.
    """

    async def run() -> int:
        service = RemoteQueryService.from_release(release_dir, settings)
        service.preflight = _NoPreflight()  # type: ignore[assignment]
        await service.start()
        try:
            return service.triple_counts[None]
        finally:
            await service.close()

    return asyncio.run(run())


class _NoPreflight:
    """Stands in for the preflight workers during the one start-up count (our own query)."""

    network_sandboxed = False

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def health(self) -> dict[str, Any]:
        return {"worker_restarts": 0}
