"""Occupations and the ISCO-08 crosswalk: grouping, mappings, SSSOM file, SHACL rules, curated
file checks.

Expectations are written by hand (which titles name one job, which do not) or read from the
project's files with the csv module (the ISCO-08 reference list, the SSSOM file); the SSSOM
header is read with a small parser of its own, not with the writer's code.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH

from kg.curate.occupations import isco_codes_of_position
from kg.curate.register import load_register
from kg.curate.source import load_source
from kg.errors import CuratedDataError
from kg.rdf.sssom import sssom_tsv
from kg.rdf.validate import validate_graph
from kg.release.build import BuildResult
from kg.release.folder import table_artifacts
from kg.uris import KG, Uris

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
REFERENCE = DATA / "reference" / "isco08" / "isco08_unit_groups_en.csv"
OCCUPATION_SHAPES = ROOT / "shapes" / "occupations.ttl"
ISCO = "http://data.europa.eu/esco/isco/C"
MAPPING_PROPERTIES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch)
SSSOM_COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_id",
    "mapping_date",
    "confidence",
    "subject_source",
    "object_source",
    "object_source_version",
    "comment",
]


def reference_codes() -> dict[str, str]:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["preferredLabel"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def built(validated: BuildResult) -> BuildResult:
    return validated


@pytest.fixture(scope="module")
def graph(built: BuildResult) -> Graph:
    return built.graph


def titles(graph: Graph) -> dict[URIRef, str]:
    """Position URI -> Kazakh title."""
    out = {}
    for p in graph.subjects(RDF.type, KG.Position):
        kk = [str(x) for x in graph.objects(p, SKOS.prefLabel) if x.language == "kk"]
        out[p] = kk[0]
    return out


def occupation_of(graph: Graph, position: URIRef) -> URIRef:
    values = list(graph.objects(position, KG.occupation))
    assert len(values) == 1, f"{position} has {len(values)} occupations"
    return values[0]


# ---------------------------------------------------------------- grouping


def test_every_position_has_exactly_one_occupation(graph: Graph) -> None:
    positions = set(graph.subjects(RDF.type, KG.Position))
    # release 1.0.0's 368 positions (17 of them now deprecated wholes) and the 36 parts of
    # release 1.1.0's splits (data/lifecycle.csv): 387 active positions
    assert len(positions) == 368 + 36
    deprecated = set(graph.subjects(OWL.deprecated, Literal(True)))
    assert len(positions - deprecated) == 387
    for p in positions:
        occupation = occupation_of(graph, p)
        assert (occupation, RDF.type, KG.Occupation) in graph


def test_every_occupation_names_positions_and_has_labels(graph: Graph) -> None:
    scheme = Uris().occupation_scheme()
    occupations = set(graph.subjects(RDF.type, KG.Occupation))
    assert 100 <= len(occupations) <= 182  # fewer jobs than distinct titles (182)
    for occ in occupations:
        assert (occ, SKOS.inScheme, scheme) in graph
        assert set(graph.subjects(KG.occupation, occ)), occ
        langs = Counter(x.language for x in graph.objects(occ, SKOS.prefLabel))
        assert langs == {"kk": 1, "ru": 1, "en": 1}, occ
        unofficial = {str(x) for x in graph.objects(occ, KG.unofficialLabelLanguage)}
        assert unofficial == {"ru", "en"}, occ
        notation = graph.value(occ, SKOS.notation)
        assert str(occ).endswith("/occupation/" + str(notation))
        assert notation.datatype == KG.OccupationCode


def test_all_nurse_positions_share_one_occupation(graph: Graph) -> None:
    nurses = [p for p, t in titles(graph).items() if t == "Мейіргер"]
    assert len(nurses) == 8  # B3 and B4 healthcare, four categories each
    assert len({occupation_of(graph, p) for p in nurses}) == 1


@pytest.mark.parametrize(
    "title",
    [
        "Жүзу жөніндегі нұсқаушы",
        "Бухгалтер",
        "Әлеуметтік жұмыс жөніндегі маман",
        "Барлық мамандықтағы дәрігерлер",
        "Акушер",
    ],
)
def test_one_title_in_many_grades_is_one_occupation(graph: Graph, title: str) -> None:
    positions = [p for p, t in titles(graph).items() if t == title]
    assert len(positions) >= 2
    assert len({occupation_of(graph, p) for p in positions}) == 1


def test_chief_accountants_are_not_accountants(graph: Graph) -> None:
    by_title = titles(graph)
    chief = [p for p, t in by_title.items() if t.endswith("бас бухгалтері")]
    deputy = [p for p, t in by_title.items() if "бас бухгалтерінің орынбасары" in t]
    plain = [p for p, t in by_title.items() if t == "Бухгалтер"]
    assert len(chief) == 4 and len(deputy) == 3 and len(plain) == 2
    chief_occ = {occupation_of(graph, p) for p in chief}
    deputy_occ = {occupation_of(graph, p) for p in deputy}
    plain_occ = {occupation_of(graph, p) for p in plain}
    assert len(chief_occ) == len(deputy_occ) == len(plain_occ) == 1
    assert len(chief_occ | deputy_occ | plain_occ) == 3


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Бас инженер", "Барлық мамандықтағы инженер"),
        ("Мейіргер", "Медициналық мейіргердің көмекшісі"),
        ("Мейіргер", "Диеталық мейіргер"),
        ("Тәрбиеші", "Тәрбиешінің көмекшісі"),
        (
            "Стационарлық үлгідегі ұйымның басшысы",
            "Республикалық маңызы бар ММ және МҚК басшысының орынбасары",
        ),
        ("Хатшы", "Ғалым хатшы"),
        ("Жүзу жөніндегі нұсқаушы", "Еңбек терапиясы жөніндегі нұсқаушы"),
        ("Провизор (фармацевт)", "Фармацевт"),
    ],
)
def test_distinct_jobs_stay_distinct(graph: Graph, a: str, b: str) -> None:
    by_title = titles(graph)
    occ_a = {occupation_of(graph, p) for p, t in by_title.items() if t == a}
    occ_b = {occupation_of(graph, p) for p, t in by_title.items() if t == b}
    assert occ_a and occ_b and not occ_a & occ_b


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # the same head of a social-service organisation, whatever the organisation
        ("Үйде қызмет көрсету ұйымының басшысы", "Уақытша болу ұйымының басшысы"),
        # the ranks of tier B1 are one job
        ("Бас ғылыми қызметкер", "Кіші ғылыми қызметкер"),
        # the institution says where, not what
        ("Ассистент", "Мансап орталығының ассистенті"),
        ("Әдіскер", "Біліктілікті арттыру курстарының әдіскері"),
    ],
)
def test_titles_that_name_one_job(graph: Graph, a: str, b: str) -> None:
    by_title = titles(graph)
    occ = {occupation_of(graph, p) for p, t in by_title.items() if t in (a, b)}
    assert len(occ) == 1


def test_positions_named_by_their_occupation_are_translated(graph: Graph) -> None:
    for p, title in titles(graph).items():
        occ = occupation_of(graph, p)
        labels = {x.language: str(x) for x in graph.objects(p, SKOS.prefLabel)}
        assert {"kk", "ru", "en"} <= set(labels), p
        assert {str(x) for x in graph.objects(p, KG.unofficialLabelLanguage)} == {"ru", "en"}
        occ_labels = {x.language: str(x) for x in graph.objects(occ, SKOS.prefLabel)}
        if occ_labels["kk"] == title:
            assert labels["ru"] == occ_labels["ru"] and labels["en"] == occ_labels["en"], p


# ---------------------------------------------------------------- crosswalk


def test_every_mapping_target_is_a_unit_group_of_the_reference_list(graph: Graph) -> None:
    codes = reference_codes()
    assert len(codes) == 436
    targets = set()
    for occ in graph.subjects(RDF.type, KG.Occupation):
        mapped = [t for p in MAPPING_PROPERTIES for t in graph.objects(occ, p)]
        assert mapped, f"{occ} has no ISCO-08 mapping"
        targets.update(mapped)
    for t in targets:
        assert str(t).startswith(ISCO), t
        code = str(t)[len(ISCO) :]
        assert code in codes, t
        assert graph.value(t, SKOS.notation) == Literal(code)
        assert graph.value(t, SKOS.prefLabel) == Literal(codes[code], lang="en")
        assert (t, SKOS.inScheme, URIRef("http://data.europa.eu/esco/concept-scheme/isco")) in graph


def test_hand_picked_mappings(graph: Graph) -> None:
    base = Uris().base

    def maps(occ: str) -> set[tuple[str, str]]:
        node = URIRef(f"{base}occupation/{occ}")
        return {
            (p.split("#")[1], str(t)[len(ISCO) :])
            for p in MAPPING_PROPERTIES
            for t in graph.objects(node, p)
        }

    assert maps("nurse") == {("narrowMatch", "2221"), ("narrowMatch", "3221")}
    assert maps("swimming-instructor") == {("closeMatch", "3422")}  # reviewed in 1.1.0
    assert maps("chief-accountant") == {("broadMatch", "1211")}
    assert ("closeMatch", "2411") in maps("accountant") and ("closeMatch", "3313") in maps(
        "accountant"
    )
    assert maps("psychologist") == {("exactMatch", "2634")}
    assert maps("doctor") == {("narrowMatch", "2211"), ("narrowMatch", "2212")}


def test_qualification_levels_pick_the_isco_group_of_a_position(built: BuildResult) -> None:
    reg = built.register
    assert isco_codes_of_position(reg, "B3-1-H.01") == ["2221"]  # nurse, high qualification
    assert isco_codes_of_position(reg, "B4-2-H.06") == ["3221"]  # nurse, medium qualification
    assert isco_codes_of_position(reg, "C2.02") == ["2411"]  # accountant, C2 (high)
    assert isco_codes_of_position(reg, "C3.02") == ["3313"]  # accountant, C3 (medium)
    assert isco_codes_of_position(reg, "B2-1-O.01") == ["3422"]  # swimming instructor
    assert isco_codes_of_position(reg, "C2.05") == ["2631"]  # economist, C2 (high)
    assert isco_codes_of_position(reg, "C3.05") == ["3314"]  # economist, C3 (medium)


def test_every_mapping_has_its_provenance_record(graph: Graph) -> None:
    stated = {
        (s, p, o)
        for p in MAPPING_PROPERTIES
        for s, o in graph.subject_objects(p)
        if (s, RDF.type, KG.Occupation) in graph
    }
    records = set()
    for rec in graph.subjects(RDF.type, KG.Mapping):
        triple = (
            graph.value(rec, OWL.annotatedSource),
            graph.value(rec, OWL.annotatedProperty),
            graph.value(rec, OWL.annotatedTarget),
        )
        records.add(triple)
        # made for release 1.0.0, or changed by the review of release 1.1.0
        created = str(graph.value(rec, URIRef("http://purl.org/dc/terms/created")))
        justification = graph.value(rec, URIRef("https://w3id.org/sssom/mapping_justification"))
        assert (created, justification) in {
            ("2026-11-26", URIRef("https://w3id.org/semapv/vocab/ManualMappingCuration")),
            ("2026-12-06", URIRef("https://w3id.org/semapv/vocab/MappingReview")),
        }
        assert (
            str(graph.value(rec, URIRef("https://w3id.org/sssom/object_source_version")))
            == "ISCO-08 (ESCO v1.1.0)"
        )
        confidence = graph.value(rec, URIRef("https://w3id.org/sssom/confidence"))
        assert confidence.datatype == XSD.double and 0 < float(confidence) <= 1
        author = graph.value(rec, URIRef("http://purl.org/pav/authoredBy"))
        assert author == URIRef(Uris().base + "agent/curation-team")
    assert records == stated


def test_the_shapes_list_exactly_the_reference_unit_groups() -> None:
    shapes = Graph().parse(OCCUPATION_SHAPES, format="turtle")
    shape = URIRef("https://reg1042.example.org/shapes#ISCO08UnitGroupShape")
    listed = [str(x) for x in shapes.collection(shapes.value(shape, SH["in"]))]
    assert listed == [ISCO + code for code in reference_codes()]


# ---------------------------------------------------------------- SSSOM


def parse_sssom(data: bytes) -> tuple[dict, list[dict[str, str]], list[str]]:
    """The '#' YAML block (the subset the file uses: keys, one level of mapping or list,
    double-quoted scalars) and the TSV table."""
    text = data.decode("utf-8")
    header = [line[1:] for line in text.splitlines() if line.startswith("#")]
    meta: dict = {}
    key = ""
    for line in header:
        if line.startswith("  - "):  # an item of a list
            if not isinstance(meta[key], list):
                meta[key] = []
            meta[key].append(json.loads(line[4:]))
        elif line.startswith("  "):  # an entry of a mapping
            if not isinstance(meta[key], dict):
                meta[key] = {}
            name, _, value = line.strip().partition(": ")
            meta[key][name] = json.loads(value)
        else:
            key, _, value = line.partition(":")
            meta[key] = json.loads(value) if value.strip() else None
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    reader = csv.DictReader(io.StringIO(body), delimiter="\t")
    return meta, list(reader), list(reader.fieldnames or [])


def test_the_sssom_file_parses_and_names_the_graph(graph: Graph) -> None:
    uris = Uris()
    artifacts = {a.name: a for a in table_artifacts(graph, uris)}
    assert "mappings.sssom.tsv" in artifacts
    data = artifacts["mappings.sssom.tsv"].data
    assert data == sssom_tsv(graph, uris)  # the release file is the writer's output
    meta, rows, columns = parse_sssom(data)

    assert columns == SSSOM_COLUMNS
    for key in (
        "curie_map",
        "mapping_set_id",
        "mapping_set_version",
        "license",
        "mapping_set_description",
    ):
        assert meta.get(key), key
    assert meta["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert meta["mapping_set_version"] == "2026-12-06"  # the date of the latest mapping
    assert (
        "This service uses the ESCO classification of the European Commission."
        in meta["mapping_set_description"]
    )

    curie_map = meta["curie_map"]

    def expand(curie: str) -> str:
        prefix, _, local = curie.partition(":")
        assert prefix in curie_map, curie
        return curie_map[prefix] + local

    codes = reference_codes()
    occupations = set(graph.subjects(RDF.type, KG.Occupation))
    assert len(rows) == len(set(graph.subjects(RDF.type, KG.Mapping)))
    with (DATA / "isco_mappings.csv").open(encoding="utf-8", newline="") as handle:
        curated = {(r["occupation"], r["isco_code"]): r for r in csv.DictReader(handle)}
    for row in rows:
        subject = URIRef(expand(row["subject_id"]))
        assert subject in occupations, row["subject_id"]
        predicate = URIRef(expand(row["predicate_id"]))
        assert predicate in MAPPING_PROPERTIES
        target = URIRef(expand(row["object_id"]))
        assert (subject, predicate, target) in graph
        code = str(target)[len(ISCO) :]
        assert row["object_label"] == codes[code]
        assert (row["mapping_justification"], row["mapping_date"]) in {
            ("semapv:ManualMappingCuration", "2026-11-26"),
            ("semapv:MappingReview", "2026-12-06"),
        }
        assert expand(row["author_id"]) == Uris().base + "agent/curation-team"
        source = curated[(row["subject_id"].split(":")[1], code)]
        assert float(row["confidence"]) == float(source["confidence"])
        assert row["mapping_date"] == source["mapping_date"]
        assert expand(row["subject_source"]) == str(uris.occupation_scheme())
        assert expand(row["object_source"]) == "http://data.europa.eu/esco/concept-scheme/isco"
        assert row["object_source_version"] == "ISCO-08 (ESCO v1.1.0)"


# ---------------------------------------------------------------- SHACL


def test_the_graph_conforms(built: BuildResult) -> None:
    assert built.validation.conforms, built.validation.summary()


def occupation_messages(g: Graph) -> list[str]:
    result = validate_graph(g, [OCCUPATION_SHAPES], parallel=False)
    return [v.message for v in result.violations]


def broken_copy(graph: Graph) -> Graph:
    copy = Graph()
    for t in graph:
        copy.add(t)
    return copy


def test_shacl_rejects_a_position_without_occupation(graph: Graph) -> None:
    g = broken_copy(graph)
    position = URIRef(Uris().base + "position/C2.02")
    g.remove((position, KG.occupation, None))
    assert any("exactly one occupation" in m for m in occupation_messages(g))


def test_shacl_rejects_an_occupation_without_mapping(graph: Graph) -> None:
    g = broken_copy(graph)
    occ = URIRef(Uris().base + "occupation/psychologist")
    g.remove((occ, SKOS.exactMatch, None))
    messages = occupation_messages(g)
    assert any("at least one ISCO-08 mapping" in m for m in messages), messages
    assert any("names a triple the graph does not state" in m for m in messages), messages


def test_shacl_rejects_a_target_outside_the_reference_list(graph: Graph) -> None:
    g = broken_copy(graph)
    occ = URIRef(Uris().base + "occupation/psychologist")
    fake = URIRef(ISCO + "2639")  # not an ISCO-08 unit group
    g.add((occ, SKOS.closeMatch, fake))
    g.add((fake, SKOS.inScheme, URIRef("http://data.europa.eu/esco/concept-scheme/isco")))
    g.add((fake, SKOS.notation, Literal("2639")))
    g.add((fake, SKOS.prefLabel, Literal("Not a unit group", lang="en")))
    messages = occupation_messages(g)
    assert any("unit group of the reference list" in m for m in messages), messages
    assert any("mapping record" in m for m in messages), messages  # and it has no record


def test_shacl_accepts_the_register_graph_without_occupations() -> None:
    """The rules apply to a graph that publishes occupations (the minimal test graphs do not)."""
    g = Graph()
    g.add((URIRef("urn:x:p"), RDF.type, KG.Position))
    assert occupation_messages(g) == []


# ---------------------------------------------------------------- curated files


def copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    return data


def problems_of(data: Path) -> list[str]:
    with pytest.raises(CuratedDataError) as caught:
        load_register(data, load_source(data / "source"))
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, start: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(start):
            return i
    raise AssertionError(start)


def test_an_unknown_isco_code_is_reported_with_file_and_line(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "isco_mappings.csv"
    line = line_of(path, "swimming-instructor,")
    raw = path.read_text(encoding="utf-8")
    path.write_text(
        raw.replace(
            "swimming-instructor,skos:closeMatch,3422,", "swimming-instructor,skos:closeMatch,3429,"
        ),
        encoding="utf-8",
    )
    problems = problems_of(data)
    assert any(p.startswith(f"data/isco_mappings.csv:{line}: isco_code 3429") for p in problems), (
        problems
    )


def test_a_position_without_occupation_is_reported(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "position_occupations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("C2.02,")), encoding="utf-8")
    problems = problems_of(data)
    line = line_of(data / "positions.csv", "C2.02,")
    assert (
        f"data/positions.csv:{line}: position C2.02 has no occupation in data/position_occupations.csv"
        in problems
    )


def test_a_wrong_isco_label_is_reported(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "isco_mappings.csv"
    raw = path.read_text(encoding="utf-8")
    path.write_text(
        raw.replace(
            ",3423,Fitness and recreation instructors and program leaders,",
            ",3423,Swimming teachers,",
        ),
        encoding="utf-8",
    )
    problems = problems_of(data)
    assert any("isco_label 'Swimming teachers' is not the label of 3423" in p for p in problems), (
        problems
    )


@pytest.mark.slow  # an external checker (sssom-py)
def test_the_sssom_file_validates_with_sssom_py(graph: Graph, tmp_path: Path) -> None:
    """sssom-py, the reference implementation, reads the file and finds no error (its JSON
    Schema, prefix map and CURIE checks); every mapping has its confidence from the CSV."""
    from sssom.parsers import parse_sssom_table
    from sssom.validators import DEFAULT_VALIDATION_TYPES
    from sssom.validators import validate as sssom_validate

    path = tmp_path / "mappings.sssom.tsv"
    path.write_bytes(sssom_tsv(graph, Uris()))
    msdf = parse_sssom_table(path)
    sssom_validate(msdf, DEFAULT_VALIDATION_TYPES, fail_on_error=True)
    with (DATA / "isco_mappings.csv").open(encoding="utf-8", newline="") as handle:
        curated = list(csv.DictReader(handle))
    assert len(msdf.df) == len(curated) == 173
    confidences = sorted(float(x) for x in msdf.df["confidence"])
    assert confidences == sorted(float(r["confidence"]) for r in curated)
    assert all(0 < c <= 1 for c in confidences)
    # the mappings whose comments admit a guess are the least sure
    guesses = [r for r in curated if r["comment"].startswith("Uncertain")]
    assert len(guesses) == 6 and all(float(r["confidence"]) <= 0.4 for r in guesses)


def test_sssom_py_rejects_a_broken_file(graph: Graph, tmp_path: Path) -> None:
    from sssom.parsers import parse_sssom_table
    from sssom.validators import DEFAULT_VALIDATION_TYPES
    from sssom.validators import validate as sssom_validate

    path = tmp_path / "broken.sssom.tsv"
    text = sssom_tsv(graph, Uris()).decode("utf-8")
    path.write_text(text.replace("reg1042occ:accountant\t", "nowhere:accountant\t"), "utf-8")
    with pytest.raises(Exception, match="validation error"):
        sssom_validate(parse_sssom_table(path), DEFAULT_VALIDATION_TYPES, fail_on_error=True)


# ---------------------------------------------------------------- each position's group


def test_each_position_has_its_group_where_the_register_decides_it(graph: Graph) -> None:
    base = Uris().base

    def group(notation: str) -> list[str]:
        node = URIRef(f"{base}position/{notation}")
        return [str(o)[len(ISCO) :] for o in graph.objects(node, KG.iscoUnitGroup)]

    def note(notation: str) -> str:
        return str(graph.value(URIRef(f"{base}position/{notation}"), KG.iscoUnitGroupNote) or "")

    assert group("C2.02") == ["2411"] and note("C2.02") == ""  # one group for its level
    assert group("C3.05") == ["3314"]  # economist, medium (reviewed)
    assert group("A3-1.08") == ["1223"]  # a research institute's directorate
    assert group("A3-1.02") == ["1344"]  # the pension payment centre's directorate
    assert group("B2-1-O.06") == ["2424"]  # the advanced training courses' methodologist
    assert group("B2-1-O.05") == ["2351"]
    assert group("D1.38") == ["4229"] and group("D1.02") == ["4110"]
    assert group("A1-1.01") == ["1344"] and "ZTMO" in note("A1-1.01")
    for undecided in ("B1-1.01", "B2-1-H.01", "B2-1-O.12", "A1-2.02", "C2.03"):
        assert group(undecided) == [], undecided
        assert note(undecided).startswith("Not decided:"), undecided
    assert group("A3-1.03") == [] and note("A3-1.03") == ""  # deprecated: none
    active = {
        p
        for p in graph.subjects(RDF.type, KG.Position)
        if (p, OWL.deprecated, Literal(True)) not in graph
    }
    stated = set(graph.subjects(KG.iscoUnitGroup, None)) | set(
        graph.subjects(KG.iscoUnitGroupNote, None)
    )
    assert stated == active  # every active position has its group or says why not


def test_a_missing_or_wrong_position_group_is_reported_with_file_and_line(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "position_isco.csv"
    line = line_of(path, "A3-1.08,")
    raw = path.read_text(encoding="utf-8")
    raw = raw.replace(
        "A3-1.08,ЕҚРҒЗИ басқармасының басшысы,1223,", "A3-1.08,ЕҚРҒЗИ басқармасының басшысы,2411,"
    )
    path.write_text(
        "".join(x for x in raw.splitlines(keepends=True) if not x.startswith("D1.38,")), "utf-8"
    )
    problems = problems_of(data)
    assert (
        f"data/position_isco.csv:{line}: isco_code 2411 is not one of the groups of A3-1.08's occupation (1344, 1223)"
        in problems
    ), problems
    d138 = line_of(data / "positions.csv", "D1.38,")
    assert any(
        p.startswith(f"data/positions.csv:{d138}: the occupation of D1.38 maps to several")
        for p in problems
    ), problems


def test_a_lifecycle_row_naming_an_unknown_decision_is_reported(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "lifecycle.csv"
    line = line_of(path, "A2-2.03,")
    path.write_text(path.read_text(encoding="utf-8").replace(",ED046,", ",ED999,"), "utf-8")
    problems = problems_of(data)
    assert (
        f"data/lifecycle.csv:{line}: unknown decision 'ED999' (not in data/decisions.csv)"
        in problems
    )
