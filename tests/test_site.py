"""`kg site`: the static export, served by a plain static file server on loopback, crawled
from its home page; compared with what `kg serve` renders; looked at in headless Chromium,
over HTTP and opened from disk; and its client-side search run in the browser.

The release is the second of the two versioned fixture releases (tests/versions_fixtures.py),
so the export holds both releases' files and a change log with entries.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from kg.errors import KgError
from kg.export.site import MARKER, StaticLinker, export_site, file_for, wants_gzip
from kg.web.routes import RDF_FORMATS, ROUTES, Mode, match

pytest_plugins = ["web_fixtures", "versions_fixtures"]

from versions_fixtures import BASE, V1, V2, Exported, Versioned  # noqa: E402

KG = Namespace("https://reg1042.example.org/def#")
#: Most URLs the crawl visits: far above the export's files, so a loop cannot run away.
CRAWL_LIMIT = 40_000
MEDIA = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}


class _Page(HTMLParser):
    """Links (a, link, script, img, form), element ids and alternates of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.alternates: list[dict[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src", "action"):
            if name in a and tag in ("a", "link", "script", "img", "form"):
                self.links.append(a[name])
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@dataclass
class Crawl:
    status: dict[str, int] = field(default_factory=dict)
    referrer: dict[str, str] = field(default_factory=dict)
    pages: dict[str, _Page] = field(default_factory=dict)
    fragments: list[tuple[str, str, str]] = field(default_factory=list)  # url, id, from
    seconds: float = 0.0
    truncated: bool = False


def crawl(base_url: str, start: str) -> Crawl:
    """Breadth-first from `start`, following every local href/src/action; HTML is parsed, any
    other file only fetched. At most CRAWL_LIMIT URLs."""
    result = Crawl()
    begin = time.perf_counter()
    queue = deque([urljoin(base_url, start)])
    result.referrer[queue[0]] = "(start)"
    with httpx.Client(timeout=30) as client:
        while queue:
            if len(result.status) >= CRAWL_LIMIT:
                result.truncated = True
                break
            url = queue.popleft()
            is_html = urlsplit(url).path.endswith(".html") or urlsplit(url).path.endswith("/")
            r = client.get(url) if is_html else client.head(url)
            result.status[url] = r.status_code
            if r.status_code != 200 or not r.headers.get("content-type", "").startswith(
                "text/html"
            ):
                continue
            page = parse(r.text)
            result.pages[url] = page
            for href in page.links:
                target = urljoin(url, href)
                if not target.startswith(base_url):
                    continue  # another site (a licence, an ISCO group, the vocabularies)
                parts = urlsplit(target)
                bare = parts._replace(query="", fragment="").geturl()
                if parts.fragment:
                    result.fragments.append((bare, unquote(parts.fragment), url))
                if bare not in result.referrer:
                    result.referrer[bare] = url
                    queue.append(bare)
    result.seconds = time.perf_counter() - begin
    return result


@pytest.fixture(scope="module")
def crawled(static_server: str) -> Crawl:
    result = crawl(static_server, "index.html")
    print(
        f"\ncrawl: {len(result.status)} URLs, {len(result.pages)} HTML pages, "
        f"{len(result.fragments)} links to anchors, in {result.seconds:.1f} s"
    )
    return result


def resource_iris(versioned: Versioned) -> dict[str, str]:
    """{site path: IRI} of every resource the release describes (read with rdflib)."""
    g = Graph().parse(versioned.dist / "register.nt", format="nt")
    for name in ("catalog.ttl", "void.ttl", "changes.ttl"):
        g.parse(versioned.dist / name, format="turtle")
    out = {}
    for s in set(g.subjects()):
        if not isinstance(s, URIRef):
            continue
        iri = str(s).split("#", 1)[0]
        if iri == "https://reg1042.example.org/def" or iri.startswith(BASE):
            path = "/" + iri.removeprefix(BASE)
            m = match(path)
            if m is not None and m.route.mode is Mode.RESOURCE:
                out[path] = iri
    return out


# ---------------------------------------------------------------------------- the crawl


def test_crawl_from_the_home_page_finds_no_broken_link(crawled: Crawl, static_server: str) -> None:
    assert not crawled.truncated, f"more than {CRAWL_LIMIT} URLs: a link loop?"
    broken = [(u, s, crawled.referrer[u]) for u, s in crawled.status.items() if s != 200]
    assert not broken, broken[:20]
    missing_anchors = [
        (u, frag, src)
        for u, frag, src in crawled.fragments
        if u in crawled.pages and frag not in crawled.pages[u].ids
    ]
    assert not missing_anchors, missing_anchors[:20]
    assert len(crawled.pages) > 1000


def test_every_resource_page_is_reached_with_all_its_twins(
    crawled: Crawl, static_server: str, versioned: Versioned
) -> None:
    paths = resource_iris(versioned)
    reached = {urlsplit(u).path for u in crawled.pages}
    unreached = sorted(p for p in paths if f"{p}.html" not in reached)
    assert not unreached, f"{len(unreached)} resource pages no link leads to: {unreached[:10]}"
    for path in paths:
        url = urljoin(static_server, f"{path.lstrip('/')}.html")
        alternates = {
            a["type"]: urljoin(url, a["href"]) for a in crawled.pages[url].alternates if "type" in a
        }
        for ext in RDF_FORMATS:
            twin = alternates.get(MEDIA[ext])
            assert twin == urljoin(static_server, f"{path.lstrip('/')}.{ext}"), (path, ext)
            assert crawled.status.get(twin) == 200, twin


def test_the_crawl_reaches_every_release_file_and_every_version(
    crawled: Crawl, static_server: str, versioned: Versioned
) -> None:
    for name in (p.name for p in versioned.dist.iterdir()):
        assert crawled.status.get(urljoin(static_server, f"downloads/{name}")) == 200, name
    for version in (V1, V2):
        for name in ("register.ttl", "register.nt", "SHA256SUMS"):
            url = urljoin(static_server, f"downloads/{version}/{name}")
            assert crawled.status.get(url) == 200, url


def test_twins_describe_their_resource(exported: Exported, versioned: Versioned) -> None:
    paths = resource_iris(versioned)
    sample = sorted(paths)[::60] + ["/position/A1-1.01", "/changes", "/dataset", "/def"]
    for path in sample:
        subject = URIRef(paths[path])
        for ext in RDF_FORMATS:
            data = (exported.out / f"{path.lstrip('/')}.{ext}").read_bytes()
            g = Graph().parse(data=data, format=RDFLIB_FORMAT[ext])
            assert (subject, None, None) in g, (path, ext)


def test_only_the_rules_and_the_marker_are_left_unlinked(
    crawled: Crawl, static_server: str, exported: Exported
) -> None:
    files = {p.relative_to(exported.out).as_posix() for p in exported.out.rglob("*") if p.is_file()}
    reached = {unquote(urlsplit(u).path).lstrip("/") for u in crawled.status}
    unreached = files - reached - {f for f in files if f.endswith(".gz") and f[:-3] in files}
    assert {".htaccess", "nginx.conf.snippet", MARKER} <= unreached
    rest = sorted(unreached - {".htaccess", "nginx.conf.snippet", MARKER})
    # the archived releases' non-data files are listed in their SHA256SUMS, not linked
    assert all(p.startswith(("downloads/1.", "static/")) for p in rest), rest[:20]


def test_text_files_have_reproducible_gzip_copies(exported: Exported) -> None:
    files = [p for p in exported.out.rglob("*") if p.is_file() and p.suffix != ".gz"]
    copies = 0
    for path in files:
        packed = path.with_name(path.name + ".gz")
        if wants_gzip(path.name, path.stat().st_size):
            data = packed.read_bytes()
            # no time stamp, no file name: equal inputs give equal bytes
            assert data[3] == 0 and data[4:8] == bytes(4), packed
            assert gzip.decompress(data) == path.read_bytes(), packed
            copies += 1
        else:
            assert not packed.exists(), packed
    assert copies > 1000
    assert (exported.out / "browse.html.gz").is_file()
    assert not (exported.out / "downloads/positions.xlsx.gz").exists()


def test_equal_files_are_stored_once(exported: Exported) -> None:
    """The latest release's files and its archived copy are one file, hard-linked."""
    for name in ("register.nt", "register.nt.gz", "positions.csv", "SHA256SUMS"):
        latest = exported.out / "downloads" / name
        archived = exported.out / "downloads" / V2 / name
        assert latest.read_bytes() == archived.read_bytes()
        assert latest.stat().st_ino == archived.stat().st_ino, name


# ---------------------------------------------------------------------------- same pages


class _Tokens(HTMLParser):
    """The <main> of a page as tokens; links as given, for the caller to map."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.tokens: list[tuple[Any, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        if self.depth:
            self.tokens.append(("<", tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.tokens.append((">", tag))
        if tag == "main":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if self.depth and text:
            self.tokens.append(("text", text))


def main_tokens(html: str, link: Any) -> list[tuple[Any, ...]]:
    parser = _Tokens()
    parser.feed(html)
    out = []
    for token in parser.tokens:
        if token[0] == "<":
            attrs = tuple(
                (k, link(v) if k in ("href", "src", "action") and v is not None else v)
                for k, v in token[2]
            )
            token = ("<", token[1], attrs)
        out.append(token)
    return out


@pytest.fixture(scope="module")
def served(launch: Any, versioned: Versioned) -> Any:
    return launch(versioned.dist.resolve(), ["--workers", "1", "--http-workers", "1"])


@pytest.mark.parametrize(
    "path",
    [
        "/browse",
        "/about",
        "/downloads/",
        "/changes.html",
        "/position/A1-1.01.html",
        "/position/B1-1.01.html",
        "/grade/C2.html",
        "/quote/position/A1-1.01/title.html",
        "/dataset.html",
        "/def.html",
    ],
)
def test_export_pages_are_the_servers_with_relative_links(
    served: Any, exported: Exported, path: str
) -> None:
    server_html = httpx.get(served.base_url + path, timeout=30).text
    file = file_for(path)
    assert file is not None
    export_html = (exported.out / file).read_text(encoding="utf-8")
    linker = StaticLinker(BASE)
    expected = main_tokens(server_html, lambda href: linker.url(href, path))
    assert main_tokens(export_html, lambda href: href) == expected
    assert len(expected) > 20


def test_json_twins_are_the_servers(served: Any, exported: Exported) -> None:
    for route in ROUTES:
        if route.mode is Mode.PAGE and route.twin:
            server = httpx.get(served.base_url + route.twin, timeout=30).json()
            exported_twin = json.loads((exported.out / route.twin.lstrip("/")).read_text())
            assert exported_twin == server, route.twin


def test_html_links_are_relative(exported: Exported) -> None:
    for path in ("index.html", "position/A1-1.01.html", "downloads/index.html", "search.html"):
        page = parse((exported.out / path).read_text(encoding="utf-8"))
        absolute = [h for h in page.links if h.startswith("/")]
        assert not absolute, (path, absolute[:5])
        assert not any(h.startswith(BASE) for h in page.links if "sparql" in h)
    # written by hand: a position's page links to its grade's file beside its own folder
    position = parse((exported.out / "position/A1-1.01.html").read_text(encoding="utf-8"))
    assert "../grade/A1-1.html" in position.links


@pytest.mark.parametrize(
    ("href", "here", "expected"),
    [
        ("/grade/A1-1", "/position/A1-1.01", "../grade/A1-1.html"),
        ("/", "/position/A1-1.01", "../index.html"),
        ("/position/A1-1.01.ttl", "/position/A1-1.01", "A1-1.01.ttl"),
        ("/browse", "/", "browse.html"),
        ("/en/position/A1-1.01", "/position/A1-1.01", "../en/position/A1-1.01.html"),
        ("/static/site.css", "/en/grade/A1-1", "../../static/site.css"),
        ("/search?q=x#r", "/", "search.html?q=x#r"),
        ("/sparql", "/position/A1-1.01", BASE + "sparql"),  # a service: no file, its URL
        ("https://example.org/a", "/", "https://example.org/a"),
        ("#main", "/", "#main"),
    ],
)
def test_static_links_by_hand(href: str, here: str, expected: str) -> None:
    """The export's linker on cases worked out by hand (relative file paths)."""
    assert StaticLinker(BASE).url(href, here) == expected


def test_a_second_export_replaces_the_first_but_not_a_foreign_folder(
    versioned: Versioned, exported: Exported, tmp_path: Path
) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(KgError, match="was not made by `kg site`"):
        export_site(versioned.dist.resolve(), foreign, BASE)
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert (exported.out / MARKER).is_file()


def test_one_process_writes_the_same_files_as_the_workers(
    versioned: Versioned, exported: Exported, tmp_path: Path
) -> None:
    """Rendering in worker processes changes no byte, and no file goes missing."""
    alone = export_site(versioned.dist.resolve(), tmp_path / "alone", BASE, workers=1)

    def digests(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*")
            if p.is_file()
        }

    assert alone.files == exported.files and alone.bytes == exported.bytes
    assert digests(alone.out) == digests(exported.out)


# ---------------------------------------------------------------------------- the browser


class _Visible(HTMLParser):
    """Visible text, and the list items of #everything in order with their `hidden` flag."""

    def __init__(self) -> None:
        super().__init__()
        #: Open elements: (tag, hidden, id).
        self.stack: list[tuple[str, bool, str]] = []
        self.text: list[str] = []
        self.h1: list[str] = []
        self.status: list[str] = []
        self.items: list[tuple[bool, list[str]]] = []

    def _within(self, element_id: str) -> int:
        """Depth of the open element with that id, else 0."""
        return next((i + 1 for i, e in enumerate(self.stack) if e[2] == element_id), 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "link", "input", "br", "img", "hr", "source", "wbr"):
            return
        a = dict(attrs)
        hidden = tag in ("script", "style", "head", "title") or "hidden" in a
        depth = self._within("everything")
        if depth and tag == "li" and len(self.stack) == depth:
            self.items.append(("hidden" in a, []))
        self.stack.append((tag, hidden, a.get("id") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(hidden for _, hidden, _ in self.stack):
            return
        self.text.append(data)
        if any(t == "h1" for t, _, _ in self.stack):
            self.h1.append(data)
        if self._within("search-status"):
            self.status.append(data)
        if self._within("everything") and self.items:
            self.items[-1][1].append(data)


def visible(dom: str) -> _Visible:
    v = _Visible()
    v.feed(dom)
    return v


def squash(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


def test_pages_in_chromium_over_http(browser: Any, static_server: str) -> None:
    home = visible(browser.dom(static_server + "index.html"))
    assert "Әлеуметтік қамсыздандыру саласының" in squash(home.h1)
    concept = visible(browser.dom(static_server + "en/position/A1-1.01.html"))
    assert squash(concept.h1) == "A1-1.01 ЗТМО басшысы"
    assert "What the law says" in squash(concept.text)
    changes = visible(browser.dom(static_server + "en/changes.html"))
    text = squash(changes.text)
    assert f"Release {V2}" in text and "Экспедитор-курьер" in text
    assert "This is the first release" in text


def test_pages_opened_from_disk_link_to_files_that_exist(browser: Any, exported: Exported) -> None:
    for path in ("index.html", "position/A1-1.01.html", "downloads/index.html", "about.html"):
        file = exported.out / path
        dom = browser.dom(file.as_uri())
        seen = visible(dom)
        assert squash(seen.h1), f"{path}: nothing rendered from disk"
        for href in parse(dom).links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("#"):
                continue  # another site, or an anchor of the page itself
            target = (file.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (path, href)


@pytest.mark.parametrize("where", ["http", "file"])
def test_client_side_search_in_chromium(
    browser: Any, static_server: str, exported: Exported, where: str
) -> None:
    base = static_server if where == "http" else exported.out.as_uri() + "/"
    # a title in two grades: one entry, its grades side by side, first
    seen = visible(
        browser.dom(
            base + "en/search.html?q=%D0%B1%D1%83%D1%85%D0%B3%D0%B0%D0%BB%D1%82%D0%B5%D1%80"
        )
    )
    shown = [squash(words) for hidden, words in seen.items if not hidden]
    assert len(seen.items) > 300 and 0 < len(shown) < 40, len(shown)
    assert shown[0].startswith("Бухгалтер Position"), shown[:3]
    assert "C2" in shown[0] and "C3" in shown[0]
    assert "Found for “бухгалтер”" in squash(seen.status)
    # Kazakh letters typed on a Russian keyboard, and a code with a Cyrillic look-alike letter
    nurse = visible(
        browser.dom(base + "search.html?q=%D0%BC%D0%B5%D0%B9%D0%B8%D1%80%D0%B3%D0%B5%D1%80")
    )
    first = next(squash(w) for hidden, w in nurse.items if not hidden)
    assert first.lower().startswith("мейіргер"), first
    code = visible(browser.dom(base + "search.html?q=%D0%922-1"))  # "В2-1", Cyrillic В
    codes = [squash(w) for hidden, w in code.items if not hidden]
    assert codes and all("B2-1" in c for c in codes[:5]), codes[:5]


def test_search_page_lists_everything_without_javascript(
    exported: Exported, versioned: Versioned
) -> None:
    html = (exported.out / "search.html").read_text(encoding="utf-8")
    seen = visible(html)  # the file as served: no script has run
    assert seen.items and not any(hidden for hidden, _ in seen.items)
    start = html.index('<script type="application/json" id="search-index">')
    index = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert len(index["entries"]) == len(seen.items)
    links = set(parse(html).links)
    g = Graph().parse(versioned.dist / "register.nt", format="nt")
    for position in g.subjects(RDF.type, KG.Position):
        href = "position/" + str(position).removeprefix(BASE + "position/") + ".html"
        assert href in links, href


def test_a_release_without_its_archive_is_refused(versioned: Versioned, tmp_path: Path) -> None:
    """The catalog links every release's versioned files; without the archive they would be
    broken links, so the export stops before writing anything."""
    alone = tmp_path / "release"
    shutil.copytree(versioned.dist.resolve(), alone)
    with pytest.raises(KgError, match=f"lists release\\(s\\) {V1}, {V2}, but the archive"):
        export_site(alone, tmp_path / "out", BASE)
    assert not (tmp_path / "out").exists()


def test_every_language_version_is_a_file_with_hreflang_links_to_files(
    exported: Exported,
) -> None:
    import re

    pages = ("index.html", "browse.html", "search.html", "position/A1-1.01.html", "changes.html")
    for lang in ("kk", "ru", "en"):
        for page in pages:
            file = exported.out / ("" if lang == "kk" else lang) / page
            html = file.read_text(encoding="utf-8")
            assert f'<html lang="{lang}">' in html, file
            found = dict(
                re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
            )
            assert set(found) == {"kk", "ru", "en", "x-default"}, file
            for code, href in found.items():
                assert not urlsplit(href).scheme, href  # relative: works from any path
                target = (file.parent / unquote(href)).resolve()
                assert target.is_file(), (file, href)
                want = "kk" if code == "x-default" else code
                assert f'<html lang="{want}">' in target.read_text(encoding="utf-8"), target
