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

DEFAULT_BASE_IRI = "https://reg1042.example.org/"

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
    base_iri: str = DEFAULT_BASE_IRI
    #: Seconds one SPARQL query may run before its worker process is killed.
    time_limit: float = 5.0
    #: Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one response may carry; more is an error.
    row_cap: int = 10_000
    #: Largest accepted query text, in bytes of UTF-8.
    query_size_cap: int = 64 * 1024
    #: Query worker processes per HTTP worker (each holds its own copy of the release).
    workers: int = field(default_factory=_cpu_count)
    #: uvicorn worker processes answering HTTP, each with its own pool of query workers and
    #: its own response cache. Two use both cores of a small machine for the HTTP side, which
    #: is where a cached or cheap query spends its time (see bench/sparql.py).
    http_workers: int = field(default_factory=lambda: min(2, _cpu_count()))
    #: Bytes of serialised responses kept in the in-memory LRU cache (0 disables it).
    cache_bytes: int = 64 * 1024 * 1024
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

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            object.__setattr__(self, "base_iri", self.base_iri + "/")
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
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)

    def updated(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls.from_mapping(json.loads(text))


#: Options of `kg serve` and `python -m kg.web.server` that only bound what clients may ask;
#: (flag, Settings field, type, help). Unset flags keep the Settings defaults.
LIMIT_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--public-url", "public_url", str, "scheme://host[:port] clients use: absolute links "
     "name it and other Host headers are refused (default: the address connected to)"),
    ("--page-workers", "page_workers", int, "query workers kept for pages, beside --workers "
     "(default 1)"),
    ("--max-body-bytes", "max_body_bytes", int, "largest request body (default 4 MiB)"),
    ("--max-header-bytes", "max_header_bytes", int, "largest request head (default 128 KiB)"),
    ("--max-header-count", "max_header_count", int, "most header fields (default 100)"),
    ("--header-timeout", "header_timeout", float, "seconds to send a request head "
     "(default 10)"),
    ("--body-timeout", "body_timeout", float, "seconds a request body may take, plus one "
     "per 64 KiB (default 10)"),
    ("--send-timeout", "send_timeout", float, "seconds a client may leave its answer unread "
     "(default 30)"),
    ("--keep-alive-timeout", "keep_alive_timeout", float, "seconds an idle connection stays "
     "open (default 15)"),
    ("--max-connections", "max_connections", int, "open connections per HTTP worker before "
     "503 (default 1024)"),
    ("--sparql-rate", "sparql_rate", float, "/sparql requests per second per client "
     "(default 10; 0: no limit)"),
    ("--sparql-burst", "sparql_burst", int, "/sparql requests a client may send at once "
     "(default 50)"),
)  # fmt: skip


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The LIMIT_OPTIONS flags, one flag per REQUEST_LIMITS setting, --no-network-sandbox and
    --trusted-proxy (repeatable): the serving options `kg serve` and `python -m kg.web.server`
    share. Unset flags keep the Settings defaults."""
    for flag, dest, kind, text in LIMIT_OPTIONS:
        parser.add_argument(flag, dest=dest, type=kind, help=text)
    defaults = Settings()
    for name in REQUEST_LIMITS:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=int,
            metavar="N",
            help=f"request limit (default {getattr(defaults, name)}; see README)",
        )
    parser.add_argument(
        "--no-network-sandbox",
        dest="sandbox_network",
        action="store_false",
        default=None,
        help="do not fence query workers off the network (seccomp filter, network "
        "namespace); only to test the SERVICE check alone, which still applies",
    )
    parser.add_argument(
        "--trusted-proxy",
        dest="trusted_proxies",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy (address or network) whose X-Forwarded-For is believed; repeat "
        "for more (default: none, the peer is the client)",
    )


def limit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings values the limit flags set (unset ones are left out)."""
    names = [dest for _, dest, _, _ in LIMIT_OPTIONS] + [*REQUEST_LIMITS]
    names += ["trusted_proxies", "sandbox_network"]
    return {n: v for n in names if (v := getattr(args, n, None)) is not None}
