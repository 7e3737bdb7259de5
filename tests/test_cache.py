"""kg.cache: the byte budget holds, the least recently used entry goes first, oversized
entries are not kept, and the caches keyed by client input use it."""

from __future__ import annotations

import threading

import pytest

from kg.cache import ENTRY_OVERHEAD, ByteCache, approx_size, memoize


def by_value_length(key: str, value: bytes) -> int:
    return len(value)


def test_the_byte_budget_holds_whatever_is_put() -> None:
    cache: ByteCache[str, bytes] = ByteCache(10_000, 2_000, by_value_length)
    for i in range(1_000):
        cache.put(f"k{i}", b"x" * (i % 1_500))
        assert cache.bytes <= 10_000
    assert 0 < len(cache) < 1_000
    assert cache.bytes == sum(len(cache.get(k)) + ENTRY_OVERHEAD for k in list(cache._items))


def test_the_least_recently_used_entry_goes_first() -> None:
    cost = 100 + ENTRY_OVERHEAD
    cache: ByteCache[str, bytes] = ByteCache(3 * cost, cost, by_value_length)
    for key in "abc":
        assert cache.put(key, b"x" * 100)
    assert cache.get("a") == b"x" * 100  # a is now the most recently used: b is the oldest
    cache.put("d", b"y" * 100)
    assert "b" not in cache
    assert [k for k in "acd" if k in cache] == ["a", "c", "d"]
    cache.put("e", b"z" * 100)
    assert "c" not in cache and "a" in cache


def test_an_entry_over_the_cap_is_not_kept_and_evicts_nothing() -> None:
    cache: ByteCache[str, bytes] = ByteCache(10_000, 1_000, by_value_length)
    cache.put("small", b"x" * 10)
    assert not cache.put("big", b"x" * 5_000)
    assert "big" not in cache and cache.get("small") == b"x" * 10


def test_replacing_a_key_does_not_count_it_twice() -> None:
    cache: ByteCache[str, bytes] = ByteCache(10_000, 5_000, by_value_length)
    for _ in range(100):
        cache.put("same", b"x" * 1_000)
    assert len(cache) == 1 and cache.bytes == 1_000 + ENTRY_OVERHEAD


def test_keys_count_too() -> None:
    """Distinct 1 MB keys with tiny values (an Accept header, a query) fill the budget."""
    cache: ByteCache[str, int] = ByteCache(4 * 1024 * 1024, 2 * 1024 * 1024)
    for i in range(20):
        cache.put(f"{i:04d}" + "x" * 1024 * 1024, i)
    assert len(cache) <= 4 and cache.bytes <= 4 * 1024 * 1024


def test_approx_size_follows_containers_and_dataclasses() -> None:
    from kg.query.store import QueryForm, QueryResult

    assert approx_size("x" * 10_000) >= 10_000
    assert approx_size(("x" * 10_000, ("y" * 10_000,))) >= 20_000
    assert approx_size({"k": b"z" * 10_000}) >= 10_000
    result = QueryResult(QueryForm.SOLUTIONS, "text/csv", b"b" * 50_000, 3)
    assert approx_size(result) >= 50_000


def test_memoize_caches_by_arguments_within_its_budget() -> None:
    calls: list[str] = []

    @memoize(64 * 1024, 8 * 1024)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert shout("a") == "A" and shout("a") == "A"
    assert calls == ["a"]
    big = "b" * 100_000
    assert shout(big) == big.upper() and shout(big) == big.upper()
    assert calls == ["a", big, big]  # over the entry cap: computed each time, never kept
    for i in range(10_000):
        shout(f"word {i}")
    assert shout.cache.bytes <= 64 * 1024  # type: ignore[attr-defined]


def test_memoize_does_not_cache_exceptions() -> None:
    calls = 0

    @memoize(1024)
    def fail(x: int) -> int:
        nonlocal calls
        calls += 1
        raise ValueError(x)

    for _ in range(2):
        with pytest.raises(ValueError):
            fail(1)
    assert calls == 2


def test_threads_may_share_a_cache() -> None:
    cache: ByteCache[int, bytes] = ByteCache(50_000, 5_000, lambda k, v: len(v))

    def hammer(offset: int) -> None:
        for i in range(5_000):
            cache.put((offset + i) % 300, b"x" * (i % 1_000))
            cache.get((offset * 7 + i) % 300)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.bytes <= 50_000
    assert cache.bytes == sum(len(v) + ENTRY_OVERHEAD for v, _ in cache._items.values())


@pytest.mark.parametrize(
    "name",
    [
        "kg.web.negotiation.parse_accept",
        "kg.web.negotiation._choose",
        "kg.web.sparql.resolve_outputs",
        "kg.web.sparql._recent_query_string_pairs",
        "kg.lookup.search.stem",
    ],
)
def test_caches_keyed_by_client_input_have_a_byte_budget(name: str) -> None:
    import importlib

    module, _, attr = name.rpartition(".")
    fn = getattr(importlib.import_module(module), attr)
    assert isinstance(fn.cache, ByteCache), name
    assert fn.cache.max_bytes <= 8 * 1024 * 1024


def test_long_accept_headers_are_parsed_but_not_kept() -> None:
    from kg.web.negotiation import _choose, choose, parse_accept

    before = parse_accept.cache.bytes + _choose.cache.bytes  # type: ignore[attr-defined]
    for i in range(50):
        header = f"text/x-{i}, " + "application/x-filler;q=0.1, " * 4_000 + "text/turtle"
        assert choose(header, ("text/html", "text/turtle")) == "text/turtle"
    after = parse_accept.cache.bytes + _choose.cache.bytes  # type: ignore[attr-defined]
    assert after - before < 64 * 1024
