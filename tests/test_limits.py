"""Limits on what one request or one client may ask, against real servers on loopback.

Request heads (size, field count, time to arrive), request bodies (declared and streamed),
idle connections, the Host header (never reflected; refused when a public URL is set),
pages answered while /sparql is hammered, and the per-client /sparql rate limit. Raw sockets
are used where a client library would refuse to send the request or would hide how the
server ended the connection. Every wait has a bound, so a regression fails instead of hanging.
"""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from conftest import RunningServer

#: Short timeouts for the server that tests them (seconds).
HEADER_TIMEOUT = 1.0
KEEP_ALIVE_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
SEND_TIMEOUT = 1.0
#: How much later than its timeout a connection may close and still pass.
SLACK = 2.0
PUBLIC_URL = "https://reg1042.example.test"


@pytest.fixture(scope="module")
def quick(launch: Callable[..., RunningServer], fixture_release: Path) -> RunningServer:
    """Short head and keep-alive timeouts, and a small /sparql rate with untrusted proxies."""
    args = ["--workers", "1", "--http-workers", "1", "--header-timeout", str(HEADER_TIMEOUT)]
    args += ["--keep-alive-timeout", str(KEEP_ALIVE_TIMEOUT), "--sparql-rate", "0.5"]
    args += ["--body-timeout", str(BODY_TIMEOUT), "--send-timeout", str(SEND_TIMEOUT)]
    args += ["--sparql-burst", "3"]
    return launch(fixture_release, args)


@pytest.fixture(scope="module")
def public(launch: Callable[..., RunningServer], fixture_release: Path) -> RunningServer:
    """A public URL, and a proxy on 127.0.0.1 whose X-Forwarded-For is believed."""
    args = ["--workers", "1", "--http-workers", "1", "--public-url", PUBLIC_URL]
    args += ["--trusted-proxy", "127.0.0.1", "--sparql-rate", "0.5", "--sparql-burst", "3"]
    return launch(fixture_release, args)


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def _status(data: bytes) -> int:
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split(b" ", 2)[1])


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took;
    fails if it is still open after `limit` seconds."""
    started = time.monotonic()
    data = b""
    sock.settimeout(limit)
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except TimeoutError:
            pytest.fail(f"the server kept the connection open for {limit} s; got {data[:200]!r}")
        if not chunk:
            break
        data += chunk
        sock.settimeout(max(0.01, limit - (time.monotonic() - started)))
    return data, time.monotonic() - started


def answer_while_sending(sock: socket.socket, chunks: Any, limit: float) -> tuple[bytes, int]:
    """Send `chunks` until the server answers; (the answer, bytes sent)."""
    sent = 0
    deadline = time.monotonic() + limit
    for chunk in chunks:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
        assert time.monotonic() < deadline, "the server never answered while the body streamed"
    data, _ = read_until_closed(sock, limit)
    return data, sent


# ---------------------------------------------------------------------------- bodies


@pytest.mark.parametrize("path", ["/reconcile", "/sparql", "/api/search", "/position/A1-1.01"])
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    server: RunningServer, path: str
) -> None:
    """Only the head goes out, announcing 400 MB: the 413 comes at once, on every route."""
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nContent-Length: 400000000\r\n\r\n".encode("ascii")
        )
        data, took = read_until_closed(sock, 5)
    assert _status(data) == 413, data[:300]
    assert b"limit of 4194304 bytes" in data
    assert took < 2


def test_a_streamed_body_over_the_limit_is_refused_while_it_streams(server: RunningServer) -> None:
    """A chunked body has no length to check first: the server counts while it reads, and
    answers 413 long before the client would have finished (it never finishes here)."""
    chunk = b"10000\r\n" + b"q" * 0x10000 + b"\r\n"
    endless = (chunk for _ in range(10_000))  # 640 MB if nobody stopped it
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(
            b"POST /reconcile HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
            b"urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        data, sent = answer_while_sending(sock, endless, 30)
    assert _status(data) == 413, data[:300]
    assert sent < 64 * 1024 * 1024, f"{sent} bytes were taken before the refusal"


def test_a_body_that_drips_is_refused_at_the_body_timeout(quick: RunningServer) -> None:
    """A slow POST: the head is quick, then a byte of body every 0.3 s."""
    with socket.create_connection(_address(quick), timeout=10) as sock:
        sock.sendall(
            b"POST /reconcile HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
            b"urlencoded\r\nContent-Length: 1000\r\n\r\nqueries="
        )
        data, _ = answer_while_sending(sock, (time.sleep(0.3) or b"x" for _ in range(100)), 30)
    assert _status(data) == 408, data[:300]


def test_a_body_nobody_reads_cannot_hold_the_connection(quick: RunningServer) -> None:
    """A page answers without reading the body; dripping the rest of it afterwards does not
    keep the connection open past the keep-alive timeout."""
    with socket.create_connection(_address(quick), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        time.sleep(0.2)
        assert _status(sock.recv(65536)) == 200
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < KEEP_ALIVE_TIMEOUT + SLACK:
            try:
                sock.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if select.select([sock], [], [], 0.3)[0]:
                try:
                    closed = sock.recv(1) == b""
                except ConnectionResetError:
                    closed = True
    assert closed, "dripping an unread body kept the connection open"


# ---------------------------------------------------------------------------- heads


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8_000_000,
        b"GET / HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: " % i + b"a" * 9999 + b"\r\n" for i in range(50)),
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(100_000)),
    ],
    ids=["8 MB header", "many long fields", "100k header fields"],
)
def test_oversized_heads_are_refused_with_431(server: RunningServer, head: bytes) -> None:
    """None of these heads ever ends, so the answer must come while it is still arriving."""
    pieces = (head[i : i + 65536] for i in range(0, len(head), 65536))
    with socket.create_connection(_address(server), timeout=10) as sock:
        data, _ = answer_while_sending(sock, pieces, 30)
    assert _status(data) == 431, data[:300]
    assert b"connection: close" in data.lower()


def test_huge_trailer_fields_are_refused(server: RunningServer) -> None:
    """Trailer fields after a chunked body are header fields too, bounded the same way: the
    server stops reading long before 64 MB of one trailer field have gone out."""
    head = b"POST /reconcile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    pieces = itertools.chain(
        [head + b"1\r\na\r\n0\r\nX-Trailer: "], itertools.repeat(b"t" * 65536, 1024)
    )
    with socket.create_connection(_address(server), timeout=10) as sock:
        data, sent = answer_while_sending(sock, pieces, 30)
    assert data == b"" or 400 <= _status(data) < 500, data[:300]
    assert sent < 32 * 1024 * 1024, f"{sent} bytes of trailer were taken"
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200


def test_a_request_target_over_64_kib_is_414(server: RunningServer) -> None:
    """httptools cannot parse a longer one; the client is told to POST instead."""
    head = b"GET /search?q=" + b"a" * 1_000_000
    pieces = (head[i : i + 65536] for i in range(0, len(head), 65536))
    with socket.create_connection(_address(server), timeout=10) as sock:
        data, _ = answer_while_sending(sock, pieces, 30)
    assert _status(data) == 414 and b"POST" in data, data[:300]


def test_a_head_of_many_short_fields_is_refused_past_the_count(server: RunningServer) -> None:
    """101 fields of a few bytes each: small, but past the field count."""
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(100))
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(head + b"\r\n")
        data, _ = read_until_closed(sock, 5)
    assert _status(data) == 431 and b"more than 100 header fields" in data


def test_a_head_under_the_limits_is_answered(server: RunningServer) -> None:
    """The limits leave room: 99 fields and a request line of 60 KB are served."""
    query = quote("ASK { ?s ?p ?o } #" + "é" * 10_000)
    fields = "".join(f"X-{i}: 1\r\n" for i in range(97))
    head = f"GET /sparql?query={query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{fields}\r\n"
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(head.encode("ascii"))
        data, _ = read_until_closed(sock, 30)
    assert _status(data) == 200, data[:300]


# ---------------------------------------------------------------------------- slow clients


def test_slowloris_connections_are_closed_after_the_header_timeout(quick: RunningServer) -> None:
    """Twenty clients that send a byte of head every 0.3 s (they would never finish) are all
    cut off at the header timeout, and the server goes on answering others."""
    socks = [socket.create_connection(_address(quick), timeout=10) for _ in range(20)]
    try:
        started = time.monotonic()
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        open_socks = list(socks)
        closed_at: list[float] = []
        while open_socks and time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            for s in list(open_socks):
                try:
                    s.sendall(b"X")
                except (BrokenPipeError, ConnectionResetError):
                    closed_at.append(time.monotonic() - started)
                    open_socks.remove(s)
                    continue
                readable, _, _ = select.select([s], [], [], 0)
                if readable:
                    data, _ = read_until_closed(s, 1)
                    assert data == b"" or _status(data) == 408, data[:200]
                    closed_at.append(time.monotonic() - started)
                    open_socks.remove(s)
            time.sleep(0.3)
        assert not open_socks, f"{len(open_socks)} slow connections are still open"
        assert max(closed_at) < HEADER_TIMEOUT + SLACK
        assert httpx.get(f"{quick.base_url}/healthz", timeout=5).status_code == 200
    finally:
        for s in socks:
            s.close()


def test_a_connection_that_sends_nothing_is_closed(quick: RunningServer) -> None:
    with socket.create_connection(_address(quick), timeout=10) as sock:
        data, took = read_until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert data == b""
    assert took > HEADER_TIMEOUT - 0.2


def test_an_idle_kept_alive_connection_is_closed(quick: RunningServer) -> None:
    """After an answer, a kept-alive connection that stays quiet is closed at the keep-alive
    timeout; one that starts a new head but never ends it, at the header timeout."""
    with socket.create_connection(_address(quick), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        first = sock.recv(65536)
        assert _status(first) == 200 and b"connection: close" not in first.lower()
        data, took = read_until_closed(sock, KEEP_ALIVE_TIMEOUT + SLACK)
    assert data == b"" and took > KEEP_ALIVE_TIMEOUT - 0.5
    with socket.create_connection(_address(quick), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        assert _status(sock.recv(65536)) == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        data, took = read_until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert _status(data) == 408, data[:200]


def test_a_client_that_stops_reading_is_cut_off(quick: RunningServer) -> None:
    """A slow read: the client asks for about 38 MB (far more than socket buffers hold) and
    reads none of it. The server drops the connection after the send timeout instead of
    holding the answer for it."""
    literal = "w" * 4000
    query = f'SELECT ?s ?k (CONCAT(STR(?o), "{literal}") AS ?x) WHERE {{ ?s ?p ?o VALUES ?k {{ 1 2 3 4 5 }} }} LIMIT 9000'
    target = "/sparql?" + urlencode({"query": query, "format": "xml"})
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    with sock:
        sock.connect(_address(quick))
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii"))
        time.sleep(SEND_TIMEOUT + SLACK + 1)  # the answer is written and nobody reads it
        received = 0
        sock.settimeout(5)
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except ConnectionResetError:
            pass
    assert received < 9000 * 4000, f"all {received} bytes came: the server waited for us"
    assert httpx.get(f"{quick.base_url}/healthz", timeout=5).status_code == 200


# ---------------------------------------------------------------------------- Host


EVIL = {"Host": "evil.example"}


def test_the_host_header_is_never_reflected(server: RunningServer, http: httpx.Client) -> None:
    """Without a public URL, absolute links name the address the client connected to."""
    own = server.base_url
    described = http.get("/sparql", headers={**EVIL, "Accept": "text/turtle"})
    assert described.status_code == 200
    assert f"<{own}/sparql>" in described.text
    manifest = http.get("/reconcile", headers=EVIL)
    assert manifest.json()["preview"]["url"].startswith(f"{own}/reconcile/preview")
    ids = [c["id"] for c in http.get("/reconcile", params={"queries": '{"q":{"query":"ЗТМО"}}'}).json()["q"]["result"]]  # fmt: skip
    preview = http.get("/reconcile/preview", params={"id": ids[0]}, headers=EVIL)
    assert preview.status_code == 200
    redirect = http.get("/downloads", headers=EVIL, follow_redirects=False)
    assert redirect.status_code in (301, 307, 308)
    assert redirect.headers["location"] == f"{own}/downloads/"
    for r in (described, manifest, preview, redirect):
        assert "evil.example" not in r.text and "evil.example" not in str(r.headers)
    # nor the host of an absolute-form request target
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(
            b"GET http://evil.example/downloads HTTP/1.1\r\nHost: evil.example\r\n"
            b"Connection: close\r\n\r\n"
        )
        data, _ = read_until_closed(sock, 10)
    assert _status(data) in (301, 307, 308) and b"evil.example" not in data, data[:300]


def test_with_a_public_url_links_name_it_and_other_hosts_are_refused(
    public: RunningServer,
) -> None:
    host = PUBLIC_URL.removeprefix("https://")
    with httpx.Client(base_url=public.base_url, timeout=30, follow_redirects=False) as c:
        refused = c.get("/reconcile", headers=EVIL)
        assert refused.status_code == 400 and "evil.example" not in refused.text
        assert c.get("/sparql", headers=EVIL).status_code == 400
        assert c.get("/downloads", headers=EVIL).status_code == 400
        assert c.get("/reconcile").status_code == 400  # 127.0.0.1:port is not the public host
        ok = c.get("/reconcile", headers={"Host": host})
        assert ok.status_code == 200
        assert ok.json()["preview"]["url"].startswith(f"{PUBLIC_URL}/reconcile/preview")
        described = c.get("/sparql", headers={"Host": f"{host}:443", "Accept": "text/turtle"})
        assert f"<{PUBLIC_URL}/sparql>" in described.text
        redirect = c.get("/downloads", headers={"Host": host})
        assert redirect.headers["location"] == f"{PUBLIC_URL}/downloads/"
        # a load balancer's health check names the replica, not the public host
        assert c.get("/healthz", headers=EVIL).status_code == 200
    with socket.create_connection(_address(public), timeout=10) as sock:
        sock.sendall(
            f"GET / HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode()
        )
        data, _ = read_until_closed(sock, 10)
    assert _status(data) == 400


# ---------------------------------------------------------------------------- SPARQL load


#: Runs into the 2 s time limit of `pages_server`, holding a query worker all that time.
PATH_QUERY = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ ?a (<urn:p>|!<urn:p>)* ?b . ?b (<urn:p>|!<urn:p>)* ?c }} # {}"
)


@pytest.fixture(scope="module")
def pages_server(launch: Callable[..., RunningServer], fixture_release: Path) -> RunningServer:
    """Two query workers for anything and one kept for pages; no response cache, so every
    page really needs a worker."""
    args = ["--workers", "2", "--page-workers", "1", "--http-workers", "1"]
    args += ["--time-limit", "2", "--cache-bytes", "0"]
    return launch(fixture_release, args)


def test_pages_answer_promptly_while_clients_hammer_sparql(pages_server: RunningServer) -> None:
    stop = threading.Event()
    statuses: list[int] = []

    def hammer() -> None:
        with httpx.Client(timeout=30) as c:
            while not stop.is_set():
                query = PATH_QUERY.format(uuid.uuid4())
                statuses.append(c.get(pages_server.endpoint, params={"query": query}).status_code)

    clients = [threading.Thread(target=hammer) for _ in range(4)]
    for t in clients:
        t.start()
    try:
        time.sleep(1.0)  # every /sparql worker is busy, and more queries wait
        health = httpx.get(f"{pages_server.base_url}/healthz", timeout=5).json()
        assert health["idle_workers"] == 0, health
        with httpx.Client(base_url=pages_server.base_url, timeout=30) as c:
            for code in ("A1-1.01", "A1-1.02", "A1-2.01", "A1-2.02", "A1-3.01", "A1-3.02"):
                started = time.monotonic()
                r = c.get(f"/position/{code}.html")
                took = time.monotonic() - started
                assert r.status_code == 200, r.text[:300]
                assert took < 1.0, f"a page took {took:.2f} s while /sparql was hammered"
    finally:
        stop.set()
        for t in clients:
            t.join(30)
    assert statuses and set(statuses) <= {200, 503}, statuses


# ---------------------------------------------------------------------------- rate limit


def test_sparql_has_a_per_client_rate_limit(quick: RunningServer) -> None:
    """Burst 3 at 0.5 per second: the fourth query in a row is 429 with Retry-After; other
    paths are not limited; X-Forwarded-For from an untrusted peer changes nothing."""
    with httpx.Client(base_url=quick.base_url, timeout=30) as c:
        answers = [
            c.get("/sparql", params={"query": "ASK {}"}, headers={"X-Forwarded-For": f"10.0.0.{i}"})
            for i in range(5)
        ]
        statuses = [r.status_code for r in answers]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
        limited = answers[-1]
        assert 1 <= int(limited.headers["retry-after"]) <= 2
        assert "too many SPARQL requests" in limited.text
        assert limited.headers["cache-control"] == "no-store"
        assert c.get("/position/A1-1.01.html").status_code == 200


def test_a_trusted_proxy_names_the_client(public: RunningServer) -> None:
    """Behind a configured proxy each X-Forwarded-For address has a bucket of its own."""
    host = PUBLIC_URL.removeprefix("https://")
    with httpx.Client(base_url=public.base_url, timeout=30) as c:

        def ask(client: str) -> int:
            headers = {"Host": host, "X-Forwarded-For": client}
            return c.get("/sparql", params={"query": "ASK {}"}, headers=headers).status_code

        assert [ask("192.0.2.1") for _ in range(4)] == [200, 200, 200, 429]
        assert ask("192.0.2.2") == 200
        assert ask("2001:db8::1") == 200
        assert [ask("2001:db8::2") for _ in range(3)] == [200, 200, 429]  # the same /64


def test_the_rate_limiter_keeps_a_bounded_number_of_clients() -> None:
    """Many addresses never grow it past its bound; a forgotten client starts again full."""
    from kg.web.limits import TokenBuckets

    buckets = TokenBuckets(rate=1.0, burst=2, max_clients=100)
    for i in range(10_000):
        buckets.take(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", now=0.0)
    assert len(buckets) == 100
    assert [buckets.take("192.0.2.9", now=0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert buckets.take("192.0.2.9", now=0.5) == 0.5  # half a token refilled meanwhile
    assert buckets.key("2001:db8::1") == buckets.key("2001:db8::ffff") == "2001:db8::/64"
    assert buckets.key("::ffff:192.0.2.1") == "192.0.2.1"
