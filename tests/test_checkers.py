"""Real checkers over pages in each language, from the live server and from the static export:
axe-core (WCAG 2 A and AA, in Debian's headless Chromium through Debian's chromedriver), the
Nu HTML Checker (vnu-jar on Java), and the width of pages on a 390 px wide phone.

The checkers live in .checkers/ (scripts/install-checkers, which `make setup-test` runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest_plugins = ["web_fixtures", "versions_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
CHECKERS = ROOT / ".checkers" / "node_modules"
AXE = CHECKERS / ".bin" / "axe"
AXE_SOURCE = CHECKERS / "axe-core" / "axe.min.js"
VNU = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
LANGUAGES = ("kk", "ru", "en")
SEARCH = "/search?q=%D0%B1%D1%83%D1%85%D0%B3%D0%B0%D0%BB%D1%82%D0%B5%D1%80"
#: The grade finder with an answer (Мейіргер, medium qualification, first category).
FINDER = (
    "/finder?title=%D0%9C%D0%B5%D0%B9%D1%96%D1%80%D0%B3%D0%B5%D1%80"
    "&qualification-level=medium&category=first"
)
#: Plain paths of the pages checked on the server (each also under /ru/ and /en/).
SERVER_PAGES = (
    "/",
    "/browse",
    "/about",
    "/downloads/",
    SEARCH,
    FINDER,
    "/sparql",
    "/changes.html",
    "/block/B.html",
    "/grade/B2-1-H.html",
    "/position/A1-1.01.html",
    "/occupation/nurse.html",
    "/act/order-2015-1042.html",
    "/no-such-page",
)
#: The same kinds of page as files of the static export (relative to its folder).
EXPORT_PAGES = (
    "index.html",
    "browse.html",
    "about.html",
    "downloads/index.html",
    "search.html",
    "changes.html",
    "block/B.html",
    "grade/B2-1-H.html",
    "position/A1-1.01.html",
    "occupation/nurse.html",
)
#: Pages a phone reader must see without scrolling sideways (issue: home, a position, search, a
#: grade), and the phone's width.
PHONE_PAGES = ("/", "/position/A1-1.01.html", SEARCH, "/grade/B2-1-H.html", "/browse", FINDER)
PHONE_WIDTH = 390


def localized(path: str, lang: str) -> str:
    return path if lang == "kk" else f"/{lang}{path}"


@pytest.fixture(scope="module")
def checkers() -> Path:
    missing = [p for p in (AXE, AXE_SOURCE, VNU) if not p.is_file()]
    missing += [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing or not shutil.which("java") or not shutil.which("node"):
        pytest.fail(f"page checkers missing ({missing}): run scripts/install-checkers")
    return CHECKERS


def run_axe(urls: list[str]) -> list[dict[str, Any]]:
    """axe-core's results for each URL (one browser for all of them)."""
    command = [
        str(AXE),
        *urls,
        "--tags",
        "wcag2a,wcag2aa,wcag21a,wcag21aa",
        "--axe-source",
        str(AXE_SOURCE),
        "--chromedriver-path",
        CHROMEDRIVER,
        "--chrome-path",
        CHROMIUM,
        "--chrome-options=no-sandbox,headless,disable-gpu",
        "--stdout",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    assert [r["url"] for r in results] == urls
    return results


def violations(results: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [
        (r["url"], v["id"], len(v["nodes"]))
        for r in results
        for v in r["violations"]
        if v["impact"] is not None
    ]


def run_vnu(files: list[Path]) -> list[dict[str, Any]]:
    """The Nu HTML Checker's errors over `files`."""
    command = ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    return [m for m in messages if m.get("type") in ("error", "non-document-error")]


def test_axe_finds_no_violation_on_the_server(checkers: Path, web_server: Any) -> None:
    urls = [web_server.base_url + localized(p, lang) for lang in LANGUAGES for p in SERVER_PAGES]
    results = run_axe(urls)
    checked = sum(len(r["passes"]) for r in results)
    print(f"\naxe-core on the server: {len(urls)} pages, {checked} rules passed in all")
    assert not violations(results), violations(results)


def test_axe_finds_no_violation_in_the_export(checkers: Path, static_server: str) -> None:
    urls = [
        f"{static_server}/{'' if lang == 'kk' else lang + '/'}{p}"
        for lang in LANGUAGES
        for p in EXPORT_PAGES
    ]
    results = run_axe(urls)
    print(f"\naxe-core on the static export: {len(urls)} pages")
    assert not violations(results), violations(results)


def test_html_checker_finds_no_error_on_the_server(
    checkers: Path, web: httpx.Client, tmp_path: Path
) -> None:
    files = []
    for lang in LANGUAGES:
        for i, path in enumerate(SERVER_PAGES):
            r = web.get(localized(path, lang), headers={"Accept": "text/html"})
            assert r.status_code == (404 if path == "/no-such-page" else 200), path
            file = tmp_path / f"{lang}-{i:02d}.html"
            file.write_bytes(r.content)
            files.append(file)
    errors = run_vnu(files)
    print(f"\nNu HTML Checker on the server: {len(files)} pages, {len(errors)} errors")
    assert not errors, errors[:10]


def test_html_checker_finds_no_error_in_the_export(checkers: Path, exported: Any) -> None:
    files = [
        exported.out / ("" if lang == "kk" else lang) / p
        for lang in LANGUAGES
        for p in EXPORT_PAGES
    ]
    assert all(f.is_file() for f in files)
    errors = run_vnu(files)
    print(f"\nNu HTML Checker on the static export: {len(files)} pages, {len(errors)} errors")
    assert not errors, errors[:10]


def test_a_phone_sees_the_whole_page_and_navigation(checkers: Path, web_server: Any) -> None:
    urls = [web_server.base_url + localized(p, lang) for lang in LANGUAGES for p in PHONE_PAGES]
    env = {**os.environ, "NODE_PATH": str(CHECKERS)}
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "overflow.js"), str(PHONE_WIDTH), *urls],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pages = [json.loads(line) for line in done.stdout.splitlines()]
    assert [p["url"] for p in pages] == urls
    for p in pages:
        # a mobile viewport widens to the content when something overflows
        assert p["viewport"] == PHONE_WIDTH and p["scrollWidth"] <= PHONE_WIDTH, p
        assert not p["hiddenNav"], p
        # a compact breadcrumb: one line
        assert p["breadcrumbHeight"] < 40, p
