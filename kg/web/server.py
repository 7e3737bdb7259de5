"""Run the web app under uvicorn.

Why uvicorn is started by import string: with more than one HTTP worker process uvicorn
imports the app in each of them, so the release folder and settings travel as JSON in one
environment variable and `app_from_env` rebuilds the app there.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from kg.errors import KgError
from kg.settings import ENV_VAR, Settings, add_limit_options, limit_settings
from kg.web.app import check_release, create_app
from kg.web.bounds import give_back_large_blocks
from kg.web.protocol import ConnectionLimits, GuardedHttpToolsProtocol


def _fastest(module: str, fallback: str) -> str:
    return module if importlib.util.find_spec(module) is not None else fallback


def http_protocol(settings: Settings) -> Any:
    """uvicorn's httptools protocol with the connection limits and timeouts of `settings`
    (kg.web.protocol); a partial of a module-level class, so it pickles to worker processes."""
    limits = ConnectionLimits(
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
        header_timeout=settings.header_timeout,
        send_timeout=settings.send_timeout,
    )
    return functools.partial(GuardedHttpToolsProtocol, limits=limits)


def serve(release_dir: Path, host: str = "127.0.0.1", port: int = 8000, **settings: Any) -> None:
    """Serve `release_dir` on host:port until interrupted; `settings` are kg.settings.Settings.

    Raises KgError before anything starts if the release is missing or fails its SHA256SUMS
    (every HTTP worker checks again when it builds its app).
    """
    try:
        resolved = Settings.from_mapping(settings)
    except ValueError as e:
        raise KgError(str(e)) from None
    check_release(Path(release_dir))
    if resolved.sparql_endpoint:  # fail here, once and clearly, not in every HTTP worker
        from kg.query.remote import check_store

        check_store(Path(release_dir), resolved)
    os.environ[ENV_VAR] = json.dumps(
        {
            "release_dir": str(Path(release_dir).resolve()),
            "settings": json.loads(resolved.to_json()),
        }
    )
    uvicorn.run(
        "kg.web.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=resolved.http_workers,
        loop=_fastest("uvloop", "asyncio"),
        http=http_protocol(resolved),
        ws="none",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=resolved.keep_alive_timeout,  # type: ignore[arg-type]  # seconds, float works
        limit_concurrency=resolved.max_connections,
        # X-Forwarded-For/-Proto only from the configured proxies (uvicorn's own default
        # believes 127.0.0.1, so a local client could pick its address for the rate limit)
        proxy_headers=bool(resolved.trusted_proxies),
        forwarded_allow_ips=list(resolved.trusted_proxies) or None,
        backlog=2048,
    )


def app_from_env() -> FastAPI:
    """The app described by the environment variable `serve` sets (uvicorn factory)."""
    give_back_large_blocks()  # memory of large request bodies returns to the system
    config = json.loads(os.environ[ENV_VAR])
    return create_app(Path(config["release_dir"]), Settings.from_mapping(config["settings"]))


def _named_graph(text: str) -> tuple[str, str]:
    iri, sep, path = text.partition("=")
    if not sep or not iri or not path:
        raise argparse.ArgumentTypeError("expected IRI=PATH")
    return iri, path


def main(argv: list[str] | None = None) -> None:
    """`python -m kg.web.server RELEASE_DIR [options]` (what `kg serve` does)."""
    defaults = Settings()
    p = argparse.ArgumentParser(prog="python -m kg.web.server", description=main.__doc__)
    p.add_argument("release_dir", type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--base-iri", default=defaults.base_iri)
    p.add_argument(
        "--time-limit", type=float, default=defaults.time_limit, help="seconds per query"
    )
    p.add_argument("--row-cap", type=int, default=defaults.row_cap)
    p.add_argument("--query-size-cap", type=int, default=defaults.query_size_cap, help="bytes")
    p.add_argument("--workers", type=int, default=defaults.workers, help="query worker processes")
    p.add_argument("--http-workers", type=int, default=defaults.http_workers)
    p.add_argument("--cache-bytes", type=int, default=defaults.cache_bytes)
    p.add_argument(
        "--named-graph", type=_named_graph, action="append", default=[], metavar="IRI=PATH"
    )
    p.add_argument(
        "--sparql-endpoint",
        metavar="URL",
        help="answer queries from this external SPARQL 1.1 endpoint instead of the embedded "
        "store (it must hold the release, see `kg publish`); user:password@ in the URL is sent "
        "as Digest or Basic authentication",
    )
    p.add_argument("--sparql-graph", metavar="IRI", help="the release's graph in that store")
    add_limit_options(p)
    a = p.parse_args(argv)
    try:
        _serve_args(a)
    except KgError as e:
        print(f"kg serve: error: {e}", file=sys.stderr)
        sys.exit(2)


def _serve_args(a: argparse.Namespace) -> None:
    serve(
        a.release_dir,
        host=a.host,
        port=a.port,
        base_iri=a.base_iri,
        time_limit=a.time_limit,
        row_cap=a.row_cap,
        query_size_cap=a.query_size_cap,
        workers=a.workers,
        http_workers=a.http_workers,
        cache_bytes=a.cache_bytes,
        named_graphs=dict(a.named_graph),
        sparql_endpoint=a.sparql_endpoint,
        sparql_graph=a.sparql_graph,
        **limit_settings(a),
    )


if __name__ == "__main__":
    main()
