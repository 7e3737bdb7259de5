"""What every route and middleware of one app reads: one typed, frozen context.

Why one object instead of attributes on ``app.state``: the set of things the server holds for
a release (settings, store, search, site) is then written down once, with types, and built
once in kg.web.app.create_app; a handler asks for it through `context` and a typo is a type
error, not an AttributeError at request time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from kg.cache import ByteCache
from kg.lookup.finder import Finder
from kg.lookup.reconcile import Reconciler
from kg.lookup.search import SearchIndex
from kg.query.remote import RemoteQueryService
from kg.query.store import QueryService, Repository
from kg.settings import Settings
from kg.web.documents import Site


@dataclass(frozen=True)
class AppContext:
    """One served release and what the server built over it (see kg.web.app.create_app).

    `site` renders every page (its Jinja environment is the app's only one); the last two
    fields are per-process budgets: search threads at once, and the SPARQL service
    descriptions already serialised (by endpoint URL and media type).
    """

    settings: Settings
    release_dir: Path
    query_service: QueryService | RemoteQueryService
    repository: Repository
    site: Site
    search: SearchIndex
    reconciler: Reconciler
    finder: Finder
    search_limiter: anyio.CapacityLimiter
    sparql_descriptions: ByteCache[tuple[str, str], bytes] = field(
        default_factory=lambda: ByteCache(1024 * 1024)
    )

    def install(self, app: Starlette) -> None:
        """Store this context on `app`, the one place `context` reads it from."""
        app.state.context = self


def context(request: HTTPConnection) -> AppContext:
    """The context of the app serving `request` (a FastAPI dependency, or called directly)."""
    ctx: AppContext = request.app.state.context
    return ctx


#: A route parameter that receives the app's context.
Context = Annotated[AppContext, Depends(context)]
