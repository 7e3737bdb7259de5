"""An in-process repository over a release, with the same interface as kg.query.store.Repository.

Why: the server reads page data through kg.query.store.Repository (the query workers, with their
limits and cache), but a static-site export and unit tests need the same page data without
a server. `kg.web.pages.PageService` accepts either. Queries here are the service's own, never a
user's, so no time limit or worker process is needed.

pyoxigraph results belong to the thread that ran the query, so every method turns them into
plain lists before it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox

from kg.query.store import QueryError, Term
from kg.rdf.terms import Value, plain


class LocalRepository:
    """kg.query.store.Repository's `select` / `ask` / `construct` over an in-memory pyoxigraph store."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store

    @classmethod
    def from_release(cls, release_dir: Path) -> LocalRepository:
        """Load `<release_dir>/register.nt`."""
        store = ox.Store()
        store.bulk_load(path=str(Path(release_dir) / "register.nt"), format=ox.RdfFormat.N_TRIPLES)
        return cls(store)

    def _query(self, query: str, bindings: Mapping[str, Term] | None) -> object:
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self._store.query(query, substitutions=subs or None)
        except SyntaxError as e:
            raise QueryError(400, f"malformed query: {e}") from None

    async def select(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, Value]]:
        results = self._query(query, bindings)
        if not isinstance(results, ox.QuerySolutions):
            raise QueryError(400, "expected a query with a solutions result")
        names = [v.value for v in results.variables]
        return [
            {n: plain(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in results
        ]

    async def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        results = self._query(query, bindings)
        if not isinstance(results, ox.QueryBoolean):
            raise QueryError(400, "expected a query with a boolean result")
        return bool(results)

    async def construct(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[ox.Triple]:
        results = self._query(query, bindings)
        if not isinstance(results, ox.QueryTriples):
            raise QueryError(400, "expected a query with a graph result")
        return list(results)
