"""uvicorn's httptools protocol with limits on the request head and how long it may take.

Why a subclass: uvicorn bounds neither the size nor the number of header fields with
httptools (``h11_max_incomplete_event_size`` is for h11 only), and its keep-alive timer only
starts after a first response, so a client that connects and says nothing, or sends its head a
byte at a time (slowloris), holds a connection for as long as it likes. Here:

- the request head (request line and header fields) may be at most ``max_header_bytes``,
  counted on the bytes as they arrive, so a 200 MB header is refused after its first
  ``max_header_bytes`` without ever being buffered; more than ``max_header_count`` fields is
  refused too. Both answer 431 and close; a request target longer than httptools can parse
  (64 KiB) is 414 rather than its generic 400. What follows the head and is not body (chunk
  sizes and extensions, trailer fields, which httptools would buffer whole) has the same
  byte limit;
- a head must be complete ``header_timeout`` seconds after the connection opened (first
  request) or after its first byte arrived (later requests on a kept-alive connection); else
  the connection is closed with 408;
- a client that stops reading its answer (the send buffer stays full, a "slow read") is cut
  off after ``send_timeout`` seconds without progress.

Refusing while the client still sends would reset the connection before it reads the answer,
so after a refusal the rest of the input is read and dropped for at most ``LINGER_SECONDS``
(as nginx's lingering close does) before the socket is closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

import kg.web.replay
from kg.web.limits import RATE_WAIT_KEY

#: Seconds a refused connection's remaining input is read and dropped before closing.
LINGER_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Bounds on one connection: plain values, so uvicorn can pickle them to workers."""

    max_header_bytes: int = 128 * 1024
    max_header_count: int = 100
    header_timeout: float = 10.0
    send_timeout: float = 30.0


#: Longest request target httptools can parse (``parse_url``); longer is 414.
MAX_URL_BYTES = 65535


class _TooManyHeaders(Exception):
    pass


class _UrlTooLong(Exception):
    pass


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses oversized heads and closes slow ones (see module doc)."""

    def __init__(self, *args: Any, limits: ConnectionLimits | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits or ConnectionLimits()
        self._in_head = True  # waiting for (the rest of) a request head
        self._head_bytes = 0
        self._framing_bytes = 0  # after the head: bytes fed that were not body
        self._header_count = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._replayed = False

    # -------------------------------------------------------------- connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()  # a new connection must send its head in time, or go

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: read and drop
        if self._in_head:
            # a new request: the idle timer stops. Not for the rest of a body nobody read
            # after its answer went out, which may not keep the connection open forever.
            self._unset_keepalive_if_required()
        while data:
            if self._in_head:
                room = self.limits.max_header_bytes - self._head_bytes
                if room <= 0:
                    self._refuse(431, "the request head is larger than the limit of "
                                 f"{self.limits.max_header_bytes} bytes")  # fmt: skip
                    return
                piece, data = data[:room], data[room:]
                self._head_bytes += len(piece)
            else:
                piece, data = data, b""
                self._framing_bytes += len(piece)  # on_body takes the body's share back
            if not self._feed(piece):
                return
            if self._framing_bytes > self.limits.max_header_bytes:
                self._refuse(
                    431,
                    "chunk framing and trailer fields are larger than the limit of "
                    f"{self.limits.max_header_bytes} bytes",
                )
                return

    def _feed(self, data: bytes) -> bool:
        """Feed the parser; False once the connection is being refused or closed."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            if isinstance(e.__context__, _TooManyHeaders):
                self._refuse(431, f"more than {self.limits.max_header_count} header fields")
            elif isinstance(e.__context__, _UrlTooLong):
                self._refuse(
                    414,
                    f"the request target is longer than {MAX_URL_BYTES} bytes; send long "
                    "queries in the body of a POST",
                )
            else:
                self._refuse(400, "invalid HTTP request")
            return False
        except httptools.HttpParserUpgrade:  # as uvicorn does: the request goes on as usual
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return False
        except httptools.HttpParserError:
            self._refuse(400, "invalid HTTP request")
            return False
        return not self.transport.is_closing()

    # -------------------------------------------------------------- parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > MAX_URL_BYTES:
            raise _UrlTooLong
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_header_count:
            raise _TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._framing_bytes = 0
        self._disarm_head_timer()
        if self._replay():
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._framing_bytes -= len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._replayed:  # answered in on_headers_complete: there is no cycle to tell
            self._replayed = False
        else:
            super().on_message_complete()
        self._in_head = True  # what comes next is the head of another request
        self._head_bytes = 0

    # -------------------------------------------------------------- replayed answers

    def _replay(self) -> bool:
        """Answer this request here, before uvicorn builds a request cycle, if kg.web.replay
        can: with a kept answer, or a bounded query's fresh answer in a kept head. True if sent.

        Only the plain case: a GET over HTTP/1.1 keep-alive, nothing pipelined before it. The
        rest (and a client over its rate, which gets its 429 from the app) goes on as usual.
        """
        replay = kg.web.replay.ACTIVE
        if (
            replay is None
            or self.pipeline
            or not (self.cycle is None or self.cycle.response_complete)
        ):
            return False
        parser = self.parser
        if parser.get_method() != b"GET" or parser.get_http_version() != "1.1":
            return False
        if not parser.should_keep_alive():
            return False
        url = httptools.parse_url(self.url)
        if url.path != replay.raw_path:
            return False
        key = kg.web.replay.key_of(url.query or b"", self.headers)
        if key is None:
            return False
        answer = replay.answers.get(key)
        if answer is None and replay.answer_bounded is None:
            return False
        if replay.buckets is not None:  # one token per request, whoever answers it
            wait = replay.buckets.take_client(self.client)
            self.scope[RATE_WAIT_KEY] = wait  # type: ignore[literal-required]
            if wait > 0:
                return False
        if answer is None:
            answer = replay.answer_now(key)
            if answer is None:
                return False
        status, headers, body = answer
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            content += (name, b": ", value, b"\r\n")
        content += (b"\r\n", body)
        self.transport.write(b"".join(content))
        self._replayed = True
        self.on_response_complete()
        return True

    # -------------------------------------------------------------- slow readers

    def pause_writing(self) -> None:
        """The client reads slower than we write: it gets `send_timeout` s to catch up."""
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.limits.send_timeout, self._send_stuck)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _send_stuck(self) -> None:
        self._send_timer = None
        self.transport.abort()  # close() would wait for the client to read the buffer

    # -------------------------------------------------------------- timers and refusals

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_bytes == 0 and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()  # nothing asked: just hang up
            return
        self._refuse(
            408, f"the request head did not arrive within {self.limits.header_timeout:g} s"
        )

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with `message`, stop parsing, and close after a short linger."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._disarm_head_timer()
        self._unset_keepalive_if_required()
        if self.cycle is not None and not self.cycle.response_complete:
            # a response is under way on this connection: it cannot be interleaved with ours
            self.cycle.keep_alive = False
            self.transport.close()
            return
        body = (message + "\n").encode("utf-8")
        head = [STATUS_LINE[status]]
        head += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client reads the answer, then end of stream
            self.loop.call_later(LINGER_SECONDS, self._close_now)
        else:
            self.transport.close()

    def _close_now(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
