"""positions.xlsx and positions.csv for spreadsheet users: the rows checked against the graph
(SPARQL over register.nt in pyoxigraph, not the writer's code), the law's order, names instead of
ids, a frozen header with filters, reproducible bytes, and both files in the catalog and in
SHA256SUMS.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from openpyxl import load_workbook
from rdflib import Graph

pytest_plugins = ["search_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTRACT = ["position_uri", "position_label_kk", "block", "tier", "step", "sector", "grade"]
HEADER = [
    "Position code",
    "Title (kk)",
    "Title (ru, unofficial)",
    "Title (en, unofficial)",
    "Block",
    "Tier",
    "Step",
    "Grade",
    "Sector",
    "Qualification level",
    "Category",
    "Institution types",
    "Significance level",
    "ISCO-08 code",
    "ISCO-08 label",
    "URI",
]
PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <https://reg1042.example.org/def#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


@pytest.fixture(scope="module")
def graph(search_release: Path) -> ox.Store:
    """The release's graph in an in-memory SPARQL store (pyoxigraph, not the writer's code)."""
    store = ox.Store()
    with open(search_release / "register.nt", "rb") as handle:
        store.load(handle, ox.RdfFormat.N_TRIPLES)
    return store


@pytest.fixture(scope="module")
def sheet(search_release: Path) -> list[list[str]]:
    wb = load_workbook(search_release / "positions.xlsx")
    ws = wb["Positions"]
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def expected(graph: ox.Store) -> dict[str, dict[str, object]]:
    return expected_rows(graph)


def expected_rows(graph: ox.Store) -> dict[str, dict[str, object]]:
    """What the graph says of each position, by its code."""
    query = (
        PREFIXES
        + """
    SELECT ?code ?kk ?ru ?en ?block ?tier ?grade ?step ?sector ?qual ?cat ?level ?start WHERE {
      ?p a kg:Position ; skos:notation ?code ; skos:prefLabel ?kk ;
         kg:block/skos:notation ?block ; kg:tier/skos:notation ?tier ; kg:grade ?g .
      ?g skos:notation ?grade .
      FILTER (lang(?kk) = "kk")
      OPTIONAL { ?p skos:prefLabel ?ru FILTER (lang(?ru) = "ru") }
      OPTIONAL { ?p skos:prefLabel ?en FILTER (lang(?en) = "en") }
      OPTIONAL { ?g kg:step ?step }
      OPTIONAL { ?p kg:sector/skos:prefLabel ?sector FILTER (lang(?sector) = "kk") }
      OPTIONAL { ?p kg:qualificationLevel/skos:prefLabel ?qual FILTER (lang(?qual) = "kk") }
      OPTIONAL { ?p kg:category/skos:prefLabel ?cat FILTER (lang(?cat) = "kk") }
      OPTIONAL { ?p kg:significanceLevel/skos:prefLabel ?level FILTER (lang(?level) = "kk") }
      ?p kg:sourceQuote ?q . ?q kg:quoteRole "title" ; oa:hasSelector ?s . ?s oa:start ?start .
    }"""
    )
    out: dict[str, dict[str, object]] = {}
    names = [v.value for v in graph.query(query).variables]
    for r in graph.query(query):
        out[r["code"].value] = {k: ("" if r[k] is None else r[k].value) for k in names}
    kinds = (
        PREFIXES
        + """
    SELECT ?code ?name WHERE {
      ?p a kg:Position ; skos:notation ?code ; kg:institutionType/skos:prefLabel ?name .
      FILTER (lang(?name) = "kk") }"""
    )
    for r in graph.query(kinds):
        out[r["code"].value].setdefault("kinds", set()).add(r["name"].value)  # type: ignore[union-attr]
    isco = (
        PREFIXES
        + """
    SELECT ?code ?isco WHERE {
      ?p a kg:Position ; skos:notation ?code .
      { ?p kg:iscoUnitGroup ?own . ?own skos:notation ?isco }
      UNION {
        ?p kg:occupation ?o .
        VALUES ?rel { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch }
        ?o ?rel ?t . ?t skos:notation ?isco .
        FILTER NOT EXISTS { ?p kg:iscoUnitGroup ?any }
        FILTER NOT EXISTS {
          ?r owl:annotatedSource ?o ; owl:annotatedTarget ?t ; kg:appliesToQualificationLevel ?l .
          FILTER NOT EXISTS { ?p kg:qualificationLevel ?l } } } }"""
    )
    for r in graph.query(isco):
        out[r["code"].value].setdefault("isco", set()).add(r["isco"].value)  # type: ignore[union-attr]
    return out


def notation_key(code: str) -> list[object]:
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", code)]


def test_the_sheet_has_a_row_per_position_as_the_graph_says(
    sheet: list[list[str]], expected: dict[str, dict[str, object]]
) -> None:
    assert sheet[0] == HEADER
    rows = sheet[1:]
    want = expected
    assert sorted(r[0] for r in rows) == sorted(want), "one row per position of the graph"
    for row in rows:
        w = want[row[0]]
        assert row[1:4] == [w["kk"], w["ru"], w["en"]], row[0]
        assert row[4].startswith(f"{w['block']} · ") and row[5] == w["tier"], row[0]
        assert row[6] == w["step"] and row[7] == w["grade"], row[0]
        assert row[8] == w["sector"] and row[9] == w["qual"] and row[10] == w["cat"], row[0]
        assert set(filter(None, row[11].split("; "))) == w.get("kinds", set()), row[0]
        assert row[12] == w["level"], row[0]
        assert set(row[13].split()) == w.get("isco", set()), row[0]
        assert row[15] == f"https://reg1042.example.org/position/{row[0]}"
    # the law's order: where each title's quote starts, then the code
    order = [(int(want[r[0]]["start"]), notation_key(r[0])) for r in rows]
    assert order == sorted(order)


def test_hand_checked_rows(sheet: list[list[str]]) -> None:
    by_code = {r[0]: r for r in sheet[1:]}
    nurse = by_code["B4-2-H.06"]
    assert nurse[1:4] == ["Мейіргер", "Медицинская сестра", "Nurse"]
    assert nurse[5:11] == [
        "B4",
        "2",
        "B4-2-H",
        "Денсаулық сақтау",
        "Біліктілігі орташа деңгей",
        "Бірінші санат",
    ]
    assert nurse[13] == "3221"
    head = by_code["A1-1.01"]
    assert head[11] == "Зейнетақы төлеу жөніндегі мемлекеттік орталық"  # ZTMO, by name
    assert head[12] == "Республикалық маңызы бар ММ және МҚК"  # republican, by name
    # organisation heads map to 1343 and 1344; ZTMO's kind of body decides 1344
    assert head[13] == "1344"


def test_header_frozen_and_filters_on(search_release: Path) -> None:
    ws = load_workbook(search_release / "positions.xlsx")["Positions"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:P{ws.max_row}"


def test_the_csv_keeps_its_contract_and_follows_the_law(
    search_release: Path, expected: dict[str, dict[str, object]]
) -> None:
    text = (search_release / "positions.csv").read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    header = text.split("\r\n", 1)[0].split(",")
    assert header[:7] == CONTRACT
    assert {"position_label_ru", "position_label_en", "isco_codes"} <= set(header)
    want = expected
    starts = [(int(r["source_start"]), notation_key(r["position_notation"])) for r in rows]
    assert starts == sorted(starts)
    for r in rows:
        w = want[r["position_notation"]]
        assert (r["position_label_ru"], r["position_label_en"]) == (w["ru"], w["en"])
        assert set(r["isco_codes"].split()) == w.get("isco", set())
    meta = (search_release / "positions.csv-metadata.json").read_text(encoding="utf-8")
    for name in ("position_label_ru", "position_label_en", "isco_codes"):
        assert f'"name": "{name}"' in meta


def test_both_files_are_in_the_catalog_and_the_sums(search_release: Path) -> None:
    sums = (search_release / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    for name in ("positions.xlsx", "positions.csv"):
        digest = hashlib.sha256((search_release / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in sums
    catalog = Graph().parse(search_release / "catalog.ttl", format="turtle")
    query = """
    PREFIX dcat: <http://www.w3.org/ns/dcat#>
    SELECT ?media WHERE { ?d dcat:downloadURL ?u ; dcat:mediaType ?media .
      FILTER (strends(str(?u), "/downloads/positions.xlsx")) }"""
    media = {str(r.media) for r in catalog.query(query)}
    assert any(m.endswith(XLSX_MEDIA) for m in media), media


@pytest.mark.slow
def test_the_spreadsheet_bytes_are_reproducible(tmp_path: Path) -> None:
    """Two builds with different hash seeds give the same bytes, stamped with the release's
    date (data/release.toml), not the clock's."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"build-{seed}" / "dist"
        out.parent.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", "--out", str(out)],
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
        )
        outputs.append(out)
    for name in ("positions.xlsx", "positions.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    modified = re.search(r"^modified = (\S+)", (ROOT / "data" / "release.toml").read_text(), re.M)
    year, month, day = (int(x) for x in modified[1].split("-"))
    with zipfile.ZipFile(outputs[0] / "positions.xlsx") as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(year, month, day)}
        core = z.read("docProps/core.xml").decode()
    assert f"{modified[1]}T00:00:00Z" in core
