"""`kg serve` is the one front door: every Settings flag is declared once, the settings carry
the one Uris, and every kind of URI kg.uris mints has a route."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from conftest import FIXTURE_RELEASE, ROOT, RunningServer

from kg.cli import main
from kg.settings import SETTINGS_OPTIONS, Settings
from kg.uris import Uris
from kg.web.routes import ROUTES, unrouted_uris


def test_every_uris_kind_has_a_route() -> None:
    assert unrouted_uris(Uris()) == []
    assert unrouted_uris(Uris("https://data.example.kz/reg1042")) == []


def test_a_uris_kind_without_a_route_is_reported() -> None:
    without_grades = tuple(r for r in ROUTES if r.kind != "grade")
    assert unrouted_uris(Uris(), without_grades) == ["grade: https://reg1042.example.org/grade/x1"]


def test_settings_carry_the_normalised_uris() -> None:
    settings = Settings(base_iri="https://data.example.kz/reg1042")
    assert settings.base_iri == "https://data.example.kz/reg1042/"
    assert settings.uris == Uris("https://data.example.kz/reg1042/")
    assert str(settings.uris.position("A1-1.01")) == (
        "https://data.example.kz/reg1042/position/A1-1.01"
    )
    again = Settings.from_json(settings.to_json())
    assert again == settings and again.uris == settings.uris
    assert Settings().base_iri == "https://reg1042.example.org/"


def test_every_settings_flag_is_a_setting_with_help() -> None:
    names = {f for f in Settings.__dataclass_fields__ if f not in ("uris", "templates_dir")}
    flags = {o.dest for o in SETTINGS_OPTIONS}
    assert flags <= names
    # what is left out is set by no flag on purpose: the worker memory limit
    assert names - flags == {"worker_memory_limit"}
    assert all(o.help for o in SETTINGS_OPTIONS)


def test_serve_help_lists_every_option() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for flag in ("--release", "--host", "--port", "--base-iri", "--row-cap", "--named-graph"):
        assert flag in run.stdout
    for option in SETTINGS_OPTIONS:
        assert option.flag in run.stdout


def test_flags_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_serve(release, settings, host, port):  # type: ignore[no-untyped-def]
        seen.update(release=release, settings=settings, host=host, port=port)

    monkeypatch.setattr("kg.web.server.serve", fake_serve)
    code = main(
        [
            "serve",
            "--release",
            "somewhere",
            "--port",
            "8123",
            "--base-iri",
            "https://data.example.kz/reg1042",
            "--row-cap",
            "7",
            "--named-graph",
            "urn:g=extra.nt",
            "--trusted-proxy",
            "10.0.0.1",
            "--no-network-sandbox",
            "--max-batch",
            "3",
            "--sparql-rate",
            "0",
        ]
    )
    assert code == 0
    settings = seen["settings"]
    assert seen["port"] == 8123 and seen["release"].name == "somewhere"
    assert settings.uris.base == "https://data.example.kz/reg1042/"
    assert settings.row_cap == 7 and settings.max_batch == 3 and settings.sparql_rate == 0
    assert settings.named_graphs == {"urn:g": "extra.nt"}
    assert settings.trusted_proxies == ("10.0.0.1",)
    assert settings.sandbox_network is False
    assert settings.time_limit == Settings().time_limit


def test_an_out_of_range_flag_is_a_clear_error() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--release", "x", "--row-cap", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "row_cap" in run.stderr


#: Packages `kg serve` never runs while serving the embedded store: numpy and openpyxl write
#: the release's spreadsheet (kg build), httpx talks to an external store (--sparql-endpoint).
NOT_IN_THE_SERVER = ("numpy", "openpyxl", "httpx")


@pytest.mark.slow
def test_the_default_server_is_one_lean_process(
    monkeypatch: pytest.MonkeyPatch, launch: Callable[..., RunningServer]
) -> None:
    """With the defaults, uvicorn runs the app in the process `kg serve` started (no supervisor
    that holds a copy of everything), and that process never imports what it does not run.

    Python's own -X importtime (PYTHONPROFILEIMPORTTIME) logs every module a process of the
    tree imports, pure-Python ones included, so the server's log lists them all."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    server = launch(FIXTURE_RELEASE, ["--workers", "1"])
    health = httpx.get(f"{server.base_url}/healthz", timeout=10).json()
    assert health["pid"] == server.process.pid
    for path in ("/", "/search?q=A1", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"):
        assert httpx.get(server.base_url + path, timeout=30).status_code < 500
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in server.log().splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "pyoxigraph" in imported and "uvicorn" in imported  # the log is the import log
    assert sorted(imported.intersection(NOT_IN_THE_SERVER)) == []
