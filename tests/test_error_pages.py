"""Refusals a person meets in a browser are the site's page in their language; programs keep
the plain text or JSON they asked for. Expected words are written here by hand."""

from __future__ import annotations

import re

import httpx
import pytest

pytest_plugins = ["web_fixtures"]

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TOO_LONG = "бухгалтер " * 60  # 600 characters: over max_query_chars (500)


def _lang(html: str) -> str | None:
    found = re.search(r'<html lang="([^"]+)"', html)
    return found[1] if found else None


@pytest.mark.parametrize(
    ("prefix", "lang", "heading"),
    [
        ("", "kk", "Сұрау тым үлкен"),
        ("/ru", "ru", "Слишком большой запрос"),
        ("/en", "en", "The request is too large"),
    ],
)
def test_an_over_long_search_is_a_page_in_the_readers_language(
    web: httpx.Client, prefix: str, lang: str, heading: str
) -> None:
    r = web.get(prefix + "/search", params={"q": TOO_LONG}, headers=BROWSER)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert _lang(r.text) == lang
    assert f"<h1>{heading}</h1>" in r.text
    assert "max_query_chars" in r.text  # the service's own words stay, as code
    assert r.headers["cache-control"] == "no-store"


def test_accept_language_picks_the_language_of_an_error_at_a_plain_path(
    web: httpx.Client,
) -> None:
    r = web.get(
        "/search", params={"q": TOO_LONG}, headers={**BROWSER, "Accept-Language": "ru-RU,ru;q=0.9"}
    )
    assert r.status_code == 413 and _lang(r.text) == "ru"
    assert "<h1>Слишком большой запрос</h1>" in r.text
    assert "accept-language" in r.headers["vary"].lower()


def test_a_refused_sparql_query_in_a_browser_stays_in_the_page_language(
    web: httpx.Client,
) -> None:
    r = web.get(
        "/ru/sparql",
        params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
        headers=BROWSER,
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html") and _lang(r.text) == "ru"


@pytest.mark.parametrize(
    ("prefix", "heading"),
    [("", "Мән рұқсат етілген шектен тыс"), ("/ru", "Значение вне допустимых пределов")],
)
def test_a_finder_value_out_of_range_is_a_page(
    web: httpx.Client, prefix: str, heading: str
) -> None:
    r = web.get(prefix + "/finder", params={"category": "x" * 300}, headers=BROWSER)
    assert r.status_code == 422
    assert f"<h1>{heading}</h1>" in r.text


def test_programs_keep_their_formats(web: httpx.Client) -> None:
    api = web.get("/api/search", params={"q": TOO_LONG}, headers=BROWSER)
    assert api.status_code == 413 and api.headers["content-type"].startswith("application/json")
    assert "max_query_chars" in api.json()["message"]
    plain = web.get("/search", params={"q": TOO_LONG}, headers={"Accept": "*/*"})
    assert plain.status_code == 413 and not plain.headers["content-type"].startswith("text/html")
    finder = web.get("/api/finder", params={"category": "x" * 300}, headers=BROWSER)
    assert finder.status_code == 422 and finder.headers["content-type"].startswith(
        "application/json"
    )
