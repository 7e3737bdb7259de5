"""Helpers shared by the hostile-input tests: raw HTTP requests and an HTML checker.

Why raw requests: httpx normalises paths (``..``, percent escapes) and refuses URLs over
64 KiB, and those are exactly the requests an attacker sends.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from dataclasses import dataclass, field
from html.parser import HTMLParser


def raw_request(
    base: str, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """Send `target` byte for byte; (status, body), or (599, "") if nothing came back."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = "\r\n".join(lines) + "\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request.encode("latin-1"))
        data = b""
        while len(data) < 4_000_000:  # Connection: close, so the server ends the stream
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return 599, ""
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass
class PageScan(HTMLParser):
    """What in a page could run script: script elements, handlers, javascript: URLs."""

    scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)
    script_urls: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    _open: tuple[str, dict[str, str | None]] | None = None
    _text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                scripted = re.match(r"\s*(?:javascript|vbscript|data):", value, re.IGNORECASE)
                if scripted and not (tag == "img" and value.startswith("data:image/")):
                    self.script_urls.append(f"<{tag} {name}={value!r}>")
                if name == "href" and tag == "a":
                    self.links.append(value)
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs))
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.styles.append(text)
            self._open = None


def scan(html: str) -> PageScan:
    page = PageScan()
    page.feed(html)
    page.close()
    return page
