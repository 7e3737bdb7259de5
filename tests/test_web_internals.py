"""The web layer's inner parts, without a server: the app context, the one Jinja environment,
and refusals raised as HttpError and answered by one handler (kg.web.error_pages.refusal)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from kg.errors import HttpError
from kg.settings import Settings
from kg.web import i18n
from kg.web.context import AppContext, context
from kg.web.documents import environment
from kg.web.error_pages import refusal
from kg.web.negotiation import choose_or_refuse


def request(path: str = "/api/search", accept: str = "application/json") -> Request:
    """A request as a route sees it, on an app whose state holds nothing (no site needed
    for the answers to programs)."""
    app = SimpleNamespace(state=SimpleNamespace())
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"accept", accept.encode())],
        "app": app,
    }
    return Request(scope)


# ---------------------------------------------------------------------------- negotiation


def test_choose_or_refuse_returns_the_preferred_offer() -> None:
    offers = ("text/html", "text/turtle")
    assert choose_or_refuse("text/turtle", offers) == "text/turtle"


def test_nothing_acceptable_is_a_406_naming_the_offers_and_vary() -> None:
    with pytest.raises(HttpError) as caught:
        choose_or_refuse(
            "image/png", ("text/html", "x/alias"), "Accept, Accept-Language", ["text/html"]
        )
    assert caught.value.status == 406
    assert (
        caught.value.message == "none of the acceptable media types is offered; offered: text/html"
    )
    assert caught.value.headers == {"Vary": "Accept, Accept-Language"}


# ---------------------------------------------------------------------------- one handler


def test_a_refusal_for_a_program_is_plain_text_with_its_headers_last() -> None:
    answer = refusal(request("/position/X", "image/png"), HttpError(406, "no", {"Vary": "Accept"}))
    assert answer.status_code == 406
    assert answer.body == b"no\n"
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert list(answer.headers.keys())[-1] == "vary"
    assert answer.headers["vary"] == "Accept"


def test_a_refusal_of_the_search_services_is_their_json_error() -> None:
    answer = refusal(request(), HttpError(413, "too long"), as_json=True)
    assert answer.status_code == 413
    assert json.loads(answer.body) == {"status": "error", "message": "too long"}


def test_a_browser_on_a_service_for_programs_still_gets_the_message() -> None:
    answer = refusal(request("/reconcile", "text/html"), HttpError(400, "bad"), as_json=True)
    assert json.loads(answer.body)["message"] == "bad"


# ---------------------------------------------------------------------------- context


def test_the_context_is_read_from_the_app_and_cannot_be_changed() -> None:
    fields = {f.name: None for f in dataclasses.fields(AppContext)}
    ctx = AppContext(**fields)  # type: ignore[arg-type]
    req = request()
    req.app.state.context = ctx
    assert context(req) is ctx
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.settings = Settings()  # type: ignore[misc]


# ---------------------------------------------------------------------------- templates


def test_the_preview_card_keeps_its_lines_in_the_site_environment() -> None:
    """The preview was rendered by an environment without trim_blocks; its tags say "+%}"
    so the one environment gives the same lines."""
    env = environment(Path(Settings().templates_dir))
    env.globals["url"] = lambda href, lang=None: href
    with i18n.using("en"):
        html = env.get_template("reconcile-preview.html").render(card=None, id="Q", site="")
    assert "<body>\n<p>" in html
    assert "</p>\n</body>" in html
