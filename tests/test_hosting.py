"""The web-server rules a static export ships (kg/export/hosting.py): generated from the route table,
they must cover every entry; and run by real nginx and Apache on loopback over the export,
they must answer like `kg serve` (303 and its target, Vary, Link alternates, 400, 406, 404,
the documents' bytes).

nginx and Apache are Debian packages (scripts/install-webservers; `make test` installs them);
without them the live tests skip and the structural ones still run.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PORT_TRIES, free_port, port_was_taken

from kg.export.hosting import HTACCESS, NGINX_SNIPPET, htaccess, identifier_regex, nginx_snippet
from kg.web.routes import FORMATS, ROUTES, Mode

pytest_plugins = ["web_fixtures", "versions_fixtures"]

from versions_fixtures import BASE, V1, Exported, Versioned  # noqa: E402

#: The servers: KG_NGINX, KG_APACHE, else on PATH, else where Debian installs them (sbin is
#: not on every user's PATH).
NGINX = os.environ.get("KG_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = (
    os.environ.get("KG_APACHE")
    or shutil.which("apache2")
    or shutil.which("httpd")
    or "/usr/sbin/apache2"
)
#: Apache's module folder: KG_APACHE_MODULES, else Debian's.
APACHE_MODULES = Path(os.environ.get("KG_APACHE_MODULES") or "/usr/lib/apache2/modules")
#: A guard against a hung server, not a measure.
START_TIMEOUT = 30
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# ---------------------------------------------------------------------------- structure


@pytest.mark.parametrize("kind", ["nginx", "apache"])
def test_every_route_of_the_table_has_its_rules(kind: str) -> None:
    text = nginx_snippet(BASE) if kind == "nginx" else htaccess(BASE)
    for route in ROUTES:
        if route.mode is Mode.RESOURCE:
            assert identifier_regex(route) in text, (kind, route.pattern)
            for fmt in route.formats:
                assert FORMATS[fmt].media_type in text, (kind, fmt)
        elif route.mode is Mode.PAGE:
            path = route.pattern.lstrip("/")
            assert path.rstrip("/") in text and (route.twin or "").lstrip("/") in text
        elif route.mode is Mode.FILE:
            assert route.pattern.lstrip("/").split("{", 1)[0] in text
        else:
            assert f"# {route.kind}" in text or f"{route.kind}:" in text, (kind, route.kind)
    assert "303" in text and "406" in text and "400" in text and "Vary" in text


#: Lines each generated file must hold, written by hand from what the server does: /browse is
#: the page browse.html, a Turtle document is text/turtle, an identifier answers 303 to its
#: document or 406, and Apache must not guess files by content negotiation of its own.
NGINX_LINES = [
    "location = /browse {",
    "    try_files /browse.html =404;",
    "types { application/atom+xml atom; text/css css; text/csv csv; text/html html; "
    "image/x-icon ico; text/javascript js; application/json json; application/ld+json jsonld; "
    "application/n-triples nt; image/png png; application/rdf+xml rdf; text/plain sha256; "
    "image/svg+xml svg; text/tab-separated-values tsv; text/turtle ttl; text/plain txt; "
    "application/zip zip; }",
    '    if ($http_accept ~* "text/turtle") {',
    "    return 303 /$kg_lang$kg_id.$kg_ext;",
    "        return 406;",
    "gzip_static on;",
]
APACHE_LINES = [
    "Options -MultiViews",
    "DirectoryIndex index.html",
    "AddType text/turtle .ttl",
    "AddType application/ld+json .jsonld",
    "RewriteRule ^browse$ browse.html [L]",
    'RewriteCond %{HTTP:Accept} "text/turtle" [NC]',
    "RewriteRule ^(def)$ %{ENV:KG_BASE}$1.ttl [R=303,L,E=KG_VARY:1]",
    "RewriteRule ^(def)$ - [R=406,L,E=KG_VARY:1]",
    "AddEncoding gzip .gz",
    "RewriteCond %{REQUEST_FILENAME}.gz -f",
    "RewriteRule ^(.*)$ $1.gz [L]",
]


@pytest.mark.parametrize("kind", ["nginx", "apache"])
def test_the_rules_hold_hand_written_lines(kind: str) -> None:
    text = nginx_snippet(BASE) if kind == "nginx" else htaccess(BASE)
    lines = set(text.splitlines())
    missing = [
        line for line in (NGINX_LINES if kind == "nginx" else APACHE_LINES) if line not in lines
    ]
    assert not missing, missing


def test_the_export_ships_the_rules(exported: Exported) -> None:
    assert (exported.out / NGINX_SNIPPET).read_text() == nginx_snippet(BASE)
    assert (exported.out / HTACCESS).read_text() == htaccess(BASE)
    # and not only equal to what the generator makes now: lines written by hand
    assert set(NGINX_LINES) <= set((exported.out / NGINX_SNIPPET).read_text().splitlines())
    assert set(APACHE_LINES) <= set((exported.out / HTACCESS).read_text().splitlines())


# ---------------------------------------------------------------------------- live servers


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"did not start:\n{log.read_text(errors='replace') if log.exists() else ''}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def readable_copy(exported: Exported) -> Iterator[Path]:
    """The export in a folder any user may read (Apache refuses to serve as root, and its
    workers cannot enter pytest's private temporary folders)."""
    top = Path(tempfile.mkdtemp(prefix="kg-site-"))
    top.chmod(0o755)
    shutil.copytree(exported.out, top / "site")
    yield top / "site"
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx(readable_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(NGINX).is_file():
        assert os.environ.get("KG_REQUIRE_WEBSERVERS") != "1", "nginx is not installed"
        pytest.skip("nginx is not installed (scripts/install-webservers)")
    work = tmp_path_factory.mktemp("nginx")
    for attempt in range(1, PORT_TRIES + 1):
        process, url = _start_nginx(readable_copy, work)
        try:
            _wait(url + "/", process, work / "error.log")
        except RuntimeError:
            _stop(process)
            if attempt < PORT_TRIES and port_was_taken(work / "error.log", work / "stderr.log"):
                continue  # the free port was taken before nginx bound it: another
            raise
        try:
            yield url
        finally:
            _stop(process)
        return


def _start_nginx(readable_copy: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{k}_temp_path {work / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'};\nevents {{ worker_connections 64; }}\n"
        f"http {{\n  access_log off;\n  {temp}\n  server {{\n"
        f"    listen 127.0.0.1:{port};\n    root {readable_copy};\n"
        f"    include {readable_copy / NGINX_SNIPPET};\n  }}\n}}\n"
    )
    check = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(work)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    with open(work / "stderr.log", "wb") as err:
        process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL, stderr=err
        )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def apache(readable_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(APACHE).is_file():
        assert os.environ.get("KG_REQUIRE_WEBSERVERS") != "1", "Apache is not installed"
        pytest.skip("Apache is not installed (scripts/install-webservers)")
    work = Path(tempfile.mkdtemp(prefix="kg-apache-"))
    work.chmod(0o755)
    try:
        for attempt in range(1, PORT_TRIES + 1):
            process, url = _start_apache(readable_copy, work)
            try:
                _wait(url + "/", process, work / "error.log")
            except RuntimeError:
                _stop(process)
                if attempt < PORT_TRIES and port_was_taken(work / "error.log", work / "stderr.log"):
                    continue  # the free port was taken before Apache bound it: another
                raise
            try:
                yield url
            finally:
                _stop(process)
            return
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _start_apache(readable_copy: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    modules = [
        "mpm_event",
        "authz_core",
        "unixd",
        "dir",
        "mime",
        "rewrite",
        "headers",
        "setenvif",
        "env",
        "filter",
        "deflate",
    ]
    loads = "".join(
        f"LoadModule {m}_module {APACHE_MODULES / f'mod_{m}.so'}\n"
        for m in modules
        if (APACHE_MODULES / f"mod_{m}.so").is_file()
    )
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    conf = work / "httpd.conf"
    conf.write_text(
        f"{loads}{user}ServerRoot {work}\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n"
        f"PidFile {work / 'httpd.pid'}\nErrorLog {work / 'error.log'}\n"
        f"Mutex file:{work} default\nTypesConfig /dev/null\nDocumentRoot {readable_copy}\n"
        f"<Directory {readable_copy}>\n  AllowOverride All\n  Require all granted\n</Directory>\n"
    )
    with open(work / "stderr.log", "wb") as err:
        process = subprocess.Popen(
            [APACHE, "-X", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=err
        )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def served(launch: Any, versioned: Versioned) -> Any:
    return launch(versioned.dist.resolve(), ["--workers", "1", "--http-workers", "1"])


def links(header: str | None) -> set[tuple[str, str]]:
    """(target, rel; type) of each Link value, targets as paths or IRIs."""
    out = set()
    for value in (header or "").split(","):
        if not value.strip():
            continue
        target, _, params = value.strip().partition(">")
        out.add((target.lstrip("<"), "".join(params.split())))
    return out


def answer(
    client: httpx.Client, path: str, accept: str | None, language: str | None = None
) -> dict[str, Any]:
    headers = {"Accept": accept} if accept is not None else {}
    if language is not None:
        headers["Accept-Language"] = language
    r = client.get(path, headers=headers)
    location = r.headers.get("location")
    status = r.status_code
    return {
        "status": status,
        "location": httpx.URL(location).path if location else None,
        # the server says Vary on its answers that depend on Accept; CORS on what it serves
        "vary": {v.strip() for v in r.headers.get("vary", "").lower().split(",")}
        & {"accept", "accept-language"}
        if status in (303, 406)
        else None,
        "links": links(r.headers.get("link")) if status == 200 else None,
        "cors": r.headers.get("access-control-allow-origin") if status in (200, 303) else None,
    }


#: (path, Accept): identifiers by every way of asking, documents, pages and files.
REQUESTS = [
    ("/position/A1-1.01", None),
    ("/position/A1-1.01", "*/*"),
    ("/position/A1-1.01", BROWSER_ACCEPT),
    ("/position/A1-1.01", "text/turtle"),
    ("/position/A1-1.01", "application/n-triples"),
    ("/position/A1-1.01", "application/ld+json"),
    ("/position/A1-1.01", "application/json"),
    ("/position/A1-1.01", "application/rdf+xml"),
    ("/position/A1-1.01", "application/ld+json;q=0.9, text/turtle"),
    ("/position/A1-1.01", "image/png"),
    ("/position/A1-1.01?_format=ttl", BROWSER_ACCEPT),
    ("/position/A1-1.01?_format=text%2Fturtle", None),
    ("/position/A1-1.01?_format=jsonld", "text/turtle"),
    ("/position/A1-1.01?_format=nonsense", None),
    ("/position/Z9-9.99", "text/turtle"),
    ("/quote/position/A1-1.01/title", "text/turtle"),
    ("/act/order-2015-1042", None),
    ("/act/order-2015-1042-consolidated/kaz", "application/rdf+xml"),
    ("/def", "text/turtle"),
    ("/changes", None),
    ("/register", "application/ld+json"),
    ("/position/A1-1.01.ttl", None),
    ("/position/A1-1.01.html", None),
    ("/def.jsonld", None),
    ("/changes.nt", None),
    ("/browse", None),
    ("/browse.json", None),
    ("/downloads/", None),
    ("/about", None),
    ("/", None),
]


@pytest.mark.slow  # nginx and Apache, started by name through request.getfixturevalue
@pytest.mark.parametrize("web_server", ["nginx", "apache"])
def test_rules_answer_like_kg_serve(
    request: pytest.FixtureRequest, served: Any, web_server: str
) -> None:
    static_url = request.getfixturevalue(web_server)
    differ = []
    with (
        httpx.Client(base_url=served.base_url, timeout=30) as kg,
        httpx.Client(base_url=static_url, timeout=30) as static,
    ):
        for path, accept in REQUESTS:
            expected, got = answer(kg, path, accept), answer(static, path, accept)
            if expected != got:
                differ.append((path, accept, expected, got))
    assert not differ, "\n".join(map(str, differ))


#: (path, Accept, Accept-Language): an identifier's HTML goes to the language asked for.
LANGUAGE_REQUESTS = [
    ("/position/A1-1.01", BROWSER_ACCEPT, "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"),
    ("/position/A1-1.01", BROWSER_ACCEPT, "en-GB,en;q=0.9"),
    ("/position/A1-1.01", BROWSER_ACCEPT, "kk-KZ,kk;q=0.9,ru;q=0.8"),
    ("/position/A1-1.01", BROWSER_ACCEPT, "de-DE,de;q=0.9,ru;q=0.5"),
    ("/position/A1-1.01", BROWSER_ACCEPT, "fr"),
    ("/position/A1-1.01", None, "ru"),
    ("/position/A1-1.01?_format=html", "text/turtle", "en"),
    ("/position/A1-1.01", "text/turtle", "ru"),
    ("/grade/A1-1-1", "*/*", "en"),
    ("/def", BROWSER_ACCEPT, "ru"),
]
#: Language versions of pages: each answers in its language on the static host too.
LANGUAGE_PAGES = ["/ru/", "/en/browse", "/ru/about", "/en/downloads/", "/ru/search", "/en/def.html"]


@pytest.mark.slow  # nginx and Apache, started by name through request.getfixturevalue
@pytest.mark.parametrize("web_server", ["nginx", "apache"])
def test_rules_send_the_language_asked_for(
    request: pytest.FixtureRequest, served: Any, web_server: str
) -> None:
    static_url = request.getfixturevalue(web_server)
    differ = []
    with (
        httpx.Client(base_url=served.base_url, timeout=30) as kg,
        httpx.Client(base_url=static_url, timeout=30) as static,
    ):
        for path, accept, language in LANGUAGE_REQUESTS:
            expected = answer(kg, path, accept, language)
            got = answer(static, path, accept, language)
            if expected != got:
                differ.append((path, accept, language, expected, got))
        assert answer(kg, *LANGUAGE_REQUESTS[0])["location"] == "/ru/position/A1-1.01.html"
        for path in LANGUAGE_PAGES:
            r = static.get(path)
            lang = path.split("/")[1]
            assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, path
    assert not differ, "\n".join(map(str, differ))


@pytest.mark.slow  # nginx and Apache, started by name through request.getfixturevalue
@pytest.mark.parametrize("web_server", ["nginx", "apache"])
def test_rules_compress_text(request: pytest.FixtureRequest, web_server: str) -> None:
    static_url = request.getfixturevalue(web_server)
    for path in ("/browse", "/ru/browse", "/position/A1-1.01.ttl", "/static/site.css"):
        plain = httpx.get(static_url + path, headers={"Accept-Encoding": "identity"}, timeout=30)
        with httpx.stream(
            "GET", static_url + path, headers={"Accept-Encoding": "gzip"}, timeout=30
        ) as r:
            raw = b"".join(r.iter_raw())
            assert r.headers.get("content-encoding") == "gzip", path
            assert "accept-encoding" in r.headers.get("vary", "").lower(), path
        assert "content-encoding" not in plain.headers
        assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content), path


#: (path, file of the export, media type): answered from FILE.gz to a client that accepts gzip.
GZIPPED = [
    ("/", "index.html", "text/html"),
    ("/browse", "browse.html", "text/html"),
    ("/ru/browse", "ru/browse.html", "text/html"),
    ("/en/position/A1-1.01.html", "en/position/A1-1.01.html", "text/html"),
    ("/browse.json", "browse.json", "application/json"),
    ("/position/A1-1.01.ttl", "position/A1-1.01.ttl", "text/turtle"),
    ("/position/A1-1.01.nt", "position/A1-1.01.nt", "application/n-triples"),
    ("/position/A1-1.01.jsonld", "position/A1-1.01.jsonld", "application/ld+json"),
    ("/position/A1-1.01.rdf", "position/A1-1.01.rdf", "application/rdf+xml"),
    ("/downloads/positions.csv", "downloads/positions.csv", "text/csv"),
    (f"/downloads/{V1}/register.nt", f"downloads/{V1}/register.nt", "application/n-triples"),
    ("/static/site.css", "static/site.css", "text/css"),
]


@pytest.mark.slow  # nginx and Apache, started by name through request.getfixturevalue
@pytest.mark.parametrize("web_server", ["nginx", "apache"])
def test_rules_serve_the_gzip_copies(
    request: pytest.FixtureRequest, readable_copy: Path, web_server: str
) -> None:
    static_url = request.getfixturevalue(web_server)
    for path, name, media in GZIPPED:
        with httpx.stream(
            "GET", static_url + path, headers={"Accept-Encoding": "gzip"}, timeout=30
        ) as packed:
            raw = b"".join(packed.iter_raw())
        plain = httpx.get(static_url + path, headers={"Accept-Encoding": "identity"}, timeout=30)
        assert packed.status_code == plain.status_code == 200, path
        assert raw == (readable_copy / f"{name}.gz").read_bytes(), path
        assert packed.headers.get("content-encoding") == "gzip", path
        assert "accept-encoding" in packed.headers.get("vary", "").lower(), path
        assert plain.content == (readable_copy / name).read_bytes(), path
        assert "content-encoding" not in plain.headers, path
        assert packed.headers["content-type"].split(";")[0] == media, path
        assert packed.headers["content-type"] == plain.headers["content-type"], path
        assert packed.headers.get("link") == plain.headers.get("link"), path


@pytest.mark.slow  # nginx and Apache, started by name through request.getfixturevalue
@pytest.mark.parametrize("web_server", ["nginx", "apache"])
def test_documents_and_files_are_the_servers_bytes(
    request: pytest.FixtureRequest, served: Any, web_server: str
) -> None:
    static_url = request.getfixturevalue(web_server)
    for path, media in (
        ("/position/A1-1.01.ttl", "text/turtle"),
        ("/position/A1-1.01.jsonld", "application/ld+json"),
        ("/changes.rdf", "application/rdf+xml"),
        ("/def.nt", "application/n-triples"),
        ("/browse.json", "application/json"),
        ("/downloads/register.nt", "application/n-triples"),
        (f"/downloads/{V1}/register.ttl", "text/turtle"),
        ("/downloads/changes.atom", "application/atom+xml"),
    ):
        ours = httpx.get(served.base_url + path, timeout=30)
        theirs = httpx.get(static_url + path, timeout=30)
        assert theirs.status_code == 200 and theirs.content == ours.content, path
        assert theirs.headers["content-type"].split(";")[0] == media, path
    search = httpx.get(static_url + "/search?q=x", timeout=30)
    assert search.status_code == 200 and 'id="search-index"' in search.text
