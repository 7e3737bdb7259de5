"""Routes of the grade finder (kg.lookup.finder): ``GET /finder`` (HTML, a plain GET form, works
without JavaScript) and ``GET /api/finder`` (JSON, in the OpenAPI schema).

Every answer has a shareable URL: the title and the facts are GET query parameters, so the
address of a page or of a JSON answer is the question itself.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, JSONResponse, Response

from kg.lookup.finder import QUESTIONS, Finder
from kg.web.context import Context

router = APIRouter()

TitleParam = Annotated[
    str,
    Query(
        max_length=500,
        description="A title as the register, Russian or everyday speech "
        "says it (Мейіргер, медсестра); category or qualification words may follow",
    ),
]


def _fact_param(prop: str, description: str) -> Any:
    return Query(alias=prop, max_length=200, description=description)


QualParam = Annotated[
    str,
    _fact_param(
        "qualification-level",
        "Qualification level: an id (high, medium) or words in kk, ru or "
        "en (орташа, средний, medium)",
    ),
]
CategoryParam = Annotated[
    str,
    _fact_param(
        "category",
        "Category: an id (highest, first, second, none) or words (бірінші, первая, "
        "first, санаты жоқ, без категории)",
    ),
]
LevelParam = Annotated[
    str,
    _fact_param(
        "significance-level",
        "Significance level of the institution: an id (republican, "
        "regional, district) or words (облыстық, областной, regional)",
    ),
]
KindParam = Annotated[
    str, _fact_param("institution-type", "Kind of institution: an id (e.g. ZTMO) or words")
]


class FinderResponse(BaseModel):
    """The grade of a title, or the facts still needed to tell its grades apart."""

    title: str
    resolved: str = Field(description="The register's title (Kazakh) the title was read as")
    given: dict[str, str] = Field(description="Facts understood so far: property -> id")
    not_understood: dict[str, str] = Field(description="Values given that name nothing")
    candidates: list[dict[str, str]] = Field(description="Positions still possible")
    questions: list[dict[str, Any]] = Field(
        description="Facts that still separate the candidates, with the law's words as options"
    )
    answer: dict[str, Any] | None = Field(
        description="The position and its grade, block, tier, step, sector, the law's words "
        "(quote) and the facts that decided it; null while questions remain"
    )
    suggestions: list[dict[str, str]] = Field(description="Nearest titles when none matched")
    url: str = Field(description="The shareable address of this answer (the HTML page)")


def _given(qual: str, category: str, level: str, kind: str) -> dict[str, str]:
    values = dict(zip(QUESTIONS, (qual, category, level, kind), strict=True))
    return {k: v.strip() for k, v in values.items() if v.strip()}


def _share(request: Request, title: str, given: dict[str, str]) -> str:
    root = request.scope.get("root_path", "")
    params = [("title", title), *given.items()] if title else list(given.items())
    return f"{root}/finder" + (f"?{urlencode(params)}" if params else "")


@router.get(
    "/api/finder",
    response_model=FinderResponse,
    summary="Grade finder: the grade of a title, given the facts that tell its grades apart",
    tags=["finder"],
)
async def api_finder(
    request: Request,
    ctx: Context,
    title: TitleParam = "",
    qual: QualParam = "",
    category: CategoryParam = "",
    level: LevelParam = "",
    kind: KindParam = "",
) -> JSONResponse:
    """One title in several grades (Мейіргер: B3-1-H ... B4-4-H) is told apart by the
    qualification level and category (block B) or the significance level and kind of
    institution (block A). Give what you know; the answer says which facts are still needed,
    or gives the grade with the law's words and the facts that decided it."""
    given = _given(qual, category, level, kind)
    finder = ctx.finder
    result = finder.find(title, given)
    body = finder.as_json(result, str(request.base_url).rstrip("/") + _share(request, title, given))
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


@router.get("/finder", response_class=HTMLResponse, include_in_schema=False)
async def finder_page(
    request: Request,
    ctx: Context,
    title: TitleParam = "",
    qual: QualParam = "",
    category: CategoryParam = "",
    level: LevelParam = "",
    kind: KindParam = "",
) -> Response:
    """The grade finder page: a GET form, the questions that remain, the answer."""
    given = _given(qual, category, level, kind)
    values = page_values(ctx.finder, title, given, _share(request, title, given))
    body = ctx.site.render(
        "finder.html", self_href="/finder", root=request.scope.get("root_path", ""), **values
    )
    return HTMLResponse(body, headers={"Cache-Control": "public, max-age=300"})


def page_values(finder: Finder, title: str, given: dict[str, str], share: str) -> dict[str, Any]:
    """What the finder page shows for `title` and the facts `given` (no title: the empty
    form), `share` being the page's own address."""
    result = finder.find(title, given) if title.strip() else None
    return {
        "title_q": title,
        "given": given,
        "result": result,
        "titles": finder.titles(),
        "quote": (finder.quotes.get(result.answer.id) if result and result.answer else None),
        "type_name": finder.index.type_name,
        "entity": finder.index.entity,
        "share": share,
        "alternates": [
            {
                "media_type": "application/json",
                "href": share.replace("/finder", "/api/finder", 1),
                "label": "JSON",
            }
        ],
    }
