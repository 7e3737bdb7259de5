"""Error answers a person can read: a site page in the reader's language for browsers.

Why here: errors come from several places (the SPARQL service, the limits of search and the
grade finder, a busy query pool), and a person who meets one in a browser should get the
site's page in their language, with what happened in plain words; programs keep the plain
text or JSON they asked for. The technical message stays on the page, in code formatting.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response

from kg.errors import HttpError
from kg.lookup.reconcile import service_error
from kg.web import i18n
from kg.web.linked_data import error_page, wants_html

N_ = i18n.N_

#: Per status: a heading and what it means for the reader, in plain words (gettext ids).
STATUS_TEXTS: dict[int, tuple[str, str]] = {
    400: (N_("The request could not be read"), N_("Check the address or the form and try again.")),
    403: (N_("Not allowed"), N_("This service does not run requests of this kind.")),
    404: (N_("Page not found"), N_("There is no page at this address.")),
    406: (
        N_("Not available in this format"),
        N_("This answer cannot be given in the format that was asked for."),
    ),
    413: (
        N_("The request is too large"),
        N_("What was sent is larger than this service accepts. Make it shorter and try again."),
    ),
    414: (
        N_("The address is too long"),
        N_("What was sent is larger than this service accepts. Make it shorter and try again."),
    ),
    422: (
        N_("A value is out of range"),
        N_("A value in the request is outside what this service accepts."),
    ),
    429: (N_("Too many requests"), N_("Please wait a moment and try again.")),
    503: (
        N_("The service is busy"),
        N_("The service could not answer in time. Please try again in a moment."),
    ),
}


#: Services for programs: their errors stay plain text or JSON, whatever Accept says.
MACHINE_PATHS = ("/reconcile", "/healthz", "/downloads/")


def wants_page(request: Request) -> bool:
    """True for a browser on a page for people (HTML preferred)."""
    path = request.url.path
    if path.startswith(MACHINE_PATHS) or "/api/" in path:
        return False  # services for programs answer as their documentation says
    return wants_html(request)


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 for a parameter out of range: a page for a browser, JSON otherwise."""
    if wants_page(request):
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        return status_page(request, 422, problems)
    return await request_validation_exception_handler(request, exc)


def status_page(request: Request, status: int, detail: str = "") -> Response:
    """The site's error page for `status` in the reader's language (kg.web.linked_data's
    error page, with the plain words of STATUS_TEXTS and `detail` shown as code)."""
    heading, message = STATUS_TEXTS.get(status, STATUS_TEXTS[400])
    return error_page(request, status, heading, message, detail)


def refusal(request: Request, exc: HttpError, *, as_json: bool = False) -> Response:
    """The answer to a refused request, whichever route raised it: the site's page in the
    reader's language for a browser on a page for people, else the message for a program, as
    plain text or (`as_json`, the search and reconciliation services) their JSON error body;
    the error's headers come last, as helpers used to add them to their own answers."""
    if wants_page(request):
        if exc.page is not None:
            heading, message = exc.page
            return error_page(request, exc.status, heading, message, **exc.values)
        return status_page(request, exc.status, exc.message)
    response: Response
    if as_json:
        response = JSONResponse(service_error(exc.message), exc.status)
    else:
        response = Response(
            exc.message + "\n", status_code=exc.status, media_type="text/plain; charset=utf-8"
        )
    response.headers.update(exc.headers)
    return response


async def http_error(request: Request, exc: HttpError) -> Response:
    """The app's handler of HttpError (see `refusal`)."""
    return refusal(request, exc)
