"""The interface in Kazakh, Russian and English: catalogs, language URLs, hreflang, plain words.

The catalogs are checked against Babel's own extraction of the templates and the code (not
against anything the site renders), and every page kind is fetched from the real server in the
three languages and read as a person would: what text shows, in which language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

pytest_plugins = ["web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "site" / "locale"
LANGUAGES = ("kk", "ru", "en")
HTML = {"Accept": "text/html"}
#: One page of every kind (plain paths: Kazakh; /ru/ and /en/ are prefixed to them).
PAGES = (
    "/",
    "/browse",
    "/about",
    "/downloads/",
    "/search?q=%D0%B1%D1%83%D1%85%D0%B3%D0%B0%D0%BB%D1%82%D0%B5%D1%80",
    "/sparql",
    "/changes.html",
    "/register.html",
    "/block/A.html",
    "/tier/A1.html",
    "/grade/A1-1-1.html",
    "/position/A1-1.01.html",
    "/institution-type/ZTMO.html",
    "/occupation/nurse.html",
    "/act/order-2015-1042.html",
    "/decision/ED001.html",
    "/quote/position/A1-1.01/title.html",
    "/def.html",
    "/catalog.html",
)
#: Prefixed names of vocabularies: none may show as a label on a page for people.
JARGON = re.compile(
    r"\b(?:skos|owl|rdfs?|dct|dcat|void|prov|foaf|eli|oa|kg|sssom|pav|adms|spdx|xsd):[A-Za-z_]"
)
#: Latin words that stay as they are in every language: names of standards, formats, codes.
INTERNATIONAL = {
    "sparql",
    "isco",
    "esco",
    "csv",
    "json",
    "jsonld",
    "turtle",
    "triples",
    "xml",
    "rdf",
    "html",
    "atom",
    "dcat",
    "void",
    "uri",
    "limit",
    "offset",
    "cc0",
    "nginx",
    "apache",
    "talis",
    "changeset",
    "true",
    "false",
    "site",
    "kg",
    "sha",
    "sums",
    "sha256sums",
    "sha256sum",
    "ask",
    "dcat-ap",
    "json-ld",
    "n-triples",
    "isco-",
    "content",
    "negotiation",
    "a1",
    "ap",
    "http",
    "https",
    "url",
}


def catalog_ids() -> set[str]:
    """Every message the templates and the code use, as Babel extracts them (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "N_": None,
        "pgettext": ((1, "c"), 2),
    }
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def read_catalog(lang: str):  # noqa: ANN201 - a babel Catalog
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_interface_string_is_translated(lang: str) -> None:
    used = catalog_ids()
    assert len(used) > 150, "the extraction found too little: is babel.cfg right?"
    catalog = read_catalog(lang)
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if all(strings) and "fuzzy" not in m.flags:
            translated[key] = strings
    missing = sorted(used - set(translated))
    assert not missing, f"{lang} catalog lacks: {missing}"
    for key, strings in translated.items():
        wanted = set(re.findall(r"%\(\w+\)[sd]", key))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", s)) <= wanted | {"%(num)d"}, (key, s)
            assert wanted - {"%(num)d"} <= set(re.findall(r"%\(\w+\)[sd]", s)), (key, s)


def english_words() -> set[str]:
    """Words of the English interface (message ids), to spot in a Kazakh or Russian page."""
    words: set[str] = set()
    for key in catalog_ids():
        text = re.sub(r"%\(\w+\)[sd]", " ", key)
        words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text))
    return words - INTERNATIONAL


class _Reader(HTMLParser):
    """The text a reader sees, with the language each piece is marked in; code, scripts and
    form fields are left out (they are not words of the interface)."""

    VOID = {"meta", "link", "br", "input", "img", "hr", "wbr", "source", "area", "col"}
    HIDDEN = {"script", "style", "code", "pre", "textarea", "title", "option"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None, bool]] = []
        self.html_lang: str | None = None
        self.hreflang: dict[str, str] = {}
        self.canonical: str | None = None
        self.description: str | None = None
        self.pieces: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.hreflang[a["hreflang"] or ""] = a.get("href") or ""
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        if tag == "meta" and a.get("name") == "description":
            self.description = a.get("content")
        if tag in self.VOID:
            return
        lang = a.get("lang", self.stack[-1][1] if self.stack else None)
        hidden = (
            tag in self.HIDDEN
            or "code" in (a.get("class") or "").split()
            or (self.stack[-1][2] if self.stack else False)
        )
        self.stack.append((tag, lang, hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and self.stack and not self.stack[-1][2]:
            self.pieces.append((self.stack[-1][1], data))


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def localized(path: str, lang: str) -> str:
    return path if lang == "kk" else f"/{lang}{path}"


@pytest.fixture(scope="module")
def interface_words() -> set[str]:
    return english_words()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_page_in_language(
    web: httpx.Client, path: str, lang: str, interface_words: set[str]
) -> None:
    url = localized(path, lang)
    r = web.get(url, headers=HTML)
    assert r.status_code == 200, url
    page = read(r.text)
    assert page.html_lang == lang, url
    # every language version is listed, plus x-default, and each one answers in its language
    assert set(page.hreflang) == {*LANGUAGES, "x-default"}, url
    assert page.hreflang["x-default"] == page.hreflang["kk"]
    assert page.canonical == page.hreflang[lang]
    assert page.description and len(page.description) > 20, url
    for other in LANGUAGES:
        target = urljoin(str(r.url), page.hreflang[other])
        answer = web.get(target, headers=HTML)
        assert answer.status_code == 200, (url, target)
        assert read(answer.text).html_lang == other, (url, target)
    # no vocabulary names as visible words; in kk and ru no English interface words
    shown = [(piece_lang, text) for piece_lang, text in page.pieces]
    visible = " ".join(text for _, text in shown)
    if not path.startswith("/def"):  # the vocabulary page is about those names
        assert not JARGON.findall(visible), (url, JARGON.findall(visible)[:5])
    if lang != "en":
        own = " ".join(text for piece_lang, text in shown if piece_lang in (None, lang))
        own = re.sub(r"https?://\S+", " ", own)  # an identifier is not a word
        found = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", own)}
        english = sorted(found & interface_words)
        assert not english, (url, english)


def test_not_found_in_the_language_asked_for(web: httpx.Client) -> None:
    kk = web.get("/nothing-here", headers={"Accept": "text/html"})
    ru = web.get("/nothing-here", headers={"Accept": "text/html", "Accept-Language": "ru"})
    en = web.get("/en/nothing-here", headers={"Accept": "text/html"})
    assert (kk.status_code, ru.status_code, en.status_code) == (404, 404, 404)
    assert read(kk.text).html_lang == "kk" and "Табылмады" in kk.text
    assert read(ru.text).html_lang == "ru" and "Не найдено" in ru.text
    assert read(en.text).html_lang == "en" and "Not found" in en.text
    assert "Accept-Language" in ru.headers["vary"]


@pytest.mark.parametrize(
    ("prefix", "accept_language", "location"),
    [
        ("", None, "/position/A1-1.01.html"),
        ("", "ru-RU,ru;q=0.9,en;q=0.5", "/ru/position/A1-1.01.html"),
        ("", "en-GB, kk;q=0.3", "/en/position/A1-1.01.html"),
        ("", "de, fr;q=0.5", "/position/A1-1.01.html"),
        ("", "kk, ru;q=0.9", "/position/A1-1.01.html"),
        ("/ru", "en", "/ru/position/A1-1.01.html"),  # the explicit choice wins
        ("/en", None, "/en/position/A1-1.01.html"),
    ],
)
def test_identifier_303_goes_to_the_language_asked_for(
    web: httpx.Client, prefix: str, accept_language: str | None, location: str
) -> None:
    headers = {"Accept": "text/html"}
    if accept_language:
        headers["Accept-Language"] = accept_language
    r = web.get(f"{prefix}/position/A1-1.01", headers=headers)
    assert r.status_code == 303
    assert urlsplit(r.headers["location"]).path == location
    vary = {v.strip().lower() for v in r.headers["vary"].split(",")}
    assert {"accept", "accept-language"} <= vary


def test_rdf_is_the_same_in_every_language(web: httpx.Client) -> None:
    r = web.get("/position/A1-1.01", headers={"Accept": "text/turtle", "Accept-Language": "ru"})
    assert r.status_code == 303 and r.headers["location"] == "/position/A1-1.01.ttl"
    assert web.get("/ru/position/A1-1.01.ttl").status_code == 404
    assert web.get("/ru/downloads/SHA256SUMS").status_code == 404


def test_switch_keeps_the_page(web: httpx.Client) -> None:
    html = web.get("/ru/grade/A1-1-1.html").text
    switch = html[
        html.index('class="languages"') : html.index("</nav>", html.index('class="languages"'))
    ]
    hrefs = re.findall(r'href="([^"]+)"', switch)
    assert hrefs == ["/grade/A1-1-1.html", "/en/grade/A1-1-1.html"]
    # links stay in the chosen language
    assert 'href="/ru/position/A1-1-1.01.html"' in html


def test_plain_words_for_a_position(web: httpx.Client) -> None:
    for lang, word in (("kk", "Лауазым"), ("ru", "Должность"), ("en", "Position")):
        page = read(web.get(localized("/position/A1-1.01.html", lang)).text)
        badge = " ".join(t for _, t in page.pieces)
        assert word in badge, lang


def test_isco_links_in_plain_words(web: httpx.Client) -> None:
    kk = " ".join(t for _, t in read(web.get("/occupation/nurse.html").text).pieces)
    assert re.search(r"ISCO-08 \((жақын|толық) сәйкестік\)|ISCO-08 \((кеңірек|тарырақ) топ\)", kk)


def test_a_bad_format_link_gives_a_page_in_the_readers_language(web: httpx.Client) -> None:
    ru = web.get(
        "/position/A1-1.01?_format=nonsense",
        headers={"Accept": "text/html", "Accept-Language": "ru"},
    )
    assert ru.status_code == 400 and read(ru.text).html_lang == "ru"
    assert "Неизвестный формат" in ru.text and "nonsense" in ru.text
    plain = web.get("/position/A1-1.01?_format=nonsense", headers={"Accept": "text/turtle"})
    assert plain.status_code == 400 and plain.headers["content-type"].startswith("text/plain")


def test_reconciliation_preview_in_the_language_asked_for(web: httpx.Client) -> None:
    for prefix, lang, word in (("", "kk", "Лауазым"), ("/ru", "ru", "Должность")):
        r = web.get(f"{prefix}/reconcile/preview", params={"id": "position/A1-1.01"})
        assert r.status_code == 200
        page = read(r.text)
        assert page.html_lang == lang
        assert word in r.text
        if lang == "ru":
            assert "Звено" in r.text and "Tier" not in r.text
