"""Session fixtures of the search and reconciliation tests: a real release, its index, a
server over it, and the W3C Reconciliation 0.2 JSON Schemas.

Load it from a test module with ``pytest_plugins = ["search_fixtures"]`` (a plugin's session
fixtures exist once per session). The release is the one `register_fixtures` builds when that
plugin is loaded in the same session, else one built here with kg.release.build.build: either way,
once per session.

The schemas come from ``shared/conformance/reconciliation/0.2/schemas``, found by walking up
from this file (CI puts ``shared/`` beside the clone); the tests fail if it is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS_PATH = Path("shared") / "conformance" / "reconciliation" / "0.2" / "schemas"
HERE = Path(__file__).resolve()


def find_schemas_dir(start: Path = HERE) -> Path | None:
    """The 0.2 schemas folder in `shared/` beside some parent of `start`, or None."""
    for parent in start.parents:
        candidate = parent / SCHEMAS_PATH
        if candidate.is_dir():
            return candidate
    return None


class Schemas:
    """Validators of the 0.2 schemas, all registered by `$id` so `$ref`s resolve offline."""

    def __init__(self, folder: Path) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        registry: Registry = Registry()
        for path in sorted(folder.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            self.documents[path.stem] = document
            registry = registry.with_resource(
                document["$id"], Resource.from_contents(document, default_specification=DRAFT7)
            )
        self.registry = registry

    def validator(self, name: str) -> Draft7Validator:
        return Draft7Validator(self.documents[name], registry=self.registry)

    def errors(self, name: str, instance: Any) -> list[str]:
        """Messages of every violation of schema `name` (file stem), with their paths."""
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in self.validator(name).iter_errors(instance)
        ]

    def check(self, name: str, instance: Any) -> None:
        errors = self.errors(name, instance)
        assert not errors, f"{name} schema violations:\n" + "\n".join(errors[:20])


@pytest.fixture(scope="session")
def reconciliation_schemas() -> Schemas:
    folder = find_schemas_dir()
    if folder is None:
        pytest.fail(f"{SCHEMAS_PATH} not found beside any parent folder of {__file__}")
    schemas = Schemas(folder)
    assert len(schemas.documents) >= 11, sorted(schemas.documents)
    return schemas


@pytest.fixture(scope="session")
def search_release(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session's release folder: register_fixtures' one if loaded, else built here."""
    try:
        return request.getfixturevalue("release_dir")
    except pytest.FixtureLookupError:
        from kg.release.build import build

        dist = tmp_path_factory.mktemp("search-site") / "dist"
        build(dist)
        return dist


@pytest.fixture(scope="session")
def search_index(search_release: Path):  # -> kg.lookup.search.SearchIndex
    from kg.lookup.search import SearchIndex

    return SearchIndex.from_release(search_release)


@pytest.fixture(scope="session")
def search_server(launch: Callable[..., Any], search_release: Path) -> Any:
    """`kg serve` over the real release: one HTTP worker, one query worker."""
    return launch(search_release, ["--workers", "1", "--http-workers", "1"])


@pytest.fixture(scope="session")
def search_http(search_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=search_server.base_url, timeout=30) as client:
        yield client


# ---------------------------------------------------------------- shared cases

#: A position title of block A (A1-2.03) whose grade turns on the significance level.
SEMI_STATIONARY_HEAD = "Жартылай стационарлық үлгідегі ұйымның басшысы"


def _nurse(qualification: Any, category: Any) -> dict[str, Any]:
    return {
        "query": "Мейіргер",
        "type": "position",
        "properties": [
            {"pid": "qualification-level", "v": qualification},
            {"pid": "category", "v": category},
        ],
    }


#: A reconciliation batch whose facts come as properties, in kk, ru, en and as ids; asked of
#: the service over HTTP (tests/test_finder.py) and in-process (tests/test_reconcile_units.py).
FACT_QUERIES: dict[str, dict[str, Any]] = {
    "q0": _nurse("орташа", "бірінші"),
    "q1": {**_nurse("средний", "первая"), "query": "медсестра"},
    "q2": _nurse("medium", "first"),
    "q3": _nurse({"id": "qualification-level/high"}, "санаты жоқ"),
    "q4": _nurse("high", "без категории"),
    "q5": _nurse("high", "none"),
    "q6": {"query": "врач", "type": "position", "properties": [{"pid": "category", "v": "вторая"}]},
    "q7": {
        "query": SEMI_STATIONARY_HEAD,
        "type": "position",
        "properties": [{"pid": "significance-level", "v": "облыстық"}],
    },
}
#: The first candidate of each, a match: read off data/grades.csv and data/positions.csv.
FACT_MATCHES = {
    "q0": "position/B4-2-H.06",
    "q1": "position/B4-2-H.06",
    "q2": "position/B4-2-H.06",
    "q3": "position/B3-4-H.01",
    "q4": "position/B3-4-H.01",
    "q5": "position/B3-4-H.01",
    "q6": "position/B2-3-H.01",
    "q7": "position/A1-2.03",
}
