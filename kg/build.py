"""The pipeline: law text -> curated records -> graph -> SHACL gate -> release folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.curated import Register, load_register
from kg.errors import KgError
from kg.graph import build_graph
from kg.release import Artifact, rdf_artifacts, table_artifacts, write_release
from kg.source import load_source, uncovered_words
from kg.uris import Uris
from kg.validate import ValidationResult, validate_graph

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SHACL_REPORT = "shacl-report.ttl"


@dataclass
class BuildResult:
    register: Register
    graph: Graph
    validation: ValidationResult
    release: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now


def load_and_check(data_dir: Path = DATA_DIR) -> Register:
    """Read the source and the curated files; refuse if any word of the register is unquoted."""
    source = load_source(data_dir / "source")
    reg = load_register(data_dir, source)
    missing = uncovered_words(source, ((s.start, s.end) for s in reg.all_spans()))
    if missing:
        listed = ", ".join(f"{w.text!r}@{w.start}" for w in missing[:20])
        raise KgError(f"{len(missing)} word(s) of the register are covered by no quote: {listed}")
    return reg


def validate(data_dir: Path = DATA_DIR, uris: Uris | None = None) -> BuildResult:
    timer = _Timer()
    reg = load_and_check(data_dir)
    timer.lap("load")
    graph = build_graph(reg, uris or Uris())
    timer.lap("graph")
    result = validate_graph(graph)
    timer.lap("shacl")
    return BuildResult(reg, graph, result, timings=timer.timings)


def build(
    out: Path,
    data_dir: Path = DATA_DIR,
    uris: Uris | None = None,
    fail_after: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build and publish; raise KgError (leaving `out` untouched) if the graph is invalid."""
    uris = uris or Uris()
    result = validate(data_dir, uris)
    timer = _Timer()
    report = result.validation.report_graph.serialize(format="turtle", encoding="utf-8")
    if not result.validation.conforms:
        failed = out.absolute().parent / f"{out.name}.{SHACL_REPORT}"
        failed.write_bytes(report)
        raise KgError(
            f"{result.validation.summary()}\nNothing was published; the SHACL report is in {failed}"
        )
    artifacts: list[Artifact] = rdf_artifacts(result.graph)
    artifacts += table_artifacts(result.graph, uris)
    artifacts.append(Artifact(SHACL_REPORT, "text/turtle", report, "SHACL validation report"))
    timer.lap("serialise")
    result.release = write_release(out, artifacts, fail_after=fail_after)
    timer.lap("write")
    result.timings.update(timer.timings)
    return result
