"""Response headers that limit what a browser does with our pages, and the last-resort 500.

Why a pure ASGI middleware rather than Starlette's BaseHTTPMiddleware: it only touches the
``http.response.start`` message, so it adds no task, no body copy and almost no time to the
SPARQL endpoint's cached answers (which bench/sparql.py measures in tens of microseconds).

Content-Security-Policy on HTML: nothing loads from other origins, no plugin, no <base>, and
forms only post back here. Inline ``<style>``/``<script>`` blocks are allowed only by their
SHA-256 hash, computed at start-up from the templates' *static* blocks: a block that contains
Jinja syntax could carry user text, so it gets no hash and the browser refuses it (the test
``tests/test_hostile_html.py`` fails on such a block). Pages may not be framed (clickjacking),
except the reconciliation preview, which OpenRefine shows in an iframe of its own origin.
Every other response (JSON, RDF, CSV, errors) gets ``default-src 'none'``: opened in a
browser it can run nothing.

Errors: an exception nobody expected becomes a generic 500 page or text with an incident id;
the traceback goes to the log with the same id, never to the client. A client that hangs up
mid-body is not an incident.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: Paths whose HTML may be shown in a frame on any origin (W3C Reconciliation previews).
EMBEDDABLE_PATHS = ("/reconcile/preview",)

_INLINE_BLOCK = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_JINJA = ("{{", "{%", "{#")

#: Headers on every response.
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
_NOT_HTML_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def is_data_block(attrs: str) -> bool:
    """Whether a <script>'s attributes make it a data block (e.g. JSON-LD), which never runs."""
    m = re.search(r"""\btype\s*=\s*["']?([^"'\s>]+)""", attrs, re.IGNORECASE)
    if not m:
        return False
    kind = m.group(1).lower()
    return kind != "module" and "javascript" not in kind and "ecmascript" not in kind


def inline_hashes(templates_dir: Path) -> tuple[list[str], list[str]]:
    """CSP hash sources of the static inline scripts and styles of every template."""
    scripts: set[str] = set()
    styles: set[str] = set()
    for path in sorted(Path(templates_dir).rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in _INLINE_BLOCK.finditer(text):
            kind, attrs, body = m.group(1).lower(), m.group(2) or "", m.group(3)
            if kind == "script" and ("src=" in attrs.lower() or is_data_block(attrs)):
                continue  # external scripts load from 'self'; data blocks never run
            if any(marker in body for marker in _JINJA):
                log.warning("%s: an inline <%s> with template syntax gets no CSP hash", path, kind)
                continue
            (scripts if kind == "script" else styles).add(_sha256_source(body))
    return sorted(scripts), sorted(styles)


def html_policy(script_hashes: Iterable[str], style_hashes: Iterable[str], framable: bool) -> str:
    """The Content-Security-Policy of an HTML page."""
    script = " ".join(["'self'", *script_hashes])
    style = " ".join(["'self'", *style_hashes])
    ancestors = "*" if framable else "'none'"
    return (
        f"default-src 'none'; script-src {script}; style-src {style}; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"object-src 'none'; frame-ancestors {ancestors}"
    )


class SecurityHeaders:
    """ASGI middleware: security headers on every HTTP response (existing ones are kept)."""

    def __init__(self, app: ASGIApp, templates_dir: Path | str) -> None:
        self.app = app
        scripts, styles = inline_hashes(Path(templates_dir))
        self.html_csp = html_policy(scripts, styles, framable=False).encode("ascii")
        self.framable_csp = html_policy(scripts, styles, framable=True).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(path, list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        is_html = content_type.lower().startswith(b"text/html")
        framable = is_html and path in EMBEDDABLE_PATHS
        extra = list(_COMMON)
        if is_html:
            extra.append(
                (b"content-security-policy", self.framable_csp if framable else self.html_csp)
            )
            if not framable:
                extra.append((b"x-frame-options", b"DENY"))
        else:
            extra.append((b"content-security-policy", _NOT_HTML_CSP))
        headers.extend((n, v) for n, v in extra if n not in present)
        return headers


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Server error</title></head>
<body><h1>Something went wrong on our side</h1>
<p>The request could not be answered. It has been logged as incident {incident};
please try again later, and quote this number if you report it.</p></body></html>
"""


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Catch-all handler: log the traceback with an incident id; tell the client only the id.

    A client that hangs up before its body is read is no incident of ours: it is noted at
    debug level and answered 400 (which nobody reads)."""
    if isinstance(exc, ClientDisconnect):
        log.debug("client closed the connection during %s %s", request.method, request.url.path)
        return PlainTextResponse("the request body was not complete\n", status_code=400)
    incident = secrets.token_hex(6)
    log.error(
        "incident %s: unhandled %s on %s %s",
        incident,
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    headers = {"Cache-Control": "no-store"}
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_PAGE.format(incident=incident), status_code=500, headers=headers)
    return PlainTextResponse(
        f"internal server error (incident {incident})\n", status_code=500, headers=headers
    )


class CatchAll:
    """ASGI middleware: an exception below it becomes `unexpected_error`'s answer.

    Starlette's own ServerErrorMiddleware also calls the registered handler, but then re-raises
    so the server logs the traceback a second time; here it is logged once, with the incident.
    If the response had already started there is nothing to replace it with: the exception
    propagates and the server drops the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await unexpected_error(Request(scope), exc)
            await response(scope, receive, send)
