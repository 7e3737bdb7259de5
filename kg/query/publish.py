"""Push a release into any SPARQL 1.1 Graph Store HTTP Protocol endpoint.

One named graph per release, written with PUT (the protocol's "replace"), so publishing
the same release twice leaves the store exactly as after the first time. The push is
checked by reading the graph back and comparing it with the dump.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg.errors import KgError
from kg.query.credentials import redact, split_credentials
from kg.release.folder import release_version, verify_release
from kg.uris import Uris

NT = "application/n-triples"


@dataclass(frozen=True)
class Published:
    graph: str
    triples: int
    status: int


def release_graph_iri(uris: Uris, release: Path) -> str:
    return str(uris.release_graph(release_version(release)))


def publish(release: Path, store_url: str, uris: Uris, timeout: float = 120.0) -> Published:
    """PUT the release's register.nt as its own named graph, then read it back and compare.

    User info in `store_url` (``http://user:pw@host/...``) is sent as Digest or Basic
    authentication, whichever the store asks for (Virtuoso's /sparql-graph-crud-auth: Digest).
    """
    problems = verify_release(release)
    if problems:
        raise KgError(f"{release}: not a sound release: {'; '.join(problems)}")
    data = (release / "register.nt").read_bytes()
    expected = {str(t) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}
    graph = release_graph_iri(uris, release)
    shown = redact(store_url)
    store_url, auth = split_credentials(store_url)
    try:
        with httpx.Client(timeout=timeout, auth=auth) as client:
            put = client.put(
                store_url, params={"graph": graph}, content=data, headers={"Content-Type": NT}
            )
            if put.status_code not in (200, 201, 204):
                raise KgError(
                    f"{shown}: PUT of graph {graph} answered {put.status_code}: {put.text[:300]}"
                )
            back = client.get(store_url, params={"graph": graph}, headers={"Accept": NT})
    except httpx.HTTPError as exc:
        raise KgError(f"{shown}: {exc}") from exc
    if back.status_code != 200:
        raise KgError(f"{shown}: reading graph {graph} back answered {back.status_code}")
    stored = {str(t) for t in ox.parse(back.content, format=ox.RdfFormat.N_TRIPLES)}
    if stored != expected:
        raise KgError(
            f"{shown}: graph {graph} holds {len(stored)} triples after the push, "
            f"the release has {len(expected)} ({len(expected - stored)} missing)"
        )
    return Published(graph, len(expected), put.status_code)
