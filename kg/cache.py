"""The one cache of the server: least recently used entries go first, bounded by bytes.

Why bytes and not entries: most caches here are keyed by what a client sent (an Accept
header, a search query, a SPARQL query). A cache bounded by entry count holds as many
megabytes as the clients care to send per entry, and never gives them back. Every entry is
sized (key and value, see :func:`approx_size`), the total stays under ``max_bytes``, and an
entry over ``max_entry`` is not kept at all, so one huge input cannot flush the useful ones.

Thread-safe (one lock): search and reconciliation run in worker threads.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

#: Bytes counted per entry on top of its key and value: the dict slot and the link of the
#: order, roughly (CPython's OrderedDict node and hash table entry).
ENTRY_OVERHEAD = 128
_MISSING: Any = object()
_LEAVES = (str, bytes, bytearray, int, float, bool, type(None))
_CONTAINERS = (tuple, list, set, frozenset, dict)
_LEAF_TYPES = frozenset(_LEAVES)
_SEQUENCES = (tuple, list, set, frozenset)


def approx_size(value: Any, _depth: int = 0) -> int:
    """Bytes `value` holds, roughly: strings and bytes in full, containers and dataclass
    fields followed a few levels down. Objects it does not know count their shell only (a
    search hit's shared entity is not copied per hit, so it is not counted per hit).

    Written for speed (it runs on every put of every cache): no generators, and a leaf inside
    a container is measured without a call.
    """
    size = sys.getsizeof(value)
    if type(value) in _LEAF_TYPES or _depth > 4 or isinstance(value, _LEAVES):
        return size
    if isinstance(value, _SEQUENCES):
        for item in value:
            size += (
                sys.getsizeof(item) if type(item) in _LEAF_TYPES else approx_size(item, _depth + 1)
            )
        return size
    if isinstance(value, dict):
        for k, v in value.items():
            size += approx_size(k, _depth + 1) + approx_size(v, _depth + 1)
        return size
    kind: Any = type(value)  # a class is hashable; the stubs of lru_cache do not know it
    for name in _field_names(kind):
        field = getattr(value, name, None)
        if isinstance(field, _LEAVES + _CONTAINERS):
            size += approx_size(field, _depth + 1)
    return size


@functools.lru_cache(maxsize=256)  # keyed by class: the program's own types, few
def _field_names(kind: type) -> tuple[str, ...]:
    if dataclasses.is_dataclass(kind):
        return tuple(f.name for f in dataclasses.fields(kind))
    return ()


class ByteCache(Generic[K, V]):
    """An LRU map bounded by the bytes of its keys and values.

    `size` measures one entry (default: :func:`approx_size` of key and value). An entry
    larger than `max_entry` (default: an eighth of the budget) is not cached.
    """

    def __init__(
        self,
        max_bytes: int,
        max_entry: int | None = None,
        size: Callable[[K, V], int] | None = None,
    ) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 8 if max_entry is None else min(max_entry, max_bytes)
        self._size = size or (lambda k, v: approx_size(k) + approx_size(v))
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """Bytes held now (as measured when each entry was put)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K, default: Any = None) -> Any:
        """The value of `key` (now the most recently used), else `default`."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: K, value: V) -> bool:
        """Keep `value` under `key`, evicting the least recently used entries to make room;
        False (and nothing kept) when the entry alone is over `max_entry`."""
        cost = self._size(key, value) + ENTRY_OVERHEAD
        if cost > self.max_entry:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, freed) = self._items.popitem(last=False)
                self._bytes -= freed
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def memoize(max_bytes: int, max_entry: int | None = None) -> Callable[[F], F]:
    """Decorator: cache a function's results by its positional arguments in a ByteCache
    (``fn.cache``). Exceptions are not cached; arguments must be hashable."""

    def decorate(fn: F) -> F:
        cache: ByteCache[tuple[Any, ...], Any] = ByteCache(max_bytes, max_entry)

        @functools.wraps(fn)
        def cached(*args: Any) -> Any:
            value = cache.get(args, _MISSING)
            if value is _MISSING:
                value = fn(*args)
                cache.put(args, value)
            return value

        cached.cache = cache  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return decorate
