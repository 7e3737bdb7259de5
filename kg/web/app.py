"""The web application: one FastAPI app over one release folder.

Why a factory: the app is built from a release folder and settings, never from globals, so a
test can start as many servers as it needs (e.g. one with extra named graphs) and uvicorn's
worker processes can each build their own.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from kg.errors import HttpError, KgError
from kg.lookup.finder import Finder
from kg.lookup.reconcile import Reconciler
from kg.lookup.search import SearchIndex
from kg.query.remote import RemoteQueryService
from kg.query.store import QueryError, QueryService, Repository
from kg.release.folder import verify_release
from kg.settings import Settings
from kg.web import error_pages, finder_routes, linked_data, search_routes, sparql
from kg.web.context import AppContext, context
from kg.web.documents import Site
from kg.web.limits import BodyLimit, PublicOrigin, SparqlRateLimit, TokenBuckets
from kg.web.negotiation import AcceptLimit
from kg.web.replay import SparqlReplay
from kg.web.security import CatchAll, SecurityHeaders, unexpected_error


def create_app(release_dir: Path, settings: Settings | None = None) -> FastAPI:
    """The app serving `release_dir`; its query workers start and stop with the app's lifespan.

    What routes read is one kg.web.context.AppContext, built here.
    """
    settings = settings or Settings()
    release_dir = check_release(Path(release_dir))
    service = query_service(release_dir, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(
        title="Register of Order No. 1042",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    build_context(release_dir, settings, service).install(app)
    app.add_exception_handler(HttpError, error_pages.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(QueryError, _query_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, error_pages.invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
    # Innermost first: the last one added sees the request first.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    buckets = (
        TokenBuckets(settings.sparql_rate, settings.sparql_burst)
        if settings.sparql_rate > 0
        else None
    )
    if buckets is not None:
        app.add_middleware(SparqlRateLimit, buckets=buckets)
    app.add_middleware(PublicOrigin, public_url=settings.public_url)
    app.add_middleware(CatchAll)  # SecurityHeaders wraps it, so 500s get headers
    app.add_middleware(AcceptLimit, max_bytes=settings.max_accept_bytes)
    app.add_middleware(SecurityHeaders, templates_dir=settings.templates_dir)
    app.include_router(sparql.router)
    app.include_router(search_routes.router)
    app.include_router(finder_routes.router)
    app.add_api_route("/healthz", _healthz, methods=["GET"], include_in_schema=False)
    linked_data.install(app)  # concept URIs, pages, downloads (kg.web.routes)
    bounded = service.answer_bounded if isinstance(service, QueryService) else None
    # outermost: before any other layer
    app.add_middleware(SparqlReplay, buckets=buckets, answer_bounded=bounded)
    return app


def build_context(
    release_dir: Path, settings: Settings, service: QueryService | RemoteQueryService
) -> AppContext:
    """Everything the routes read, built once per app (and per worker process)."""
    repository = Repository(service)
    templates = Path(settings.templates_dir)
    site = Site(repository, release_dir, settings.base_iri, templates, templates.parent / "static")
    search = SearchIndex.from_release(release_dir, settings.uris)
    return AppContext(
        settings=settings,
        release_dir=release_dir,
        query_service=service,
        repository=repository,
        site=site,
        search=search,
        reconciler=Reconciler(search, settings.max_batch),
        finder=Finder.from_release(release_dir, search),
        search_limiter=anyio.CapacityLimiter(settings.search_threads),
    )


def query_service(release_dir: Path, settings: Settings) -> QueryService | RemoteQueryService:
    """The embedded store's workers, or the external store when settings.sparql_endpoint is set
    (both have one interface, so pages, search and /sparql do not know which they use)."""
    if settings.sparql_endpoint:
        return RemoteQueryService.from_release(release_dir, settings)
    return QueryService.from_release(release_dir, settings)


#: Files of the release the server reads; SHA256SUMS must list and match them.
SERVED_FILES = ("register.nt",)


def check_release(release_dir: Path) -> Path:
    """`release_dir` if it is a sound release, else KgError saying what is wrong.

    Why before anything loads: a truncated or altered dump would load without complaint and
    answer wrong results; a release that fails its own SHA256SUMS is never served.
    """
    if not release_dir.is_dir():
        raise KgError(f"{release_dir}: no release folder here; build one with `kg build`")
    problems = verify_release(release_dir, required=SERVED_FILES)
    if problems:
        listed = "; ".join(problems[:10])
        raise KgError(
            f"{release_dir} is not a sound release ({listed}); rebuild it with `kg build`"
        )
    return release_dir


async def _query_error(request: Request, exc: QueryError) -> Response:
    """Any route may raise QueryError: it becomes its status with a plain-text message, or
    the site's error page in the reader's language for a browser."""
    if error_pages.wants_page(request):
        return error_pages.status_page(request, exc.status, exc.message)
    return sparql.error_response(exc)


async def _healthz(request: Request) -> JSONResponse:
    """Liveness for load balancers and tests: 200 once the query workers are up. `pid` names
    the HTTP worker process that answered (with --http-workers N, N distinct values)."""
    health = {"status": "ok", "pid": os.getpid(), **context(request).query_service.health()}
    return JSONResponse(health, headers={"Cache-Control": "no-store"})
