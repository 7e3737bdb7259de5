"""The SHACL gate: every shapes file in shapes/ against the built graph.

Nothing is published unless this passes; the report is written beside the dumps.
pyshacl spends most of its time in rdflib's SPARQL engine on one core, so each shapes
file is validated in its own forked worker (the data graph is shared copy-on-write) and
the reports are merged; where fork is unavailable the files run one after another.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from kg.errors import KgError
from kg.rdf.shacl_settings import validation_kwargs
from kg.settings import SHAPES_DIR


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    value: str
    message: str
    severity: str

    def __str__(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        value = f" (value {self.value})" if self.value and self.value != self.focus else ""
        return f"{self.severity}: {self.focus}{where}{value}: {self.message}"


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    violations: list[Violation]
    report_graph: Graph

    def summary(self) -> str:
        if self.conforms:
            warnings = len(self.violations)
            extra = f" ({warnings} warning(s))" if warnings else ""
            return f"SHACL: the graph conforms to every shape{extra}."
        lines = [f"SHACL: {len(self.violations)} result(s):"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


def shape_files(shapes_dir: Path = SHAPES_DIR) -> list[Path]:
    return sorted(shapes_dir.glob("*.ttl"))


def load_shapes(files: Sequence[Path]) -> Graph:
    shapes = Graph()
    for path in files:
        shapes.parse(path, format="turtle")
    return shapes


_DATA: Graph | None = None  # the graph a forked worker validates


def _validate_one(files: tuple[Path, ...]) -> bytes:
    assert _DATA is not None
    return _run_pyshacl(_DATA, load_shapes(files)).serialize(format="nt", encoding="utf-8")


def _run_pyshacl(data: Graph, shapes: Graph) -> Graph:
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, **validation_kwargs(shapes))
    if not isinstance(report, Graph):
        raise KgError(f"SHACL: the shapes could not be evaluated: {text}")
    return report


def validate_graph(
    data: Graph, files: Sequence[Path] | None = None, parallel: bool = True
) -> ValidationResult:
    """Run the gate over the given shapes files (default: all of shapes/)."""
    global _DATA
    groups = [(f,) for f in (files if files is not None else shape_files())]
    reports: list[Graph] = []
    if parallel and len(groups) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _DATA = data
        try:
            ctx = multiprocessing.get_context("fork")
            workers = min(len(groups), os.cpu_count() or 1)
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                for nt in pool.map(_validate_one, groups):
                    reports.append(Graph().parse(data=nt, format="nt"))
        finally:
            _DATA = None
    else:
        reports = [_run_pyshacl(data, load_shapes(group)) for group in groups]
    return _merge(reports)


def _merge(reports: list[Graph]) -> ValidationResult:
    """One sh:ValidationReport holding every result, with stable node names and order."""
    merged = Graph()
    merged.bind("sh", SH)
    report_node = URIRef("urn:kg:shacl-report")
    merged.add((report_node, RDF.type, SH.ValidationReport))
    found: list[tuple[Violation, Graph, Node]] = []
    conforms = True
    for report in reports:
        for _, _, c in report.triples((None, SH.conforms, None)):
            assert isinstance(c, Literal)  # sh:conforms is an xsd:boolean
            conforms = conforms and bool(c.toPython())
        for result in report.subjects(RDF.type, SH.ValidationResult):
            found.append((_violation(report, result), report, result))
    found.sort(key=lambda item: _sort_key(item[0]))
    for i, (_, report, result) in enumerate(found, start=1):
        names: dict = {result: URIRef(f"urn:kg:shacl-report:result-{i}")}
        for s, p, o in _closure(report, result):
            for node in (s, o):
                if isinstance(node, BNode) and node not in names:
                    names[node] = URIRef(f"urn:kg:shacl-report:result-{i}-{len(names)}")
            merged.add((names.get(s, s), p, names.get(o, o)))
        merged.add((report_node, SH.result, names[result]))
    merged.add((report_node, SH.conforms, Literal(conforms, datatype=XSD.boolean)))
    return ValidationResult(conforms, [v for v, _, _ in found], merged)


def _sort_key(v: Violation) -> tuple[str, ...]:
    return (v.severity, v.focus, v.path, v.message, v.value)


def _closure(g: Graph, node) -> list[tuple]:
    """The triples describing a result, following blank nodes (nested shapes, paths)."""
    out, todo, seen = [], [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in g.predicate_objects(n):
            out.append((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out


def _violation(report: Graph, result) -> Violation:
    def one(p: URIRef) -> str:
        value = report.value(result, p)
        return "" if value is None or isinstance(value, BNode) else str(value)

    message = report.value(result, SH.resultMessage)
    return Violation(
        focus=one(SH.focusNode),
        path=one(SH.resultPath),
        value=one(SH.value),
        message=str(message) if isinstance(message, Literal) else one(SH.sourceConstraintComponent),
        severity=one(SH.resultSeverity).rsplit("#", 1)[-1] or "Violation",
    )
