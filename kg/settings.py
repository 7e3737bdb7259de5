"""Settings of the web service, in one frozen value.

Why one dataclass: the same settings must reach uvicorn's worker processes (which import the
app by name), the query workers and the service description, so they travel as JSON through
one environment variable and nothing reads its own knobs from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.uris import DEFAULT_BASE, Uris

# Where the project's folders are: one place, so a moved module cannot lose its way.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
ONTOLOGY_FILE = PROJECT_ROOT / "ontology" / "kg.ttl"
SHAPES_DIR = PROJECT_ROOT / "shapes"
#: Jinja2 templates, static files, gettext catalogs and the package READMEs (the repository's site/).
DEFAULT_TEMPLATES = PROJECT_ROOT / "site" / "templates"
STATIC_DIR = PROJECT_ROOT / "site" / "static"
LOCALE_DIR = PROJECT_ROOT / "site" / "locale"
PACKAGE_READMES_DIR = PROJECT_ROOT / "site" / "package"
ENV_VAR = "KG_WEB_SETTINGS"
#: The settings that bound one request's work (each is a `kg serve` flag of the same name).
REQUEST_LIMITS = (
    "max_query_chars",
    "max_query_words",
    "max_batch",
    "max_batch_words",
    "max_properties",
    "max_prefix_chars",
    "max_limit",
    "max_accept_bytes",
    "search_threads",
)


def _cpu_count() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def check_public_url(url: str) -> str:
    """`url` as ``scheme://host[:port]`` (lower case, no trailing slash), or ValueError.

    Why no path: the service answers at the root of its host; a path would have to be a
    proxy's prefix, which the routes do not know about.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public URL {url!r} must be http://host[:port] or https://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"public URL {url!r} must name only scheme, host and port")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"public URL {url!r} has an invalid port") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


@dataclass(frozen=True, slots=True)
class Settings:
    """Knobs of `kg serve`; every limit here is also stated in the SPARQL service description."""

    #: Base of the register's IRIs; also the base IRI for relative IRIs in queries.
    base_iri: str = DEFAULT_BASE
    #: Seconds one SPARQL query may run before its worker process is killed.
    time_limit: float = 5.0
    #: Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one response may carry; more is an error.
    row_cap: int = 10_000
    #: Largest accepted query text, in bytes of UTF-8.
    query_size_cap: int = 64 * 1024
    #: Query worker processes per HTTP worker (each holds its own copy of the release).
    workers: int = field(default_factory=_cpu_count)
    #: uvicorn worker processes answering HTTP, each with its own pool of query workers and
    #: its own response cache. One by default: uvicorn then runs the app in the process it
    #: was started in (no supervisor, no second pool), which keeps the whole tree near 100 MB;
    #: more only pay on a machine with cores to spare (bench/workers.py compares them).
    http_workers: int = 1
    #: Bytes of serialised responses kept in the in-memory LRU cache (0 disables it).
    cache_bytes: int = 16 * 1024 * 1024
    #: Address-space limit of one query worker in bytes (None: no limit); a query that needs
    #: more kills only its worker.
    worker_memory_limit: int | None = 2 * 1024 * 1024 * 1024
    #: Fence query workers off the network once the data is loaded (a seccomp filter against
    #: new sockets, and an empty network namespace where the OS allows it): a second fence
    #: behind the check that refuses SERVICE. False only to test that check alone.
    sandbox_network: bool = True
    #: Extra named graphs to load beside the release's register.nt: {graph IRI: N-Triples file}.
    named_graphs: Mapping[str, str] = field(default_factory=dict)
    #: Jinja2 templates folder.
    templates_dir: str = str(DEFAULT_TEMPLATES)
    #: An external SPARQL 1.1 query endpoint that holds the release (see kg.query.remote): queries
    #: go there instead of to embedded query workers; None serves the embedded store.
    sparql_endpoint: str | None = None
    #: The release's graph in that store (default: the named graph `kg publish` writes).
    sparql_graph: str | None = None
    #: Query workers (or connections to the external store) kept for pages on top of
    #: `workers`: /sparql uses at most `workers` at once, so pages never wait behind it.
    page_workers: int = 1
    #: Where clients reach the service, ``scheme://host[:port]``: absolute links (service
    #: description, reconciliation manifest, redirects) are built from it, and a request for
    #: any other Host is refused (400). None: links name the address the connection came in
    #: on, whatever the Host header says, and no Host is refused.
    public_url: str | None = None
    #: Largest request body in bytes, on every route: a larger Content-Length is refused (413)
    #: before anything is read, and a body that grows past it while streaming too.
    max_body_bytes: int = 4 * 1024 * 1024
    #: Largest request head (request line and header fields together) in bytes; more is 431.
    #: The request line alone may be at most 64 KiB (more is 414): longer queries go by POST.
    max_header_bytes: int = 128 * 1024
    #: Most header fields in one request; more is 431.
    max_header_count: int = 100
    #: Seconds a client has to send a complete request head (from connecting, or from the
    #: first byte of a later request); then the connection is closed (slowloris).
    header_timeout: float = 10.0
    #: Seconds a request body may take after its head, plus one per 64 KiB received; a
    #: slower body is 408 and the connection is closed.
    body_timeout: float = 10.0
    #: Seconds a client may leave its answer unread (the send buffer full) before the
    #: connection is dropped (slow read).
    send_timeout: float = 30.0
    #: Seconds an idle kept-alive connection stays open between requests.
    keep_alive_timeout: float = 15.0
    #: Open connections per HTTP worker process; past it new requests get 503.
    max_connections: int = 1024
    #: /sparql requests per second one client may make on average (token bucket per client
    #: address, per HTTP worker process); past it 429 with Retry-After. 0 disables the limit.
    sparql_rate: float = 10.0
    #: Requests a client may make at once before `sparql_rate` applies.
    sparql_burst: int = 50
    #: Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed;
    #: empty: the headers are ignored and the client is the connection's peer.
    trusted_proxies: tuple[str, ...] = ()

    # Limits on the work of one search or reconciliation request (kg.web.bounds). What goes
    # beyond is refused, 413 when it is too large, 422 when a value is out of range, with a
    # message naming the limit; nothing is silently truncated.
    #: Characters of one search `q`, reconciliation query text, property value or id.
    max_query_chars: int = 500
    #: Words of one search `q` or reconciliation query text (the longest title has 29).
    max_query_words: int = 64
    #: Queries in one reconciliation batch; ids in one data extension request.
    max_batch: int = 1000
    #: Words of all the queries of one reconciliation batch together: each distinct word is
    #: matched against the whole vocabulary, so this is what bounds a batch's time.
    max_batch_words: int = 10_000
    #: Properties of one data extension request; property constraints, types and values
    #: of one constraint in one reconciliation query.
    max_properties: int = 50
    #: Characters of a suggest prefix (what a user typed so far into a cell).
    max_prefix_chars: int = 200
    #: Largest `limit` and `cursor` of a search, suggest or reconciliation query.
    max_limit: int = 500
    #: Bytes of a request's Accept header(s); longer is 400 before anything parses it.
    max_accept_bytes: int = 4096
    #: Threads per HTTP worker that run search and reconciliation off the event loop (one
    #: Python process runs one at a time anyway; two let a small request pass a large one).
    search_threads: int = 2
    #: The URIs under `base_iri`, made once here: every serving component mints from it.
    uris: Uris = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uris", Uris(self.base_iri))
        object.__setattr__(self, "base_iri", self.uris.base)
        if self.time_limit <= 0 or self.row_cap < 1 or self.query_size_cap < 1:
            raise ValueError("time_limit, row_cap and query_size_cap must be positive")
        if self.workers < 1 or self.http_workers < 1:
            raise ValueError("workers and http_workers must be at least 1")
        limits = [f.name for f in fields(self) if f.name in REQUEST_LIMITS]
        low = [name for name in limits if getattr(self, name) < 1]
        if low:
            raise ValueError(f"{', '.join(low)} must be at least 1")
        object.__setattr__(self, "named_graphs", dict(self.named_graphs))
        object.__setattr__(self, "trusted_proxies", tuple(self.trusted_proxies))
        if self.public_url is not None:
            object.__setattr__(self, "public_url", check_public_url(self.public_url))
        if self.page_workers < 0:
            raise ValueError("page_workers must be 0 or more")
        positive = ("max_body_bytes", "max_header_bytes", "max_header_count", "max_connections")
        if any(getattr(self, name) < 1 for name in positive):
            raise ValueError(f"{', '.join(positive)} must be at least 1")
        timeouts = ("header_timeout", "body_timeout", "send_timeout", "keep_alive_timeout")
        if any(getattr(self, name) <= 0 for name in timeouts):
            raise ValueError(f"{', '.join(timeouts)} must be positive")
        if self.sparql_rate < 0 or self.sparql_burst < 1:
            raise ValueError("sparql_rate must be 0 (no limit) or more, sparql_burst at least 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from keyword values; unknown keys are an error, not silently dropped."""
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)

    def updated(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if k != "uris"})

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls.from_mapping(json.loads(text))


def _named_graph(text: str) -> tuple[str, str]:
    iri, sep, path = text.partition("=")
    if not sep or not iri or not path:
        raise argparse.ArgumentTypeError("expected IRI=PATH")
    return iri, path


@dataclass(frozen=True, slots=True)
class Option:
    """One `kg serve` flag that sets one Settings field.

    `kind` is the argparse type; `action` "append" collects repeated flags (a list, or a dict
    of pairs for named_graphs), "store_false" is a switch that turns the field off.
    """

    flag: str
    dest: str
    help: str
    kind: Any = None
    action: str = "store"
    metavar: str | None = None


def _request_limit_defaults() -> list[tuple[str, Any]]:
    defaults = {f.name: f.default for f in fields(Settings)}
    return [(name, defaults[name]) for name in REQUEST_LIMITS]


#: Every `kg serve` flag that sets a Settings field, declared once: `add_settings_options`
#: adds them to a parser and `settings_from_args` collects them into one Settings. An unset
#: flag keeps the Settings default.
SETTINGS_OPTIONS: tuple[Option, ...] = (
    Option("--base-iri", "base_iri", "base of the register's IRIs; the release must have been "
           "built with it (default: kg --base, $KG_BASE_IRI or the built-in one)", str,
           metavar="IRI"),
    Option("--time-limit", "time_limit", "seconds a SPARQL query may run (default 5)", float),
    Option("--row-cap", "row_cap", "most rows or triples in one SPARQL answer (default 10000)",
           int),
    Option("--query-size-cap", "query_size_cap", "largest SPARQL query text in bytes "
           "(default 65536)", int),
    Option("--workers", "workers", "query worker processes per HTTP worker (default: cores)",
           int),
    Option("--http-workers", "http_workers", "HTTP worker processes (default 1: the app "
           "runs in the serving process itself; more only with cores to spare)", int),
    Option("--cache-bytes", "cache_bytes", "bytes of the response cache per HTTP worker "
           "(default 16 MiB; 0: none)", int),
    Option("--page-workers", "page_workers", "query workers kept for pages, beside --workers "
           "(default 1)", int),
    Option("--named-graph", "named_graphs", "load an N-Triples file as a named graph beside "
           "the release; repeat for more", _named_graph, "append", "IRI=PATH"),
    Option("--sparql-endpoint", "sparql_endpoint", "answer queries from this external SPARQL "
           "1.1 endpoint, which holds the release (see `kg publish`), instead of the embedded "
           "store; user:password@ in the URL is sent as Digest or Basic authentication",
           str, metavar="URL"),
    Option("--sparql-graph", "sparql_graph", "the release's graph in that store (default: "
           "the one `kg publish` writes)", str, metavar="IRI"),
    Option("--no-network-sandbox", "sandbox_network", "do not fence query workers off the "
           "network (seccomp filter, network namespace); only to test the SERVICE check "
           "alone, which still applies", action="store_false"),
    Option("--public-url", "public_url", "scheme://host[:port] clients use: absolute links "
           "name it and other Host headers are refused (default: the address connected to)",
           str, metavar="URL"),
    Option("--trusted-proxy", "trusted_proxies", "a reverse proxy (address or network) whose "
           "X-Forwarded-For is believed; repeat for more (default: none, the peer is the "
           "client)", str, "append", "ADDRESS"),
    Option("--max-body-bytes", "max_body_bytes", "largest request body (default 4 MiB)", int),
    Option("--max-header-bytes", "max_header_bytes", "largest request head (default 128 KiB)",
           int),
    Option("--max-header-count", "max_header_count", "most header fields (default 100)", int),
    Option("--header-timeout", "header_timeout", "seconds to send a request head "
           "(default 10)", float),
    Option("--body-timeout", "body_timeout", "seconds a request body may take, plus one "
           "per 64 KiB (default 10)", float),
    Option("--send-timeout", "send_timeout", "seconds a client may leave its answer unread "
           "(default 30)", float),
    Option("--keep-alive-timeout", "keep_alive_timeout", "seconds an idle connection stays "
           "open (default 15)", float),
    Option("--max-connections", "max_connections", "open connections per HTTP worker before "
           "503 (default 1024)", int),
    Option("--sparql-rate", "sparql_rate", "/sparql requests per second per client "
           "(default 10; 0: no limit)", float),
    Option("--sparql-burst", "sparql_burst", "/sparql requests a client may send at once "
           "(default 50)", int),
    *(
        Option("--" + name.replace("_", "-"), name, f"request limit (default "
               f"{default}; see README)", int, metavar="N")
        for name, default in _request_limit_defaults()
        ),
)  # fmt: skip


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """Add every SETTINGS_OPTIONS flag to `parser` (`kg serve`)."""
    for o in SETTINGS_OPTIONS:
        if o.action == "store_false":
            parser.add_argument(o.flag, dest=o.dest, action=o.action, default=None, help=o.help)
        else:
            parser.add_argument(
                o.flag, dest=o.dest, type=o.kind, action=o.action, metavar=o.metavar, help=o.help
            )


def settings_from_args(args: argparse.Namespace, **fallbacks: Any) -> Settings:
    """The one Settings the SETTINGS_OPTIONS flags in `args` describe; `fallbacks` fill fields
    whose flag was not given (before the Settings defaults). ValueError if a value is out of
    range."""
    values: dict[str, Any] = dict(fallbacks)
    for o in SETTINGS_OPTIONS:
        value = getattr(args, o.dest, None)
        if value is None:
            continue
        values[o.dest] = dict(value) if o.dest == "named_graphs" else value
    return Settings.from_mapping(values)
