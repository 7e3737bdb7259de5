"""Bounds on the work of one search or reconciliation request, checked before any of it.

Why here and not in kg.lookup.search / kg.lookup.reconcile: those say what matches and what the protocol
means; how much one client may ask of the server at once is a property of the service, set
in kg.settings.Settings (``max_*``), and it must hold whatever the ranking does. The cost of
a query grows with its distinct words (each is matched against the whole vocabulary), so a
query is bounded in characters and in words, a batch in queries, a data extension request
in ids and properties. Too large is 413, a value out of range 422, and the message names
the setting.

Only what these checks need is type-checked here; anything else malformed is left to
kg.lookup.reconcile, which says what the protocol wants.

Why threads: scoring is pure Python, so a large batch would hold the event loop and every
other request of the process (``/healthz`` included) until done. :func:`off_loop` runs it
in a thread, at most ``search_threads`` at a time per process, so the loop keeps answering.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from starlette.requests import Request

from kg.errors import HttpError
from kg.settings import Settings
from kg.web.context import context

T = TypeVar("T")
_WORD = re.compile(r"[^\W_]+")
#: mallopt(3) parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def give_back_large_blocks() -> None:
    """Have glibc return every freed block over 128 KiB to the system at once.

    Why: glibc raises its mmap threshold each time a large block is freed, up to 32 MiB, so
    after the first few megabyte-sized request bodies the next ones are carved from the
    heap, and a freed heap stays resident (a few 4 MB batches left a worker ~100 MB larger
    for good). A fixed threshold turns that adjustment off. No-op without glibc.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    mallopt(_M_TRIM_THRESHOLD, 128 * 1024)


def settings_of(request: Request) -> Settings:
    return context(request).settings


async def off_loop(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread, at most ``search_threads`` at once per process."""
    limiter = context(request).search_limiter
    return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=limiter)


def check_length(what: str, text: str, cap: int, setting: str = "max_query_chars") -> None:
    """413 when `text` has more than `cap` characters."""
    if len(text) > cap:
        raise HttpError(
            413, f"{what} is {len(text)} characters long; at most {cap} are accepted ({setting})"
        )


def check_text(what: str, text: str, limits: Settings, prefix: bool = False) -> int:
    """413 when `text` has more characters or words than a query (or a suggest prefix) may
    have; words are counted as the search reads them, after NFKC normalisation. Returns the
    number of words."""
    if prefix:
        check_length(what, text, limits.max_prefix_chars, "max_prefix_chars")
    else:
        check_length(what, text, limits.max_query_chars)
    words = len(_WORD.findall(unicodedata.normalize("NFKC", text)))
    if words > limits.max_query_words:
        raise HttpError(
            413,
            f"{what} has {words} words; at most {limits.max_query_words} are accepted "
            "(max_query_words)",
        )
    return words


def check_count(what: str, count: int, cap: int, setting: str) -> None:
    """413 when a request holds more of something than `cap`."""
    if count > cap:
        raise HttpError(413, f"{what}: {count}, at most {cap} are accepted ({setting})")


def check_limit(name: str, value: Any, limits: Settings) -> None:
    """A `limit` or `cursor` must be a finite number from 0 to ``max_limit``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return  # kg.lookup.reconcile says what a limit must be
    if isinstance(value, float) and not math.isfinite(value):
        raise HttpError(400, f"'{name}' must be a finite number (got {value})")
    if value < 0 or value > limits.max_limit:
        shown = str(value) if len(str(value)) <= 20 else str(value)[:20] + "..."
        raise HttpError(
            422, f"'{name}' must be from 0 to {limits.max_limit} (max_limit); got {shown}"
        )


def check_batch(batch: Any, limits: Settings) -> None:
    """Bounds of a reconciliation batch ``{"q0": {"query": ..., ...}, ...}``."""
    if not isinstance(batch, dict):
        return
    check_count("queries in the batch", len(batch), limits.max_batch, "max_batch")
    total = 0
    for key, q in batch.items():
        check_length("a query id", key, limits.max_query_chars)
        if isinstance(q, dict):
            total += _check_query(key, q, limits)
    check_count("words in the batch", total, limits.max_batch_words, "max_batch_words")


def _check_query(key: str, q: dict[str, Any], limits: Settings) -> int:
    """Check one query of a batch; the number of words of its text."""
    where = f"query {key!r}"
    text = q.get("query")
    words = check_text(f"the text of {where}", text, limits) if isinstance(text, str) else 0
    if "limit" in q:
        check_limit("limit", q["limit"], limits)
    kinds = q.get("type")
    if isinstance(kinds, list):
        check_count(f"types of {where}", len(kinds), limits.max_properties, "max_properties")
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind is not None and not isinstance(kind, str):
            raise HttpError(400, f"{where}: 'type' must be a type id or a list of type ids")
    constraints = q.get("properties")
    if not isinstance(constraints, list):
        return words
    check_count(
        f"property constraints of {where}",
        len(constraints),
        limits.max_properties,
        "max_properties",
    )
    for c in constraints:
        if not isinstance(c, dict):
            continue
        if "pid" in c and not isinstance(c["pid"], str):
            raise HttpError(400, f"{where}: a property's 'pid' must be a string")
        values = c.get("v")
        values = values if isinstance(values, list) else [values]
        check_count(
            f"values of a property of {where}", len(values), limits.max_properties, "max_properties"
        )
        for v in values:
            v = v.get("id") if isinstance(v, dict) else v
            if isinstance(v, str):
                check_text(f"a property value of {where}", v, limits)
    return words


def check_extend(request: Any, limits: Settings) -> Any:
    """Bounds of a data extension request; the request with duplicate properties (same id
    and settings) dropped, so each property is computed once."""
    if not isinstance(request, dict):
        return request
    ids, props = request.get("ids"), request.get("properties")
    if isinstance(ids, list):
        check_count("ids in the extend request", len(ids), limits.max_batch, "max_batch")
        for ref in ids:
            if isinstance(ref, str):
                check_length("an id", ref, limits.max_query_chars)
    if not isinstance(props, list):
        return request
    check_count(
        "properties in the extend request", len(props), limits.max_properties, "max_properties"
    )
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for p in props:
        key = _property_key(p)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(p)
    return {**request, "properties": unique}


def _property_key(p: Any) -> tuple[str, str | None] | None:
    """(id, lang) of a well-formed property request; None if kg.lookup.reconcile must judge it."""
    if not isinstance(p, dict) or not isinstance(p.get("id"), str):
        return None
    settings = p.get("settings")
    if settings is None or settings == {}:
        return p["id"], None
    if (
        isinstance(settings, dict)
        and set(settings) == {"lang"}
        and isinstance(settings["lang"], str)
    ):
        return p["id"], settings["lang"]
    return None
