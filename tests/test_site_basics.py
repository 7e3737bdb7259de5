"""Site basics on the real server: favicon, robots.txt, sitemap.xml with hreflang, gzip,
notations in any case, the SPARQL page's one-line errors and local result links."""

from __future__ import annotations

import gzip
import random
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kg.curate.register import load_register
from kg.curate.source import load_source
from kg.errors import CuratedDataError

pytest_plugins = ["web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_favicon_is_linked_and_served(web: httpx.Client) -> None:
    html = web.get("/").text
    start = html.index('rel="icon"')
    href = html[start : html.index(">", start)].split('href="', 1)[1].split('"', 1)[0]
    r = web.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")


def test_robots_points_at_the_sitemap(web: httpx.Client) -> None:
    r = web.get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert "User-agent: *" in lines and "Disallow: /sparql" in lines
    sitemap = next(line.split(" ", 1)[1] for line in lines if line.startswith("Sitemap: "))
    assert urlsplit(sitemap).path == "/sitemap.xml"


def test_sitemap_lists_every_language_version(web: httpx.Client) -> None:
    r = web.get("/sitemap.xml")
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    urls = root.findall(f"{SITEMAP}url")
    locs = [urlsplit(u.findtext(f"{SITEMAP}loc") or "").path for u in urls]
    assert len(locs) == len(set(locs)) and len(locs) < 50_000
    assert {"/", "/ru/", "/en/", "/position/A1-1.01.html", "/ru/position/A1-1.01.html"} <= set(locs)
    for u in urls:
        langs = {a.get("hreflang") for a in u.findall(f"{XHTML}link")}
        assert langs == {"kk", "ru", "en", "x-default"}
    # a sample of the listed pages and their alternates answer 200
    rng = random.Random(1042)
    for u in rng.sample(urls, 12):
        for a in u.findall(f"{XHTML}link"):
            path = urlsplit(a.get("href") or "").path
            assert web.get(path, headers={"Accept": "text/html"}).status_code == 200, path


def test_text_is_gzipped_when_accepted(web: httpx.Client) -> None:
    plain = web.get("/browse", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with httpx.stream(
        "GET", str(web.base_url) + "/browse", headers={"Accept-Encoding": "gzip"}
    ) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in r.headers["vary"].lower()
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 4


def test_notation_in_any_case_redirects_to_the_canonical_one(web: httpx.Client) -> None:
    for asked, canonical in (
        ("/position/b2-1-h.01", "/position/B2-1-H.01"),
        ("/position/b2-1-h.01.html", "/position/B2-1-H.01.html"),
        ("/ru/grade/a1-1-1.html", "/ru/grade/A1-1-1.html"),
        ("/tier/b2.ttl", "/tier/B2.ttl"),
    ):
        r = web.get(asked)
        assert r.status_code == 301 and r.headers["location"] == canonical, asked
    assert web.get("/position/zz-9.99").status_code == 404


def test_sparql_syntax_error_is_one_line_with_line_and_column(web: httpx.Client) -> None:
    query = "SELECT * WHERE {\n  ?s skos:prefLabel ?o\n}"
    r = web.get("/sparql", params={"query": query}, headers={"Accept": "text/html"})
    assert r.status_code == 400
    start = r.text.index("<pre>")
    message = r.text[start + 5 : r.text.index("</pre>", start)]
    assert "\n" not in message.strip()
    assert "line 2, column" in message and "skos:" in message


def test_sparql_result_links_resolve_here(web: httpx.Client) -> None:
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        'SELECT ?c WHERE { ?c skos:notation ?n FILTER(STR(?n) = "A1-1.01") }'
    )
    r = web.get("/ru/sparql", params={"query": query, "format": "html"})
    assert r.status_code == 200 and '<html lang="ru">' in r.text
    assert 'href="/ru/position/A1-1.01.html"' in r.text
    assert web.get("/ru/position/A1-1.01.html").status_code == 200


def test_act_pages_link_the_official_text_on_adilet(web: httpx.Client) -> None:
    rows = (ROOT / "data" / "official_texts.csv").read_text(encoding="utf-8").splitlines()[1:]
    texts = dict(row.split(",") for row in rows)
    assert texts["order-2015-1042"] == "V1500012751"
    for act, adilet_id in texts.items():
        for lang in ("", "/ru", "/en"):
            html = web.get(f"{lang}/act/{act}.html").text
            for code in ("kaz", "rus"):
                assert f'href="https://adilet.zan.kz/{code}/docs/{adilet_id}"' in html, (act, lang)
    # the templates know no Adilet id: the links are data
    for template in (ROOT / "site" / "templates").glob("*.html"):
        assert "V15" not in template.read_text(encoding="utf-8")


def test_an_adilet_id_must_follow_the_registration_number(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "official_texts.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("V1500012751", "V1500012752", 1),
        encoding="utf-8",
    )
    with pytest.raises(CuratedDataError) as caught:
        load_register(data, load_source(data / "source"))
    messages = [str(p) for p in caught.value.problems]
    assert any("official_texts.csv" in m and "registration number" in m for m in messages)


def test_relative_paths_of_the_export_are_relpaths() -> None:
    import itertools
    import posixpath

    from kg.export.site import relative_path

    files = ["index.html", "ru/index.html", "position/A1-1.01.html", "downloads/1.0.0/x.ttl"]
    folders = ["", "ru", "position", "ru/position", "downloads/1.0.0", "quote/position/A1-1.01"]
    for target, start in itertools.product(files, folders):
        assert relative_path(target, start) == posixpath.relpath(target, start or "."), start
