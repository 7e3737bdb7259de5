"""Run the web app under uvicorn.

Why uvicorn is started by import string: with more than one HTTP worker process uvicorn
imports the app in each of them, so the release folder and settings travel as JSON in one
environment variable and `app_from_env` rebuilds the app there.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI

from kg.errors import KgError
from kg.release.catalog import VOID_TTL
from kg.settings import ENV_VAR, Settings
from kg.uris import VOID
from kg.web.app import check_release, create_app
from kg.web.bounds import give_back_large_blocks
from kg.web.protocol import ConnectionLimits, GuardedHttpToolsProtocol
from kg.web.routes import unrouted_uris


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


def check_uri_space(release_dir: Path, settings: Settings) -> None:
    """KgError if the release was built for another base IRI than the one served.

    Why: pages, 303s and the SPARQL base would name one set of URIs while the data holds
    another, so nothing would dereference. The release states its base as the void:uriSpace
    of its VoID file; a release without one (a bare dump) is not checked.
    """
    void = release_dir / VOID_TTL
    if not void.is_file():
        return
    spaces = {
        t.object.value
        for t in ox.parse(path=str(void), format=ox.RdfFormat.TURTLE)
        if t.predicate == ox.NamedNode(str(VOID.uriSpace)) and isinstance(t.object, ox.Literal)
    }
    if spaces and settings.uris.base not in spaces:
        raise KgError(
            f"{release_dir} was built for the base IRI {', '.join(sorted(spaces))} "
            f"(void:uriSpace in {VOID_TTL}), not the configured {settings.uris.base}: "
            "serve it with that --base-iri, or build it again with this one"
        )


def serve(release_dir: Path, settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve `release_dir` on host:port until interrupted.

    Raises KgError before anything starts if the release is missing, fails its SHA256SUMS
    (every HTTP worker checks again when it builds its app) or was built for another base IRI.
    """
    unrouted = unrouted_uris(settings.uris)
    if unrouted:
        raise KgError(f"URIs no route answers: {', '.join(unrouted)}")
    check_release(Path(release_dir))
    check_uri_space(Path(release_dir), settings)
    if settings.sparql_endpoint:  # fail here, once and clearly, not in every HTTP worker
        from kg.query.remote import check_store

        check_store(Path(release_dir), settings)
    print(f"serving {Path(release_dir).resolve()} on http://{host}:{port}/", flush=True)
    os.environ[ENV_VAR] = json.dumps(
        {
            "release_dir": str(Path(release_dir).resolve()),
            "settings": json.loads(settings.to_json()),
        }
    )
    uvicorn.run(
        "kg.web.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=settings.http_workers,
        loop=_fastest("uvloop", "asyncio"),
        http=http_protocol(settings),
        ws="none",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=settings.keep_alive_timeout,  # type: ignore[arg-type]  # seconds, float works
        limit_concurrency=settings.max_connections,
        # X-Forwarded-For/-Proto only from the configured proxies (uvicorn's own default
        # believes 127.0.0.1, so a local client could pick its address for the rate limit)
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        backlog=2048,
    )


def app_from_env() -> FastAPI:
    """The app described by the environment variable `serve` sets (uvicorn factory)."""
    give_back_large_blocks()  # memory of large request bodies returns to the system
    config = json.loads(os.environ[ENV_VAR])
    app = create_app(Path(config["release_dir"]), Settings.from_mapping(config["settings"]))
    # The modules, the search index and the site live as long as the process: moved out of
    # the collector's generations, they are not walked (and their pages not touched) again
    # by every full collection a burst of requests triggers.
    gc.collect()
    gc.freeze()
    return app
