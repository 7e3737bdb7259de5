"""`kg site OUTDIR`: the whole public face of a release as static files.

Why from the server's own parts: the pages must be the ones `kg serve` renders, so the export
walks the same route table (kg.web.routes) and asks the same document renderer
(kg.web.documents.Site) over the same page service (kg.web.pages), on an in-process store
(kg.query.local_store) instead of the query workers. Nothing here renders a page itself; it only
decides where each document goes and how links point at it (StaticLinker).

How routes become files (paths relative to OUTDIR; `here.html` is the document's own file):

- page (home, browse, downloads, about): its HTML at the path as a file, `/` -> `index.html`,
  `/browse` -> `browse.html`, `/downloads/` -> `downloads/index.html`; its JSON twin as is
  (`index.json`, `browse.json`, `downloads.json`).
- resource: every document beside each other, `/position/A1-1.01` -> `position/A1-1.01.html`,
  `.ttl`, `.nt`, `.jsonld`, `.rdf`. A link to the identifier points at its `.html`; the
  shipped web-server rules (kg.export.hosting) give the identifier its 303s.
- file: the release's files under `downloads/`, every archived release under
  `downloads/<version>/`, assets under `static/`.
- service: the search page (`/search` -> `search.html`) lists every entry and filters the list
  in the browser (site/static/search.js, with a JSON index in the page); the other services
  (SPARQL, reconciliation) are not part of a static site, and pages do not link them.

Every text file of 1 KB or more has a gzip copy beside it (`browse.html.gz`), which the rules
serve to clients that accept gzip; files with equal bytes (the latest release and its archived
copy) are hard links to one copy (_Writer).

Links in HTML are relative (`../browse.html`), so the folder works under any path on any
static host, and from disk. JSON twins keep site paths (`/position/A1-1.01`) as the server's
do: they are data, relative to the site's root.

The export is written into a fresh folder beside OUTDIR and swapped in at the end; an existing
OUTDIR is replaced only if an earlier `kg site` made it (it holds the marker file).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import multiprocessing
import os
import posixpath
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from kg.errors import KgError
from kg.export import hosting
from kg.lookup.search import (
    CODE_LOOKALIKE,
    DASHES,
    KAZAKH_FOLD,
    LATIN_IN_CYRILLIC,
    TYPE_ORDER,
    Hit,
    SearchIndex,
    fold,
    stem,
)
from kg.query.local_store import LocalRepository
from kg.rdf.terms import value
from kg.release.archive import archive_of_release
from kg.release.folder import verify_release
from kg.settings import DEFAULT_TEMPLATES as TEMPLATES_DIR
from kg.settings import STATIC_DIR
from kg.uris import Uris
from kg.web import i18n
from kg.web.documents import LOCALIZED_SERVICES, Site, resource_paths
from kg.web.pages import json_for_script
from kg.web.routes import ROUTES, Mode, Route, match

#: The file that marks a folder as made by `kg site` (so it may be replaced).
MARKER = ".kg-site"
SEARCH_TEMPLATE_BASE = "base.html"
DCAT = "http://www.w3.org/ns/dcat#"


# ---------------------------------------------------------------------------- where things go


def page_file(path: str) -> str:
    """The file of a page's HTML: `/` -> `index.html`, `/browse` -> `browse.html`."""
    path = path.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path + ".html"


def file_for(path: str) -> str | None:
    """The file (relative to the export, not percent-encoded) that holds the document at site
    path `path`, or None when the export has none (a service such as /sparql). A language
    version (`/ru/browse`) is the same file under the language's folder (`ru/browse.html`)."""
    lang, plain = i18n.split(path)
    if lang is not None:
        found = match(plain)
        if found is None or not _has_versions(found.route, found.ext):
            return None
        inner = file_for(plain)
        return f"{lang}/{inner}" if inner else None
    found = match(path)
    if found is None:
        return None
    route = found.route
    if route.mode is Mode.PAGE:
        if found.ext == "json" and route.twin:
            return route.twin.lstrip("/")
        return page_file(route.path())
    if route.mode is Mode.RESOURCE:
        return f"{route.path(**found.params).lstrip('/')}.{found.ext or 'html'}"
    if route.mode is Mode.FILE:
        return path.lstrip("/")
    if route.mode is Mode.SERVICE and route.template:
        return page_file(route.path())
    return None


def _has_versions(route: Route, ext: str | None) -> bool:
    """Documents with language versions: HTML pages, resources' HTML, the search page."""
    if route.mode is Mode.RESOURCE:
        return ext in (None, "html")
    return (route.mode is Mode.PAGE and ext is None) or (
        route.kind in LOCALIZED_SERVICES and route.template is not None
    )


class StaticLinker:
    """Links of the export: relative paths from the current document's file to the target's.

    A site path the export has no file for (a service) becomes its absolute URL under the
    base IRI; URLs and fragment-only links are left as they are.
    """

    def __init__(self, base_iri: str) -> None:
        self.base_iri = base_iri
        # Why memoised: every page links the same few hundred targets from a few dozen
        # folders, and each resolution matches routes and computes a relative path.
        self._files: dict[str, str | None] = {}
        self._urls: dict[tuple[str, str], str] = {}

    def _file(self, path: str) -> str | None:
        try:
            return self._files[path]
        except KeyError:
            found = self._files[path] = file_for(path)
            return found

    def url(self, href: str, here: str | None) -> str:
        if not href.startswith("/") or href.startswith("//"):
            return href
        start = posixpath.dirname(self._file(here) or "") if here else ""
        key = (href, start)
        found = self._urls.get(key)
        if found is None:
            found = self._urls[key] = self._resolve(href, start)
        return found

    def _resolve(self, href: str, start: str) -> str:
        parts = urlsplit(href)
        target = self._file(unquote(parts.path))
        suffix = (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else ""
        )
        if target is None:
            return self.base_iri + href.lstrip("/")
        return quote(relative_path(target, start), safe="/-._~") + suffix


def relative_path(target: str, start: str) -> str:
    """posixpath.relpath for the export's own paths (relative, normalised: no `.` or `..`),
    without its two abspath calls per link."""
    if not start:
        return target
    to, here = target.split("/"), start.split("/")
    common = 0
    while common < min(len(to), len(here)) and to[common] == here[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + to[common:]) or "."


# ---------------------------------------------------------------------------- the export


@dataclass
class SiteExport:
    """What `export_site` wrote."""

    out: Path
    files: int
    bytes: int
    html: int
    resources: int
    seconds: float
    #: Gzip copies among `files`, and bytes among `bytes` that are hard links to equal files.
    gzipped: int = 0
    linked: int = 0


def export_site(
    release_dir: Path,
    out: Path,
    base_iri: str,
    templates_dir: Path = TEMPLATES_DIR,
    static_dir: Path = STATIC_DIR,
    archive_dir: Path | None = None,
    prefix: str = "/",
    workers: int | None = None,
) -> SiteExport:
    """Write the static site of `release_dir` into `out` (replacing an earlier export).

    `workers`: processes that render the resources' documents (default: one per CPU this
    process may use; 1: none, all in this process). The files are the same either way."""
    started = time.perf_counter()
    release_dir = Path(release_dir)
    if not release_dir.is_dir():
        raise KgError(f"{release_dir}: no release folder here; build one with `kg build`")
    problems = verify_release(release_dir, required=("register.nt",))
    if problems:
        raise KgError(f"{release_dir} is not a sound release ({'; '.join(problems[:5])})")
    out = Path(out).absolute()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise KgError(f"{out} exists and was not made by `kg site`; give an empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    setup = _Setup(
        release_dir,
        base_iri,
        Path(templates_dir),
        Path(static_dir),
        archive_dir if archive_dir is not None else archive_of_release(release_dir),
    )
    try:
        writer = _Writer(staging)
        site = setup.site()
        _check_versions(site)
        resources = _resources(site, setup, writer, workers or _cpus())
        _search_page(site, release_dir, writer)
        _files(site, writer)
        writer.write(hosting.NGINX_SNIPPET, hosting.nginx_snippet(site.base_iri, prefix).encode())
        writer.write(hosting.HTACCESS, hosting.htaccess(site.base_iri).encode())
        writer.write(MARKER, b"made by `kg site`; the folder is replaced by the next export\n")
        staging.chmod(0o755)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SiteExport(
        out,
        writer.count,
        writer.size,
        writer.html,
        resources,
        time.perf_counter() - started,
        writer.gzipped,
        writer.linked,
    )


#: Extensions of the text files that get a gzip copy beside them (`FILE.gz`), which the rules
#: (kg.export.hosting) serve to clients that accept gzip: compressed once here, not per request.
GZIP_EXTENSIONS = frozenset(
    {"html", "json", "jsonld", "ttl", "nt", "rdf", "csv", "tsv", "atom", "js", "css", "svg", "xml"}
)
#: Smaller files are sent as they are (a gzip header and a round trip cost more than they save).
GZIP_MIN_BYTES = 1024


def gzip_copy(data: bytes) -> bytes:
    """`data` gzipped reproducibly: no time stamp, no file name, so equal inputs give equal
    bytes (and equal exports)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def wants_gzip(name: str, size: int) -> bool:
    return size >= GZIP_MIN_BYTES and name.rsplit(".", 1)[-1] in GZIP_EXTENSIONS and "." in name


class _Writer:
    """Writes files under the staging folder; two documents for one file is a bug.

    Why hard links: the latest release's files are also an archived release's, and equal
    files are common (the catalog twin and its download); a file whose bytes were written
    already is linked to the first copy, so every URL stays a plain file (any static host,
    and from disk) while the bytes are stored once. Copy the folder with links kept
    (`rsync -H`, `cp -a`, tar) to keep the saving.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()
        self.count = self.size = self.html = self.gzipped = self.linked = 0
        self._first: dict[bytes, Path] = {}
        self._gzip_of: dict[bytes, bytes] = {}

    def _target(self, name: str) -> Path:
        if name in self.written:
            raise KgError(f"two documents of the export map to the file {name}")
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise KgError(f"refusing to write {name!r} outside the export")
        self.written.add(name)
        path = self.root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _store(self, name: str, data: bytes, digest: bytes) -> None:
        target = self._target(name)
        first = self._first.get(digest)
        if first is None:
            target.write_bytes(data)
            self._first[digest] = target
        else:
            os.link(first, target)
            self.linked += len(data)
        self.count += 1
        self.size += len(data)

    def write(self, name: str, data: bytes, compressed: bytes | None = None) -> None:
        """`name` holds `data`, and `name.gz` its gzip copy when it is text of some size
        (`compressed`: that copy, when the caller made it already)."""
        digest = hashlib.sha256(data).digest()
        self._store(name, data, digest)
        self.html += name.endswith(".html")
        if wants_gzip(name, len(data)):
            packed = self._gzip_of.get(digest)
            if packed is None:
                packed = self._gzip_of[digest] = (
                    compressed if compressed is not None else gzip_copy(data)
                )
            self._store(name + ".gz", packed, hashlib.sha256(packed).digest())
            self.gzipped += 1

    def copy(self, name: str, source: Path) -> None:
        self.write(name, source.read_bytes())


async def _pages(site: Site, writer: _Writer) -> None:
    """Every page (home, browse, downloads, about) in every language, and its JSON twin."""
    for route in ROUTES:
        if route.mode is Mode.PAGE:
            for fmt in route.formats:
                for lang in i18n.LANGUAGES if fmt == "html" else (i18n.DEFAULT,):
                    doc = await site.page(route, fmt, lang)
                    path = i18n.prefixed(route.document_path(fmt), lang)
                    writer.write(file_for(path) or "", doc.body)


@dataclass(frozen=True)
class _Setup:
    """What a Site of the export is made from (picklable, for the worker processes)."""

    release_dir: Path
    base_iri: str
    templates_dir: Path
    static_dir: Path
    archive_dir: Path | None

    def site(self) -> Site:
        return Site(
            LocalRepository.from_release(self.release_dir),
            self.release_dir,
            self.base_iri,
            self.templates_dir,
            self.static_dir,
            cache_bytes=0,
            linker=StaticLinker(Uris(self.base_iri).base),
            sparql=None,
            archive_dir=self.archive_dir,
        )


#: Resources a worker renders per task: small enough to share the work evenly.
CHUNK = 32
#: A resource to render: its route's index in ROUTES and its parameters.
_Item = tuple[int, dict[str, str]]
#: A file to write: its name, its bytes and its gzip copy (if it gets one).
_File = tuple[str, bytes, bytes | None]
_worker_site: Site | None = None


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _resources(site: Site, setup: _Setup, writer: _Writer, workers: int) -> int:
    """The pages (here) and every resource's documents (in `workers` processes, each with
    its own store and Site, when more than one); the files are written here, in path order,
    so the export is the same whatever the number of workers. Returns the number of
    resources."""
    items = [(ROUTES.index(route), params) for route, params in resource_paths(site)]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    if workers <= 1 or len(chunks) <= 1:
        asyncio.run(_pages(site, writer))
        for chunk in chunks:
            for name, body, packed in asyncio.run(_resource_files(site, chunk)):
                writer.write(name, body, packed)
        return len(items)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(
        min(workers, len(chunks)), context, initializer=_start_worker, initargs=(setup,)
    ) as pool:
        done = pool.map(_render_chunk, chunks)
        asyncio.run(_pages(site, writer))  # while the workers render
        for files in done:
            for name, body, packed in files:
                writer.write(name, body, packed)
    return len(items)


def _start_worker(setup: _Setup) -> None:
    global _worker_site
    _worker_site = setup.site()


def _render_chunk(chunk: list[_Item]) -> list[_File]:
    assert _worker_site is not None
    return asyncio.run(_resource_files(_worker_site, chunk))


async def _resource_files(site: Site, chunk: list[_Item]) -> list[_File]:
    """The documents of the resources of `chunk` (HTML in every language, every RDF twin),
    each with its gzip copy: rendered and compressed where the worker runs."""
    files: list[_File] = []
    for index, params in chunk:
        route = ROUTES[index]
        wanted = [
            (fmt, lang)
            for fmt in route.formats
            for lang in (i18n.LANGUAGES if fmt == "html" else (i18n.DEFAULT,))
        ]
        docs = await site.resource_documents(route, params, wanted)
        for fmt, lang in wanted:
            found = docs.get((fmt, lang))
            if found is None:
                raise KgError(f"{route.document_path(fmt, **params)}: the release lacks it")
            name = i18n.prefixed(route.document_path(fmt, **params), lang).lstrip("/")
            body = found.body
            files.append((name, body, gzip_copy(body) if wants_gzip(name, len(body)) else None))
    return files


def _check_versions(site: Site) -> None:
    """Refuse to export links to versioned files the archive does not hold: the catalog
    (and so the catalog's page) lists every release's `/downloads/<version>/` URLs."""
    catalog = site.pages.publication.get("catalog", [])
    versions = {value(t.subject) for t in catalog if t.predicate.value == DCAT + "isVersionOf"}
    listed = {
        value(t.object)
        for t in catalog
        if value(t.subject) in versions and t.predicate.value == DCAT + "version"
    }
    missing = sorted(listed - set(site.archive))
    if missing:
        raise KgError(
            f"the catalog lists release(s) {', '.join(missing)}, but the archive beside "
            f"{site.release_dir} does not hold them (kg.release.archive): export the release from the "
            "folder `kg build` wrote, with its releases/ beside it"
        )


def _files(site: Site, writer: _Writer) -> None:
    """The release's files, every archived release's, and the static assets."""
    for name in sorted(site.files):
        found = site.download(name)
        assert found is not None
        writer.copy(f"downloads/{name}", found[0])
    for version in sorted(site.archive):
        for name in site.archive[version].files:
            found = site.archived(version, name)
            assert found is not None
            writer.copy(f"downloads/{version}/{name}", found[0])
    for name, doc in sorted(site.static.items()):
        writer.write(f"static/{name}", doc.body)


# ---------------------------------------------------------------------------- search


def search_index(index: SearchIndex) -> tuple[list[Any], dict[str, Any]]:
    """Every entry of the search page (groups, as the server's results) and the JSON index the
    script filters them with: per group its folded title, words, stems and codes, and the
    folding tables of kg.lookup.search, so the browser folds a query as the server does."""
    rank = {t: i for i, t in enumerate(TYPE_ORDER)}
    hits = [Hit(e, 0.0, "") for e in index.entities if e.type in rank]
    groups = index.group(hits)
    groups.sort(key=lambda g: (rank[g.type], min(h.entity.order for h in g.hits)))
    entries = []
    for g in groups:
        words: set[str] = set()
        codes: set[str] = set()
        for h in g.hits:
            for text in index.texts(h.entity):
                words.update(fold(text).split())
            if h.entity.notation:
                codes.add(h.entity.notation)
            if h.entity.grade_notation:
                codes.add(h.entity.grade_notation)
        title = fold(g.title)
        entries.append(
            {
                "k": title,
                "n": max(1, len(title.split())),
                "y": g.type,
                "w": sorted(words),
                "s": sorted({stem(w) for w in words} - words),
                "c": sorted(codes),
            }
        )

    def table(t: dict[int, Any]) -> dict[str, str]:
        return {chr(k): v for k, v in sorted(t.items())}

    data = {
        "kazakh": table(KAZAKH_FOLD),
        "latin": table(LATIN_IN_CYRILLIC),
        "lookalike": table(CODE_LOOKALIKE),
        "dashes": table(DASHES),
        "entries": entries,
    }
    return groups, data


def _search_page(site: Site, release_dir: Path, writer: _Writer) -> None:
    """The stand-in of /search: search.html of the server, listing every entry, with the
    index and the script that filters it (no server, so no results page to ask for)."""
    route = next(r for r in ROUTES if r.mode is Mode.SERVICE and r.template)
    index = SearchIndex.from_release(release_dir, Uris(site.base_iri))
    groups, data = search_index(index)
    present = {e.type for e in index.entities}
    listing = json_for_script(data)
    for lang in i18n.LANGUAGES:
        body = site.render(
            route.template or "search.html",
            lang=lang,
            base_template=SEARCH_TEMPLATE_BASE,
            root="",
            q="",
            types=[],
            all_types=[(t, index.type_name(t, lang)) for t in TYPE_ORDER if t in present],
            type_names={t: index.type_name(t, lang) for t in TYPE_ORDER},
            groups=groups,
            total=len(groups),
            limit=len(groups),
            alternates=[],
            isco_codes=lambda e: list(dict.fromkeys(g.code for _, _, g in index.isco_codes(e))),
            listing=listing,
            self_href=route.pattern,
        )
        writer.write(file_for(i18n.prefixed(route.pattern, lang)) or "", body)


def _swap(staging: Path, out: Path) -> None:
    """Put the new export in place of the old one (if any)."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
