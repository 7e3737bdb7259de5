"""A runaway query is stopped at the time limit while other requests keep being answered.

The one timed assertion in the suite: while a cartesian product over all triples runs, a cheap
query (never seen before, so it really needs a worker) is answered in well under a second.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx

#: No rows until it finishes (COUNT), so the row cap cannot end it early: only the time limit.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TIME_LIMIT = 2.0  # the `server` fixture's --time-limit


def cheap_query() -> str:
    return f"SELECT ?s WHERE {{ ?s a ?t }} LIMIT 1 # {uuid.uuid4()}"


def test_runaway_query_times_out_while_others_are_answered(server: Any) -> None:
    outcome: dict[str, Any] = {}

    def run_away() -> None:
        started = time.monotonic()
        r = httpx.get(server.endpoint, params={"query": RUNAWAY}, timeout=60)
        outcome.update(
            status=r.status_code, text=r.text, body=r.content, took=time.monotonic() - started
        )

    thread = threading.Thread(target=run_away)
    thread.start()
    time.sleep(0.5)  # the runaway is now busy in one worker
    with httpx.Client(timeout=30) as client:
        for _ in range(3):
            started = time.monotonic()
            r = client.get(server.endpoint, params={"query": cheap_query()})
            took = time.monotonic() - started
            assert r.status_code == 200, r.text
            assert took < 1.0, f"a cheap query took {took:.2f} s while a runaway query ran"
        assert thread.is_alive(), "the runaway query should still be running"
    thread.join(30)

    assert outcome["status"] == 503, outcome
    assert "time limit" in outcome["text"]
    assert TIME_LIMIT - 0.1 <= outcome["took"] < TIME_LIMIT + 5
    # the killed worker is replaced: the service answers as before
    r = httpx.get(server.endpoint, params={"query": cheap_query()}, timeout=30)
    assert r.status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        health = httpx.get(f"{server.base_url}/healthz").json()
        if health["idle_workers"] == health["workers"]:
            break
        time.sleep(0.1)
    assert health["idle_workers"] == health["workers"] == 2
    assert health["worker_restarts"] >= 1


def test_timeouts_are_not_cached(server: Any) -> None:
    """A second identical runaway is evaluated (and stopped) again, not answered from memory."""
    first = httpx.get(server.endpoint, params={"query": RUNAWAY + " # again"}, timeout=60)
    started = time.monotonic()
    second = httpx.get(server.endpoint, params={"query": RUNAWAY + " # again"}, timeout=60)
    assert first.status_code == second.status_code == 503
    assert time.monotonic() - started >= TIME_LIMIT - 0.1
