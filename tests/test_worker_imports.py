"""The query workers: lean processes forked from one zygote that loaded the release once.

Why these tests: a worker should hold only what it runs (pyoxigraph and the standard
library), share the store's pages with its siblings, and stay safe to fork: many queries in
many forks, a runaway killed and replaced under load, and no two workers drawing the same
random numbers (pyoxigraph's generator is per thread and fork does not reseed it).
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_store import Running

from kg.query.engine import DEFAULT_FORMATS, Job, QueryError
from kg.query.store import QueryService
from kg.settings import Settings

#: Packages a query worker never runs; any of them in its sys.modules is memory for nothing.
NOT_IN_A_WORKER = ("rdflib", "pyparsing", "fastapi", "starlette", "jinja2", "httpx")
NOT_IN_A_WORKER += ("openpyxl", "numpy", "uvicorn", "pydantic", "kg.web", "kg.release")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


class _ModulesQuery:
    """Unpickled in the worker, this becomes a query listing the worker's own sys.modules."""

    def __reduce__(self) -> tuple[Any, ...]:
        code = (
            "'SELECT ?m WHERE { VALUES ?m { ' + ' '.join(chr(34) + m + chr(34) for m in "
            "sorted(__import__('sys').modules)) + ' } }'"
        )
        return (eval, (code,))


async def worker_modules(service: QueryService) -> set[str]:
    job = Job(_ModulesQuery(), None, DEFAULT_FORMATS)  # type: ignore[arg-type]
    reply = await service._pool.run(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
    assert reply[0] == "ok", reply
    rows = json.loads(reply[4])["results"]["bindings"]
    return {row["m"]["value"] for row in rows}


@pytest.fixture(scope="module")
def pool(fixture_release: Path) -> Iterator[Running]:
    settings = Settings(workers=3, time_limit=2, cache_bytes=0, row_cap=500)
    r = Running(QueryService.from_release(fixture_release, settings))
    yield r
    r.close()


def pids(r: Running) -> list[int]:
    return sorted(w.pid for w in r.service._pool._all)


def test_a_worker_imports_only_what_it_runs(pool: Running) -> None:
    # the paths that used to import a parser library: an update worded as such, a bad query
    for text in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "SELECT * WHERE {"):
        with pytest.raises(QueryError):
            pool.run(pool.service.execute(text))
    modules = pool.run(worker_modules(pool.service))
    assert "pyoxigraph" in modules and "kg.query.engine" in modules
    assert "asyncio" not in modules and "kg.query.store" not in modules  # the serving side
    unwanted = sorted(
        m for m in modules if any(m == p or m.startswith(p + ".") for p in NOT_IN_A_WORKER)
    )
    assert not unwanted, unwanted
    for pid in pids(pool):
        maps = Path(f"/proc/{pid}/maps").read_text()
        libraries = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
        assert not [lib for lib in libraries if "site-packages" in lib and "pyoxigraph" not in lib]


def test_workers_are_forks_of_one_zygote(pool: Running) -> None:
    assert pool.service.network_sandboxed
    zygote = pool.service._pool._zygote
    assert zygote is not None
    for pid in pids(pool):
        stat = Path(f"/proc/{pid}/stat").read_text()
        assert int(stat.rsplit(")", 1)[1].split()[1]) == zygote.process.pid
        if pool.service.network_sandboxed:  # the zygote's seccomp filter, inherited by the fork
            assert "Seccomp:\t2" in Path(f"/proc/{pid}/status").read_text()


def test_random_functions_differ_between_workers(pool: Running) -> None:
    """Each worker's first RAND()/UUID() must differ from its siblings' first ones."""

    async def draws() -> list[bytes]:
        text = "SELECT (UUID() AS ?u) (RAND() AS ?r) WHERE {{}} # {}"
        results = await asyncio.gather(
            *(pool.service.execute(text.format(uuid.uuid4())) for _ in range(30))
        )
        return [r.body for r in results]

    bodies = pool.run(draws())
    assert len(set(bodies)) == len(bodies)


@pytest.mark.slow  # a load test: 300 queries while workers are killed
def test_many_queries_and_kills_under_load(pool: Running) -> None:
    """Cheap queries in every fork while a runaway is stopped and a worker is killed from
    outside: both are replaced by new forks, and the other queries are answered."""
    service = pool.service
    restarts = service.health()["worker_restarts"]

    async def load() -> tuple[list[Any], Any]:
        async def cheap(i: int) -> Any:
            text = f"SELECT ?s WHERE {{ ?s a ?t }} LIMIT 3 # {i} {uuid.uuid4()}"
            return await service.execute(text)

        runaway = asyncio.ensure_future(service.execute(RUNAWAY))
        await asyncio.sleep(0.2)
        victim = next(w for w in service._pool._idle)
        os.kill(victim.pid, signal.SIGKILL)
        results = await asyncio.gather(*(cheap(i) for i in range(300)), return_exceptions=True)
        return results, await asyncio.gather(runaway, return_exceptions=True)

    results, (runaway,) = pool.run(load())
    failed = [r for r in results if isinstance(r, BaseException)]
    # only a query that was on the killed worker may fail, and then with a 503
    assert len(failed) <= 1, failed
    assert all(isinstance(e, QueryError) and e.status == 503 for e in failed)
    assert isinstance(runaway, QueryError) and runaway.status == 503

    async def settle() -> None:
        for _ in range(200):
            if service.health()["idle_workers"] == 3 and len(service._pool._all) == 4:
                return
            await asyncio.sleep(0.05)

    pool.run(settle())
    health = service.health()
    assert health["worker_restarts"] >= restarts + 2
    assert health["idle_workers"] == 3
    assert pool.run(service.execute("ASK { ?s ?p ?o }")).body.endswith(b"true}")


def test_a_dead_zygote_is_replaced(fixture_release: Path) -> None:
    """Its workers die with it (parent-death signal); the pool starts a new zygote and forks."""
    settings = Settings(workers=2, time_limit=5, cache_bytes=0)
    r = Running(QueryService.from_release(fixture_release, settings))
    try:
        old = r.service._pool._zygote
        assert old is not None
        old.process.kill()

        async def recovered() -> bool:
            for _ in range(400):
                zygote = r.service._pool._zygote
                if zygote is not old and r.service.health()["idle_workers"] == 2:
                    return True
                await asyncio.sleep(0.05)
            return False

        assert r.run(recovered())
        assert r.run(r.service.execute("ASK { ?s ?p ?o }")).body.endswith(b"true}")
    finally:
        r.close()
