"""What a query worker runs: the store's formats, the checks before evaluation, evaluation
itself, and the network fences.

Why a module of its own: the query workers (kg.query.worker) import this and nothing of the
serving side (no asyncio, no subprocess, no cache), so each holds only what it runs; the
service (kg.query.store) imports it too and re-exports its names.
"""

from __future__ import annotations

import ctypes
import enum
import functools
import hashlib
import itertools
import logging
import os
import pickle
import re
import socket
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pyoxigraph as ox

if TYPE_CHECKING:
    from kg.settings import Settings

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# ---------------------------------------------------------------------------- formats

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"


class QueryForm(enum.Enum):
    """What a query returns, which decides the formats it can be written in."""

    SOLUTIONS = "solutions"  # SELECT
    BOOLEAN = "boolean"  # ASK
    GRAPH = "graph"  # CONSTRUCT, DESCRIBE


#: Formats the store writes, per query form; the first is the default.
RESULT_FORMATS: dict[QueryForm, tuple[str, ...]] = {
    QueryForm.SOLUTIONS: (SPARQL_JSON, SPARQL_XML, CSV, TSV),
    QueryForm.BOOLEAN: (SPARQL_JSON, SPARQL_XML),
    QueryForm.GRAPH: (TURTLE, N_TRIPLES, JSON_LD, RDF_XML),
}


class Formats(NamedTuple):
    """The media type to write for each query form, or None where the caller accepts none.

    A query whose form has None is answered with 406. Field names are QueryForm values.
    """

    solutions: str | None = SPARQL_JSON
    boolean: str | None = SPARQL_JSON
    graph: str | None = TURTLE

    def for_form(self, form: QueryForm) -> str | None:
        media: str | None = getattr(self, form.value)
        return media


DEFAULT_FORMATS = Formats()


@functools.lru_cache(maxsize=256)
def checked_formats(formats: Formats) -> Formats:
    for form in QueryForm:
        media = formats.for_form(form)
        if media is not None and media not in RESULT_FORMATS[form]:
            raise ValueError(f"{media} is not a format for {form.value} results")
    return formats


RESULTS_FORMAT = {
    SPARQL_JSON: ox.QueryResultsFormat.JSON,
    SPARQL_XML: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
RDF_FORMAT = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    JSON_LD: ox.RdfFormat.JSON_LD,
    RDF_XML: ox.RdfFormat.RDF_XML,
}

#: Prefixes written in Turtle output; the register's own `kg:` is added from kg.uris.
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "oa": "http://www.w3.org/ns/oa#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}

# ---------------------------------------------------------------------------- values


class QueryError(Exception):
    """An expected problem with a query, carrying the HTTP status that reports it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"QueryError({self.status}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class Dataset:
    """A protocol dataset (``default-graph-uri`` / ``named-graph-uri``).

    When either list is given it replaces the query's FROM / FROM NAMED entirely, as the
    SPARQL 1.1 Protocol says; an empty list then means an empty default graph or no named
    graphs.
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)

    def check(self) -> None:
        """Refuse graph names that are not absolute IRIs (400)."""
        for iri in (*self.default_graphs, *self.named_graphs):
            try:
                ox.NamedNode(iri)
            except ValueError as e:
                raise QueryError(400, f"graph name {iri!r} is not an IRI: {e}") from None


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A serialised answer: `rows` counts solutions, triples, or 1 for ASK."""

    form: QueryForm
    media_type: str
    body: bytes
    rows: int


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """What the zygote needs to build the store; plain values, pickled to it."""

    register: str
    named_graphs: tuple[tuple[str, str], ...] = ()
    base_iri: str = "https://reg1042.example.org/"
    row_cap: int = 10_000
    prefixes: tuple[tuple[str, str], ...] = tuple(STANDARD_PREFIXES.items())
    memory_limit: int | None = None
    sandbox_network: bool = True
    #: SHA-256 the register's bytes must have (from the verified SHA256SUMS): a zygote started
    #: later, e.g. to replace one that died, refuses a file that changed since the check.
    register_sha256: str | None = None

    @classmethod
    def from_release(cls, release_dir: Path, settings: Settings) -> StoreSpec:
        """The spec for `<release_dir>/register.nt` under `settings`."""
        from kg.release.folder import listed_digests
        from kg.uris import KG  # the vocabulary namespace, minted in one place

        register = Path(release_dir) / "register.nt"
        if not register.is_file():
            raise FileNotFoundError(f"no N-Triples dump at {register}")
        graphs = []
        for iri, path in settings.named_graphs.items():
            ox.NamedNode(iri)  # fail at start-up, not in every worker
            if not Path(path).is_file():
                raise FileNotFoundError(f"no file {path} for named graph <{iri}>")
            graphs.append((iri, str(path)))
        return cls(
            register=str(register),
            named_graphs=tuple(graphs),
            base_iri=settings.base_iri,
            row_cap=settings.row_cap,
            prefixes=(*STANDARD_PREFIXES.items(), ("kg", str(KG))),
            memory_limit=settings.worker_memory_limit,
            sandbox_network=settings.sandbox_network,
            register_sha256=listed_digests(Path(release_dir)).get("register.nt"),
        )


def check_query_size(query: str, cap: int) -> None:
    """Refuse a query text over `cap` bytes of UTF-8 (413) before anything parses it."""
    if len(query) > cap // 4 and len(query.encode("utf-8", "surrogatepass")) > cap:
        raise QueryError(413, f"the query is larger than the limit of {cap} bytes")


# ---------------------------------------------------------------------------- worker side

FRAME_HEADER = struct.Struct("!Q")
_CLONE_NEWNET = 0x40000000
NONDETERMINISTIC = re.compile(r"\b(?:rand|now|uuid|struuid|bnode)\s*\(", re.IGNORECASE)
NONDETERMINISTIC_HINTS = ("rand", "now", "uuid", "bnode")
_READ_ONLY = (
    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, "
    "ADD, MOVE, COPY) is not accepted"
)
_NO_SERVICE = (
    "SERVICE (federated query) is not allowed here: it would make this server send requests "
    "to other hosts"
)


@dataclass(frozen=True, slots=True)
class Job:
    query: str
    dataset: Dataset | None
    formats: Formats
    bindings: tuple[tuple[str, Term], ...] = ()


class _RowCapExceeded(Exception):
    pass


class _CountingWriter:
    """A write() target for pyoxigraph that counts TSV lines and stops past the cap."""

    def __init__(self, cap_lines: int) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self._cap = cap_lines

    def write(self, chunk: bytes) -> int:
        data = bytes(chunk)
        self.lines += data.count(b"\n")
        if self.lines > self._cap:
            raise _RowCapExceeded
        self.chunks.append(data)
        return len(data)

    def flush(self) -> None:
        pass


def unescape_codepoints(text: str) -> str:
    r"""Apply SPARQL's \uXXXX / \UXXXXXXXX escapes, as some parsers do before tokenising."""

    def repl(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group(0)

    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", repl, text)


#: The keyword's letters in any ASCII case (the engine compares keywords ASCII-case-blind).
SERVICE_LETTERS = re.compile("service", re.IGNORECASE | re.ASCII)
#: SERVICE (and SILENT after it) as the GRAPH keyword would stand in for it: same shape.
_SERVICE_AS_GRAPH = re.compile(r"service(?:\s*silent)?", re.IGNORECASE | re.ASCII)


def _neutralised(query: str) -> str:
    """`query` with the last letter of every "service" changed, so none can be the keyword.

    Same length, and an ASCII letter for an ASCII letter, so the text is lexed as before: a
    name, IRI, string, language tag or comment stays one.
    """
    return SERVICE_LETTERS.sub(
        lambda m: m.group()[:6] + ("q" if m.group()[6] == "e" else "Q"), query
    )


def _parses(query: str, base_iri: str | None) -> SyntaxError | None:
    """pyoxigraph's syntax error for `query`, or None; only for texts without SERVICE."""
    if SERVICE_LETTERS.search(query) is not None:
        raise ValueError("only a text that cannot federate may be parsed this way")
    try:
        ox.Store().query(query, base_iri=base_iri)
    except SyntaxError as e:
        return e
    except Exception:  # it parsed; evaluating it over an empty store failed, no matter
        return None
    return None


def refuse_federated(query: str, base_iri: str | None = None) -> None:
    """Raise QueryError(403) if pyoxigraph would read the SERVICE keyword in `query`.

    Why the engine decides: any other parser lexes some texts differently (a comment ends
    at a bare CR for pyoxigraph, at LF only for rdflib; `<` may open an IRI or compare), so
    it can be shown a comment where the engine runs a SERVICE. Here pyoxigraph itself
    parses the text with every "service" made unreadable as the keyword: if that parses,
    no occurrence was the keyword (a name, IRI, string or comment parses just as well);
    if it does not, the query is never run. The parse is against an empty store (it may
    evaluate; the text can no longer federate), so nothing reaches the network.
    """
    occurrences = [m.start() for m in SERVICE_LETTERS.finditer(query)]
    if ("\\u" in query or "\\U" in query) and len(
        SERVICE_LETTERS.findall(unescape_codepoints(query))
    ) > len(occurrences):
        raise QueryError(403, _NO_SERVICE + " (nor the word spelled with \\u escapes)")
    if not occurrences:
        return
    error = _parses(_neutralised(query), base_iri)
    if error is None:
        return
    # Never run. Which refusal: with GRAPH in place of SERVICE, a query that only erred by
    # federating parses; one that still fails is malformed (or federates in a shape GRAPH
    # lacks), and the engine's message says where.
    as_graph = _SERVICE_AS_GRAPH.sub(lambda m: "GRAPH".ljust(len(m.group())), query)
    if SERVICE_LETTERS.search(as_graph) is None and _parses(as_graph, base_iri) is None:
        raise QueryError(403, _NO_SERVICE)
    raised = _syntax_error(query, error)
    if raised.status == 400:
        raised.message += " (and if it uses SERVICE: " + _NO_SERVICE + ")"
    raise raised


#: What may stand before an update's first operation: blanks, comments, BASE and PREFIX.
_PROLOGUE = re.compile(
    r"(?:\s+|#[^\r\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE
)
_UPDATE_KEYWORD = re.compile(
    r"(?:INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE
)


def _parses_as_update(query: str) -> bool:
    """Whether `query` (which the engine refused as a query) opens like an update.

    Only to word the refusal, never a security check: the engine's query grammar has no
    update operations, so an update is never run whatever this says. A lexical test rather
    than an update parser keeps a parser library out of the query workers.
    """
    prologue = _PROLOGUE.match(query)
    return _UPDATE_KEYWORD.match(query, prologue.end() if prologue else 0) is not None


_ERROR_AT = re.compile(r"^error at (\d+):(\d+): (.*)", re.DOTALL)


def _syntax_error(query: str, error: SyntaxError) -> QueryError:
    if _parses_as_update(query):
        return QueryError(403, _READ_ONLY)
    return QueryError(400, f"malformed query: {explain_syntax_error(query, str(error))}")


def explain_syntax_error(query: str, message: str) -> str:
    """One line with line and column instead of the parser's list of grammar ranges: an
    undeclared prefix is named (``skos:``), anything else shows the text where parsing stopped."""
    found = _ERROR_AT.match(message)
    if found is None:
        first = message.strip().splitlines()[0] if message.strip() else "syntax error"
        return first[:300]
    line, column = int(found[1]), int(found[2])
    lines = query.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    # The parser counts columns from 1 in characters; the error may point past the word.
    start = max(0, min(column - 1, len(text)))
    if "Prefix not found" in found[3]:
        word = re.findall(r"[A-Za-z_][\w.-]*:|:", text[: start + 1])
        name = word[-1] if word else "?:"
        return f"line {line}, column {column}: the prefix {name} is not declared (add PREFIX {name} <...>)"
    near = text[start : start + 20].strip() or "the end of the query"
    return f"line {line}, column {column}: unexpected text near “{near}”"


class Evaluator:
    """Runs jobs against one store and returns ('ok', form, media, rows, body)."""

    def __init__(self, store: ox.Store, spec: StoreSpec) -> None:
        self.store = store
        self.base_iri = spec.base_iri
        self.cap = spec.row_cap
        self.prefixes = dict(spec.prefixes)

    def run(self, job: Job) -> tuple[Any, ...]:
        refuse_federated(job.query, self.base_iri)
        kwargs: dict[str, Any] = {}
        if job.dataset is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.dataset.default_graphs]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.dataset.named_graphs]
        if job.bindings:
            kwargs["substitutions"] = {ox.Variable(name): term for name, term in job.bindings}
        try:
            results = self.store.query(job.query, base_iri=self.base_iri, **kwargs)
            if isinstance(results, ox.QueryBoolean):
                return self._boolean(results, job)
            if isinstance(results, ox.QuerySolutions):
                return self._solutions(results, job)
            return self._graph(results, job)
        except SyntaxError as e:
            raise _syntax_error(job.query, e) from None
        except (RuntimeError, ValueError) as e:
            raise QueryError(400, f"the query failed during evaluation: {e}") from None
        except OSError as e:
            # The store is in memory: the only I/O a query can attempt is a SERVICE call,
            # which the check above should have refused. Refuse, and say so in the log.
            log.warning("a query attempted network I/O past the SERVICE check: %s", e)
            raise QueryError(403, _NO_SERVICE) from None

    def _media(self, form: QueryForm, job: Job) -> str:
        media = job.formats.for_form(form)
        if media is None:
            raise QueryError(406, not_acceptable_message(form))
        return media

    def _boolean(self, results: ox.QueryBoolean, job: Job) -> tuple[Any, ...]:
        media = self._media(QueryForm.BOOLEAN, job)
        body = results.serialize(format=RESULTS_FORMAT[media])
        return ("ok", QueryForm.BOOLEAN.value, media, 1, body)

    def _solutions(self, results: ox.QuerySolutions, job: Job) -> tuple[Any, ...]:
        # TSV is the one format whose lines are exactly header + rows (newlines in values are
        # escaped), so counting newlines while pyoxigraph writes it enforces the cap exactly
        # and stops evaluation early; other formats are converted from it, all in Rust.
        media = self._media(QueryForm.SOLUTIONS, job)
        writer = _CountingWriter(self.cap + 1)
        try:
            # pyoxigraph only calls write() (and flush()); its stubs ask for a whole IO[bytes]
            results.serialize(writer, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
        except _RowCapExceeded:
            raise QueryError(422, row_cap_message(self.cap, "rows")) from None
        tsv = b"".join(writer.chunks)
        rows = max(writer.lines - 1, 0)
        if media == TSV:
            return ("ok", QueryForm.SOLUTIONS.value, media, rows, tsv)
        parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        body = parsed.serialize(format=RESULTS_FORMAT[media])
        return ("ok", QueryForm.SOLUTIONS.value, media, rows, body)

    def _graph(self, results: ox.QueryTriples, job: Job) -> tuple[Any, ...]:
        media = self._media(QueryForm.GRAPH, job)
        triples = list(itertools.islice(results, self.cap + 1))
        if len(triples) > self.cap:
            raise QueryError(422, row_cap_message(self.cap, "triples"))
        prefixes = self.prefixes if media == TURTLE else None
        body = ox.serialize(triples, format=RDF_FORMAT[media], prefixes=prefixes)
        return ("ok", QueryForm.GRAPH.value, media, len(triples), body)


def not_acceptable_message(form: QueryForm) -> str:
    offered = ", ".join(RESULT_FORMATS[form])
    return f"none of the acceptable media types fits a {form.value} result; offered: {offered}"


def row_cap_message(cap: int, unit: str) -> str:
    return (
        f"the result has more than {cap} {unit}, the limit of this endpoint; "
        "use LIMIT and OFFSET to fetch it in pages"
    )


def send_frame(sock: socket.socket, obj: object) -> None:
    """Header and body in one system call where the socket takes them whole."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    header = FRAME_HEADER.pack(len(data))
    sent = sock.sendmsg([header, data])
    if sent < len(header) + len(data):
        rest = (header + data)[sent:]
        sock.sendall(rest)


def _read_frame(stream: Any) -> Any | None:
    """The next pickled frame from a buffered reader, or None at end of stream."""
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    size = FRAME_HEADER.unpack(header)[0]
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def load_store(spec: StoreSpec) -> tuple[ox.Store, dict[str | None, int]]:
    store = ox.Store()
    data = Path(spec.register).read_bytes() if spec.register else b""
    if spec.register_sha256 and hashlib.sha256(data).hexdigest() != spec.register_sha256:
        raise ValueError(f"{spec.register} does not match the checksum the release was served with")
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    counts: dict[str | None, int] = {}
    for iri, path in spec.named_graphs:
        store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri))
    counts[None] = _count(store, "?s ?p ?o")
    for iri, _ in spec.named_graphs:
        counts[iri] = _count(store, f"GRAPH <{iri}> {{ ?s ?p ?o }}")
    return store, counts


def _count(store: ox.Store, pattern: str) -> int:
    """How many solutions a graph pattern has."""
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    assert isinstance(solutions, ox.QuerySolutions)  # a SELECT query
    return int(next(iter(solutions))[0].value)


#: Per machine: (AUDIT_ARCH_*, socket, connect, io_uring_setup, seccomp) syscall numbers.
_SECCOMP_ARCH = {
    "x86_64": (0xC000003E, 41, 42, 425, 317),
    "aarch64": (0xC00000B7, 198, 203, 425, 277),
}


def _no_sockets_filter() -> bool:
    """Forbid this process new sockets other than AF_UNIX, any connect() and io_uring.

    Why: unlike a network namespace it needs no privilege (only no_new_privs), so a query
    worker cannot reach a network even as an ordinary user or in a default container. The
    worker's one socket to its parent is already connected; pyoxigraph's SERVICE client
    would need a new one, and gets EACCES (an OSError, answered 403). Linux on x86-64 and
    ARM64; elsewhere False. Applies to every thread of the process (TSYNC).
    """
    numbers = _SECCOMP_ARCH.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if numbers is None:
        return False
    arch, sys_socket, sys_connect, sys_io_uring_setup, sys_seccomp = numbers
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EACCES
    program = [  # (code, jump if true, jump if false, k); jumps count from the next line
        (ld_abs, 0, 0, 4),  # 0: the calling convention
        (jeq, 0, 8, arch),  # 1: another one: deny
        (ld_abs, 0, 0, 0),  # 2: the system call number
        (jge, 6, 0, 0x40000000),  # 3: x32 numbers: deny
        (jeq, 5, 0, sys_io_uring_setup),  # 4
        (jeq, 4, 0, sys_connect),  # 5
        (jeq, 0, 2, sys_socket),  # 6: neither: allow
        (ld_abs, 0, 0, 16),  # 7: socket()'s address family (low half of the first argument)
        (jeq, 0, 1, 1),  # 8: AF_UNIX: allow, else deny
        (ret, 0, 0, allow),  # 9
        (ret, 0, 0, deny),  # 10
    ]

    class Filter(ctypes.Structure):
        _fields_ = [
            ("code", ctypes.c_uint16),
            ("jt", ctypes.c_uint8),
            ("jf", ctypes.c_uint8),
            ("k", ctypes.c_uint32),
        ]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(program))(*(Filter(*line) for line in program))
    prog = Program(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog)
    return libc.syscall(sys_seccomp, 1, 1, ctypes.byref(prog)) == 0


def enter_network_sandbox() -> bool:
    """Cut this process off any network: an empty network namespace where Linux lets us
    (root or CAP_SYS_ADMIN), and in any case a seccomp filter against new sockets."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    namespace = libc.unshare(_CLONE_NEWNET) == 0
    return _no_sockets_filter() or namespace


def serve_jobs(conn: socket.socket, store: ox.Store, spec: StoreSpec) -> None:
    """The loop of a query worker (see kg.query.worker): answer jobs on `conn` until EOF."""
    evaluator = Evaluator(store, spec)
    stream = conn.makefile("rb", buffering=1 << 16)  # one recv usually brings a whole job
    while True:
        job: Job | None = _read_frame(stream)
        if job is None:
            return
        try:
            reply = evaluator.run(job)
        except QueryError as e:
            reply = ("error", e.status, e.message)
        except MemoryError:
            reply = ("error", 503, "the query needed more memory than a query worker may use")
        except Exception:  # a bug, not bad input: details to the log, never to the client
            log.exception("internal error while evaluating a query")
            reply = ("error", 500, "internal error while evaluating this query (logged)")
        send_frame(conn, reply)
