"""Bounds on one request's work and memory, against a real server (issue 11, items 2, 3, 5).

- every input over a limit is refused, 413 (too large) or 422 (out of range), and the
  message names the setting; a too-long Accept header is 400;
- malformed numbers, deep nesting and wrong types are 4xx with a message, never 500, and a
  client that hangs up mid-body leaves no incident in the log;
- ``/healthz`` answers within a second while the costliest accepted batch is scored;
- the server's resident memory (its whole process tree, from /proc) stays bounded after
  many distinct large Accept headers and queries.

The server here is one of its own (``bounded``), so the memory it measures and the log it
reads are this module's alone; its batch word limit is raised so that one batch takes
seconds, which /healthz would wait for if the work ran on the event loop.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest_plugins = ["search_fixtures"]  # `search_release`: the real release

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: Words per batch on the test server: enough for a batch of new words to take seconds.
BATCH_WORDS = 20_000
LATIN = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def bounded(launch: Any, search_release: Path) -> Any:
    """A server of its own: one HTTP process, one query worker, one search thread."""
    args = ["--workers", "1", "--http-workers", "1", "--search-threads", "1"]
    return launch(search_release, [*args, "--max-batch-words", str(BATCH_WORDS)])


@pytest.fixture(scope="module")
def http(bounded: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bounded.base_url, timeout=60) as client:
        yield client


def made_up_words(n: int, seed: int, length: int = 6) -> str:
    """`n` distinct words that are in no label: the costliest words to score."""
    out = []
    for i in range(n):
        x, word = i * 7919 + seed * 104_729, []
        for _ in range(length):
            x, r = divmod(x, 26)
            word.append(LATIN[(r + len(word) * 11 + seed) % 26])
        out.append("".join(word) + "q")
    return " ".join(out)


def queries(batch: Any) -> dict[str, str]:
    return {"queries": batch if isinstance(batch, str) else json.dumps(batch, ensure_ascii=False)}


def extend(request: Any) -> dict[str, str]:
    return {"extend": request if isinstance(request, str) else json.dumps(request)}


# ---------------------------------------------------------------------------- item 2: limits

POSITION = "position/C2.02"
TOO_LARGE: dict[str, tuple[str, str, dict[str, Any], int, str]] = {
    # name: (method, path, request, status, phrase of the message)
    "query text": ("POST", "/reconcile", queries({"q": {"query": "ә" * 501}}), 413, "max_query_chars"),
    "query words": ("POST", "/reconcile", queries({"q": {"query": "a b " * 40}}), 413, "max_query_words"),
    "words after NFKC": ("POST", "/reconcile", queries({"q": {"query": "\ufdfa" * 22}}), 413, "max_query_words"),
    "batch size": ("POST", "/reconcile", queries({f"q{i}": {"query": "a"} for i in range(1001)}), 413, "max_batch"),
    "batch words": (
        "POST", "/reconcile",
        queries({f"q{i}": {"query": made_up_words(60, i)} for i in range(BATCH_WORDS // 60 + 1)}),
        413, "max_batch_words",
    ),
    "a 4 MB query": ("POST", "/reconcile", queries({"q": {"query": "abcdefg " * 500_000}}), 413, "max_query_chars"),
    "constraints": (
        "POST", "/reconcile",
        queries({"q": {"query": "a", "properties": [{"pid": "tier", "v": "C2"}] * 51}}),
        413, "max_properties",
    ),
    "constraint values": (
        "POST", "/reconcile",
        queries({"q": {"query": "a", "properties": [{"pid": "tier", "v": ["C2"] * 51}]}}),
        413, "max_properties",
    ),
    "constraint value text": (
        "POST", "/reconcile",
        queries({"q": {"query": "a", "properties": [{"pid": "tier", "v": "C" * 501}]}}),
        413, "max_query_chars",
    ),
    "types": ("POST", "/reconcile", queries({"q": {"query": "a", "type": ["position"] * 51}}), 413, "max_properties"),
    "query limit": ("POST", "/reconcile", queries({"q": {"query": "a", "limit": 100_000}}), 422, "max_limit"),
    "extend properties": (
        "POST", "/reconcile", extend({"ids": [POSITION], "properties": [{"id": "tier"}] * 20_000}),
        413, "max_properties",
    ),
    "extend ids": (
        "POST", "/reconcile", extend({"ids": [POSITION] * 1001, "properties": [{"id": "tier"}]}),
        413, "max_batch",
    ),
    "extend id text": (
        "POST", "/reconcile", extend({"ids": ["x" * 501], "properties": [{"id": "tier"}]}),
        413, "max_query_chars",
    ),
    "suggest prefix": ("GET", "/reconcile/suggest/entity", {"prefix": "abcdefg " * 8_000}, 413, "max_prefix_chars"),
    "suggest type prefix": ("GET", "/reconcile/suggest/type", {"prefix": "a" * 201}, 413, "max_prefix_chars"),
    "suggest property prefix": ("GET", "/reconcile/suggest/property", {"prefix": "a" * 201}, 413, "max_prefix_chars"),
    "suggest cursor": ("GET", "/reconcile/suggest/entity", {"prefix": "бух", "cursor": "-1"}, 422, "max_limit"),
    "suggest limit": ("GET", "/reconcile/suggest/entity", {"prefix": "бух", "limit": "10000"}, 422, "max_limit"),
    "search q": ("GET", "/api/search", {"q": "бухгалтер " * 60}, 413, "max_query_chars"),
    "search q words": ("GET", "/api/search", {"q": "a " * 65}, 413, "max_query_words"),
    "search page q": ("GET", "/search", {"q": "x" * 501}, 413, "max_query_chars"),
    "search limit": ("GET", "/api/search", {"q": "бухгалтер", "limit": "100000"}, 422, "max_limit"),
}  # fmt: skip


@pytest.mark.parametrize("case", TOO_LARGE)
def test_what_goes_beyond_a_limit_is_refused_naming_it(http: httpx.Client, case: str) -> None:
    method, path, request, status, phrase = TOO_LARGE[case]
    if method == "POST":
        r = http.post(path, data=request, headers=FORM)
    else:
        r = http.get(path, params=request)
    assert r.status_code == status, r.text[:300]
    assert phrase in r.json()["message"], r.json()
    assert r.headers["access-control-allow-origin"] == "*"


def test_requests_at_the_limits_are_answered(http: httpx.Client) -> None:
    """The bounds refuse only what is beyond them."""
    title = ("бухгалтер " * 50)[:500]  # 500 characters, 50 words
    r = http.post("/reconcile", data=queries({"q": {"query": title, "limit": 500}}))
    assert r.status_code == 200, r.text[:300]
    many = {f"q{i}": {"query": "Бухгалтер", "type": "position"} for i in range(1000)}
    assert http.post("/reconcile", data=queries(many)).status_code == 200
    r = http.get("/reconcile/suggest/entity", params={"prefix": "б" * 200, "cursor": 500})
    assert r.status_code == 200
    assert http.get("/api/search", params={"q": "x" * 500, "limit": 500}).status_code == 200


def test_duplicate_extend_properties_are_computed_once(http: httpx.Client) -> None:
    props = [{"id": "tier"}, {"id": "label-en"}] * 25
    r = http.post("/reconcile", data=extend({"ids": [POSITION], "properties": props}))
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert [m["id"] for m in body["meta"]] == ["tier", "label-en"]
    assert body["rows"][POSITION]["tier"][0]["id"] == "tier/C2"


def test_an_over_long_accept_header_is_400_before_any_parsing(http: httpx.Client) -> None:
    header = ", ".join(f"text/x-{i};q=0.5" for i in range(1_000)) + ", text/turtle"
    for path in ("/position/C2.02", "/sparql", "/no/such/page"):
        r = http.get(path, headers={"Accept": header})
        assert r.status_code == 400, (path, r.status_code)
        assert "Accept" in r.text and "4096" in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
    ok = ", ".join(f"text/x-{i};q=0.5" for i in range(100)) + ", text/turtle"
    r = http.get("/position/C2.02", headers={"Accept": ok}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(".ttl")


# ---------------------------------------------------------------------------- item 5: never 500

MALFORMED: dict[str, tuple[dict[str, str], str]] = {
    "limit NaN": (queries('{"q": {"query": "a", "limit": NaN}}'), "not finite"),
    "limit Infinity": (queries('{"q": {"query": "a", "limit": Infinity}}'), "not finite"),
    "limit -Infinity": (queries('{"q": {"query": "a", "limit": -Infinity}}'), "not finite"),
    "limit 1e400": (queries('{"q": {"query": "a", "limit": 1e400}}'), "not finite"),
    "limit of 5000 digits": (queries('{"q": {"query": "a", "limit": 1' + "0" * 5000 + "}}"), "too long"),
    "100k nested brackets in queries": (queries("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "100k nested objects in extend": (extend('{"a":' * 100_000 + "1" + "}" * 100_000), "nested too deeply"),
    "a type nested 900 deep": (queries('{"q": {"query": "a", "type": ' + "[" * 900 + "]" * 900 + "}}"), "'type'"),
    "a pid nested 900 deep": (
        queries('{"q": {"query": "a", "properties": [{"pid": ' + "[" * 900 + "]" * 900 + ', "v": "x"}]}}'),
        "'pid'",
    ),
    "lang a list": (extend({"ids": [POSITION], "properties": [{"id": "tier", "settings": {"lang": ["kk"]}}]}), "lang"),
    "lang an object": (extend({"ids": [POSITION], "properties": [{"id": "tier", "settings": {"lang": {"kk": 1}}}]}), "lang"),
    "lang a number": (extend({"ids": [POSITION], "properties": [{"id": "tier", "settings": {"lang": 5}}]}), "lang"),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_is_4xx_with_a_message(http: httpx.Client, case: str) -> None:
    data, phrase = MALFORMED[case]
    r = http.post("/reconcile", data=data, headers=FORM)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert phrase in r.json()["message"], r.json()


def test_a_client_hanging_up_mid_body_is_not_an_incident(bounded: Any, http: httpx.Client) -> None:
    host, port = bounded.base_url.removeprefix("http://").split(":")
    for path in ("/reconcile", "/sparql"):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM['Content-Type']}"
                "\r\nContent-Length: 100000\r\n\r\nqueries=%7B".encode("ascii")
            )
            time.sleep(0.3)
    time.sleep(0.5)
    assert http.get("/healthz").status_code == 200
    log = bounded.log()
    assert "incident" not in log and "Traceback" not in log, log[-3000:]


# ---------------------------------------------------------------------------- item 2: the loop


def test_healthz_answers_within_a_second_while_the_largest_batch_is_scored(
    http: httpx.Client, bounded: Any
) -> None:
    """Two batches of the most words accepted, all new (seconds of scoring), and a 4 MB
    query (parsed, then refused), sent at once; /healthz is asked every 100 ms meanwhile."""
    per_query = 64
    batches = [
        {f"q{i}": {"query": made_up_words(per_query, seed * 1000 + i, 5)} for i in range(BATCH_WORDS // per_query)}
        for seed in (1, 2)
    ]  # fmt: skip
    huge = queries({"q": {"query": "abcdefg " * 480_000}})
    results: dict[str, tuple[int, float]] = {}

    def post(name: str, data: dict[str, str]) -> None:
        with httpx.Client(base_url=bounded.base_url, timeout=120) as c:
            start = time.monotonic()
            status = c.post("/reconcile", data=data, headers=FORM).status_code
            results[name] = (status, time.monotonic() - start)

    posts = [
        threading.Thread(target=post, args=(f"batch{i}", queries(b))) for i, b in enumerate(batches)
    ]
    posts.append(threading.Thread(target=post, args=("huge", huge)))
    for t in posts:
        t.start()
    latencies = []
    while any(t.is_alive() for t in posts):
        start = time.monotonic()
        assert http.get("/healthz", timeout=10).status_code == 200
        latencies.append(time.monotonic() - start)
        time.sleep(0.1)
    for t in posts:
        t.join()
    assert results["huge"][0] == 413
    assert results["batch0"][0] == results["batch1"][0] == 200, results
    slowest = max(seconds for _, seconds in results.values())
    assert slowest > 2, f"the batches took {results}: too fast to tell anything"
    assert len(latencies) > 10
    assert max(latencies) < 1.0, (max(latencies), sorted(latencies)[-5:], results)


# ---------------------------------------------------------------------------- item 3: memory


def process_tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every process below it, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(parents.get(p, ()))
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next(
            int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")
        )
    return total


def test_memory_stays_bounded_after_large_distinct_inputs(bounded: Any) -> None:
    """100 distinct 1 MB Accept headers, 300 distinct ones just under the limit (negotiated
    and cached), 20 distinct 4 MB queries and 200 distinct queries of the largest accepted
    size: the server's process tree grows by less than 50 MB (before the byte budgets, the
    negotiation caches alone kept about 15 MB per 1 MB header)."""

    def accept(i: int, size: int) -> str:
        filler = f"text/x-{i}-" + "a" * 20 + ";q=0.1, "
        return (filler * (size // len(filler)))[: size - 14] + ", text/turtle"

    with httpx.Client(base_url=bounded.base_url, timeout=60) as c:
        for i in range(20):  # warm up: every route once, so only the inputs can grow it
            c.get("/position/C2.02", headers={"Accept": accept(-i, 2000)})
            c.get("/api/search", params={"q": made_up_words(60, -i)})
            c.post("/reconcile", data=queries({"q": {"query": made_up_words(60, -i)}}))
        c.post("/reconcile", data=queries({"q": {"query": "abcdefg " * 480_000}}))
        before = process_tree_rss(bounded.process.pid)
        started = time.monotonic()
        statuses: Counter[tuple[str, int]] = Counter()
        for i in range(100):
            r = c.get("/position/C2.02", headers={"Accept": accept(i, 1024 * 1024)})
            statuses["1 MB Accept", r.status_code] += 1
        for i in range(300):
            r = c.get("/position/C2.02", headers={"Accept": accept(i, 4000)})
            statuses["4 KB Accept", r.status_code] += 1
        for i in range(20):
            huge = queries({"q": {"query": f"{i} " + "abcdefg " * 480_000}})
            statuses["4 MB query", c.post("/reconcile", data=huge, headers=FORM).status_code] += 1
        for i in range(200):
            text = made_up_words(64, 1000 + i, 5)
            statuses["search", c.get("/api/search", params={"q": text}).status_code] += 1
            r = c.post("/reconcile", data=queries({"q": {"query": text}}))
            statuses["query", r.status_code] += 1
        time.sleep(1)
        after = process_tree_rss(bounded.process.pid)
    grew = (after - before) / 2**20
    seconds = time.monotonic() - started
    print(f"\nprocess tree: {before / 2**20:.0f} MB -> {after / 2**20:.0f} MB in {seconds:.0f} s")
    assert grew < 50, f"the server grew by {grew:.0f} MB"
    header_refused = statuses["1 MB Accept", 400] + statuses["1 MB Accept", 431]
    assert header_refused == 100 and statuses["4 KB Accept", 303] == 300, statuses
    assert statuses["4 MB query", 413] == 20, statuses
    assert statuses["search", 200] == statuses["query", 200] == 200, statuses
