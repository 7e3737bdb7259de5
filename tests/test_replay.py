"""kg.web.replay: a repeated SPARQL GET answered with the bytes the app sent the first time.

Through a real server: a replay is recognised because the query service's counters do not
move (the app never saw the request), and its status, headers and body are the first answer's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import RunningServer

BASE = "https://reg1042.example.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
JSON = "application/sparql-results+json"
_fresh = itertools.count(1)


def fresh_query() -> str:
    """A query text no earlier request of the session sent (a different LIMIT)."""
    return f"SELECT ?l WHERE {{ <{BASE}tier/A1> <{SKOS}prefLabel> ?l }} LIMIT {next(_fresh)}"


@pytest.fixture(scope="module")
def server(launch: Callable[..., RunningServer], fixture_release: Path) -> RunningServer:
    return launch(fixture_release, ["--workers", "1", "--http-workers", "1", "--sparql-rate", "0"])


@pytest.fixture(scope="module")
def limited(launch: Callable[..., RunningServer], fixture_release: Path) -> RunningServer:
    args = ["--workers", "1", "--http-workers", "1", "--sparql-rate", "0.5"]
    return launch(fixture_release, [*args, "--sparql-burst", "3"])


@pytest.fixture()
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield c


def seen(client: httpx.Client) -> int:
    """Requests the query service answered (evaluated, or from its own cache)."""
    health = client.get("/healthz").json()
    return int(health["evaluations"]) + int(health["cache_hits"])


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, headers, response.content


def test_a_repeated_get_is_replayed_byte_for_byte(client: httpx.Client) -> None:
    params, headers = {"query": fresh_query()}, {"Accept": JSON, "Accept-Encoding": "identity"}
    before = seen(client)
    first = client.get("/sparql", params=params, headers=headers)
    assert first.status_code == 200 and first.json()["results"]["bindings"]
    second = client.get("/sparql", params=params, headers=headers)
    assert seen(client) == before + 2  # the app answered both (the second answer is kept)
    third = client.get("/sparql", params=params, headers=headers)
    assert seen(client) == before + 2  # the app never saw the third one
    assert comparable(third) == comparable(second) == comparable(first)
    assert "content-security-policy" in third.headers  # the outer layers' headers too


def test_a_fresh_bounded_query_gets_the_apps_bytes(client: httpx.Client) -> None:
    """After one answer has shown the head for its kind of request, a bounded query never
    asked before is answered before the app (its evaluation is counted, nothing else moves)
    with exactly the bytes the app sends for it (a cookie makes the app answer)."""
    headers = {"Accept": JSON}
    client.get("/sparql", params={"query": fresh_query()}, headers=headers)  # shows the head
    query = fresh_query()
    fast = client.get("/sparql", params={"query": query}, headers=headers)
    slow = client.get("/sparql", params={"query": query}, headers={**headers, "Cookie": "a=b"})
    assert fast.status_code == 200 and fast.json()["results"]["bindings"]
    assert comparable(fast) == comparable(slow)
    ask = f"ASK {{ <{BASE}tier/A1> <{SKOS}prefLabel> ?l }}"
    client.get("/sparql", params={"query": ask.replace("?l", "?x")}, headers=headers)
    fast_ask = client.get("/sparql", params={"query": ask}, headers=headers)
    slow_ask = client.get("/sparql", params={"query": ask}, headers={**headers, "Cookie": "a"})
    assert fast_ask.json() == {"head": {}, "boolean": True}
    assert comparable(fast_ask) == comparable(slow_ask)


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_large_fresh_answer_gets_the_apps_bytes(client: httpx.Client, encoding: str) -> None:
    """A DESCRIBE's Turtle is over the app's compression threshold: answered before the app
    only when it would not compress it, and either way with the app's bytes."""
    headers = {"Accept": "text/turtle", "Accept-Encoding": encoding}
    client.get("/sparql", params={"query": f"DESCRIBE <{BASE}tier/A2>"}, headers=headers)
    query = f"DESCRIBE <{BASE}tier/A1>"
    fast = client.get("/sparql", params={"query": query}, headers=headers)
    slow = client.get("/sparql", params={"query": query}, headers={**headers, "Cookie": "a"})
    assert len(slow.content) > 1024 and f"<{BASE}tier/A1>".encode() in slow.content
    assert comparable(fast) == comparable(slow)
    assert (slow.headers.get("content-encoding") == "gzip") == (encoding == "gzip")


def test_an_unbounded_query_is_replayed_too(client: httpx.Client) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{SKOS}prefLabel> ?l }} ORDER BY ?s LIMIT {next(_fresh)}"
    params, headers = {"query": query}, {"Accept": JSON}
    before = seen(client)
    answers = [client.get("/sparql", params=params, headers=headers) for _ in range(4)]
    assert seen(client) == before + 2  # answered twice by the app, then replayed
    assert all(comparable(a) == comparable(answers[0]) for a in answers)


def test_another_accept_or_encoding_is_another_answer(client: httpx.Client) -> None:
    params = {"query": fresh_query()}
    for _ in range(3):
        client.get("/sparql", params=params, headers={"Accept": JSON})
    before = seen(client)
    tsv = client.get("/sparql", params=params, headers={"Accept": "text/tab-separated-values"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert seen(client) == before + 1


@pytest.mark.parametrize(
    "extra",
    [{"If-None-Match": '"x"'}, {"Cookie": "a=b"}, {"X-Forwarded-For": "10.0.0.1"}],
)
def test_a_request_with_other_headers_goes_through_the_app(
    client: httpx.Client, extra: dict[str, str]
) -> None:
    params, headers = {"query": fresh_query()}, {"Accept": JSON}
    for _ in range(3):
        client.get("/sparql", params=params, headers=headers)
    before = seen(client)
    again = client.get("/sparql", params=params, headers={**headers, **extra})
    assert again.status_code == 200
    assert seen(client) == before + 1


def test_a_random_answer_is_never_replayed(client: httpx.Client) -> None:
    params = {"query": "SELECT (RAND() AS ?r) WHERE {}"}
    answers = {
        client.get("/sparql", params=params, headers={"Accept": JSON}).text for _ in range(3)
    }
    assert len(answers) == 3


def test_a_post_or_a_page_is_never_replayed(client: httpx.Client) -> None:
    query = fresh_query()
    for _ in range(2):
        before = seen(client)
        posted = client.post("/sparql", data={"query": query}, headers={"Accept": JSON})
        assert posted.status_code == 200
        assert seen(client) == before + 1
    params, html = {"query": fresh_query()}, {"Accept": "text/html"}
    for _ in range(3):
        client.get("/sparql", params=params, headers=html)
    before = seen(client)
    page = client.get("/sparql", params=params, headers=html)
    assert page.headers["content-type"].startswith("text/html")
    assert seen(client) == before + 1


def test_a_replay_keeps_the_rate_limit(limited: RunningServer) -> None:
    """Burst 3 at 0.5 per second: two answers and a replay pass, the fourth request is
    refused with 429 although its answer is kept."""
    params, headers = {"query": fresh_query()}, {"Accept": JSON}
    with httpx.Client(base_url=limited.base_url, timeout=30) as c:
        statuses = [c.get("/sparql", params=params, headers=headers).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429], statuses
        refused = c.get("/sparql", params=params, headers=headers)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        assert "too many SPARQL requests" in refused.text
