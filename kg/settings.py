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

DEFAULT_BASE_IRI = "https://reg1042.example.org/"
#: Where the human query page and other Jinja2 templates live (the repository's site/).
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "site" / "templates"
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
    #: Put query workers in an empty network namespace once the data is loaded, where the OS
    #: allows it: a second fence behind the parser check that refuses SERVICE.
    sandbox_network: bool = True
    #: Extra named graphs to load beside the release's register.nt: {graph IRI: N-Triples file}.
    named_graphs: Mapping[str, str] = field(default_factory=dict)
    #: Jinja2 templates folder.
    templates_dir: str = str(DEFAULT_TEMPLATES)
    #: An external SPARQL 1.1 query endpoint that holds the release (see kg.remote): queries
    #: go there instead of to embedded query workers; None serves the embedded store.
    sparql_endpoint: str | None = None
    #: The release's graph in that store (default: the named graph `kg publish` writes).
    sparql_graph: str | None = None

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


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    """--max-query-chars N and the other request limits of kg.settings (kg.web.bounds)."""
    defaults = Settings()
    for name in REQUEST_LIMITS:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=getattr(defaults, name),
            metavar="N",
            help=f"request limit (default {getattr(defaults, name)}; see README)",
        )


def limit_options(args: argparse.Namespace) -> dict[str, int]:
    """The request limits given by `add_limit_flags`' flags, as Settings keywords."""
    return {name: getattr(args, name) for name in REQUEST_LIMITS}
