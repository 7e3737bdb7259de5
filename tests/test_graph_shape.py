"""The published graph (register.nt of a release built once per session) says what the curated
files and the law say.

Expected values come from the curated CSV files (read with the csv module), from the text
of the law (read here), or are written by hand from reading the law; the notation grammar is
re-written below from the docstring of kg/curate/notation.py, not imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV
from register_fixtures import CYRILLIC_RE, read_rows, source_text

pytest_plugins = ["register_fixtures"]

KG = Namespace("https://reg1042.example.org/def#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")

# The grammar of kg/curate/notation.py's docstring, written out again:
#   block ::= A|B|C|D ; tier ::= block digit ; step ::= number ("-" number)? ;
#   sector ::= H|E|O ; grade ::= tier ("-" step)? ("-" sector)? ; position ::= grade "." NN
BLOCK = r"[ABCD]"
TIER = BLOCK + r"[0-9]"
NUMBER = r"[0-9]+"
STEP = NUMBER + r"(?:-" + NUMBER + r")?"
SECTOR = r"[HEO]"
GRADE = TIER + r"(?:-" + STEP + r")?(?:-" + SECTOR + r")?"
POSITION = GRADE + r"\.[0-9]{2}"
GRAMMAR = {
    "Block": re.compile(BLOCK, re.ASCII),
    "Tier": re.compile(TIER, re.ASCII),
    "Grade": re.compile(GRADE, re.ASCII),
    "Position": re.compile(POSITION, re.ASCII),
}
#: The docstring's sector letters: healthcare, education, other sectors.
SECTOR_LETTER = {"healthcare": "H", "education": "E", "other": "O"}
SECTOR_TIERS = {"B2", "B3", "B4"}


@dataclass
class Index:
    """Concepts of the register by notation (found in the graph, not minted here)."""

    g: Graph
    blocks: dict[str, URIRef]
    tiers: dict[str, URIRef]
    grades: dict[str, URIRef]
    positions: dict[str, URIRef]

    def of(self, kind: str) -> dict[str, URIRef]:
        return {
            "block": self.blocks,
            "tier": self.tiers,
            "grade": self.grades,
            "position": self.positions,
            "institution-type": by_notation(self.g, KG.InstitutionType),
        }[kind]

    def notation(self, node: URIRef) -> str:
        return str(self.g.value(node, SKOS.notation))


def by_notation(g: Graph, cls: URIRef) -> dict[str, URIRef]:
    out: dict[str, URIRef] = {}
    for node in g.subjects(RDF.type, cls):
        notations = list(g.objects(node, SKOS.notation))
        assert len(notations) == 1, f"{node} has notations {notations}"
        key = str(notations[0])
        assert key not in out, f"two {cls} with notation {key!r}"
        out[key] = node
    return out


@pytest.fixture(scope="module")
def g(release_graph: Graph) -> Graph:
    return release_graph


@pytest.fixture(scope="module")
def idx(g: Graph) -> Index:
    return Index(
        g,
        by_notation(g, KG.Block),
        by_notation(g, KG.Tier),
        by_notation(g, KG.Grade),
        by_notation(g, KG.Position),
    )


def kk_labels(g: Graph, node: URIRef) -> list[str]:
    return [str(x) for x in g.objects(node, SKOS.prefLabel) if x.language == "kk"]


def only(values: list, what: str):
    assert len(values) == 1, f"expected one {what}, found {values}"
    return values[0]


# ---------------------------------------------------------------- counts and identity


@pytest.mark.parametrize(
    ("cls", "file", "column"),
    [
        ("Block", "blocks.csv", "notation"),
        ("Tier", "tiers.csv", "notation"),
        ("Grade", "grades.csv", "notation"),
        ("Position", "positions.csv", "notation"),
    ],
)
def test_register_concepts_are_the_rows_of_the_curated_files(
    g: Graph, cls: str, file: str, column: str
) -> None:
    rows = read_rows(file)
    in_graph = by_notation(g, KG[cls])
    assert len(in_graph) == len(rows)
    assert set(in_graph) == {row[column] for row in rows}


def test_institution_types_are_the_rows_of_the_curated_file(g: Graph) -> None:
    rows = read_rows("institution_types.csv")
    nodes = set(g.subjects(RDF.type, KG.InstitutionType))
    assert len(nodes) == len(rows)
    labels = sorted(only(kk_labels(g, n), f"kk label of {n}") for n in nodes)
    assert labels == sorted(row["label_kk"] for row in rows)


def test_each_position_has_one_kk_label_equal_to_its_curated_label(idx: Index) -> None:
    wrong = []
    for row in read_rows("positions.csv"):
        labels = kk_labels(idx.g, idx.positions[row["notation"]])
        if labels != [row["label_kk"]]:
            wrong.append(f"{row['notation']}: {labels} != [{row['label_kk']!r}]")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------- hierarchy


def test_position_broader_is_its_grade(idx: Index) -> None:
    g = idx.g
    for row in read_rows("positions.csv"):
        pos, grade = idx.positions[row["notation"]], idx.grades[row["grade"]]
        assert set(g.objects(pos, SKOS.broader)) == {grade}, row["notation"]
        assert (grade, SKOS.narrower, pos) in g, row["notation"]
        assert set(g.objects(pos, KG.grade)) == {grade}, row["notation"]


def test_grade_broader_is_its_tier_and_tier_broader_its_block(idx: Index) -> None:
    g = idx.g
    for row in read_rows("grades.csv"):
        grade, tier = idx.grades[row["notation"]], idx.tiers[row["tier"]]
        assert set(g.objects(grade, SKOS.broader)) == {tier}, row["notation"]
    for row in read_rows("tiers.csv"):
        tier, block = idx.tiers[row["notation"]], idx.blocks[row["block"]]
        assert set(g.objects(tier, SKOS.broader)) == {block}, row["notation"]
    for block in idx.blocks.values():
        assert not set(g.objects(block, SKOS.broader)), block


# ---------------------------------------------------------------- notations


@pytest.mark.parametrize("cls", sorted(GRAMMAR))
def test_notations_follow_the_grammar(g: Graph, cls: str) -> None:
    notations = by_notation(g, KG[cls])
    assert notations
    bad = [n for n in notations if not GRAMMAR[cls].fullmatch(n)]
    assert not bad, f"{cls} notations outside the grammar: {bad}"


def test_grade_notation_is_tier_step_sector(idx: Index) -> None:
    g = idx.g
    for row in read_rows("grades.csv"):
        expected = row["tier"]
        if row["step"]:
            expected += "-" + row["step"]
        if row["sector"]:
            expected += "-" + SECTOR_LETTER[row["sector"]]
        assert row["notation"] == expected
        grade = idx.grades[expected]
        steps = [str(s) for s in g.objects(grade, KG.step)]
        assert steps == ([row["step"]] if row["step"] else []), expected


def test_position_notation_is_grade_dot_two_digits(idx: Index) -> None:
    for row in read_rows("positions.csv"):
        assert re.fullmatch(re.escape(row["grade"]) + r"\.[0-9]{2}", row["notation"]), row.line


def test_no_notation_in_the_graph_has_cyrillic_letters(g: Graph) -> None:
    notations = [str(o) for o in g.objects(None, SKOS.notation)]
    assert len(notations) > 400
    bad = [n for n in notations if CYRILLIC_RE.search(n) or not n.isascii()]
    assert not bad, f"notations with non-Latin letters: {bad}"


def test_curated_codes_are_latin() -> None:
    checks = [
        ("blocks.csv", ("notation",), re.compile(BLOCK, re.ASCII)),
        ("tiers.csv", ("notation",), re.compile(TIER, re.ASCII)),
        ("tiers.csv", ("block",), re.compile(BLOCK, re.ASCII)),
        ("grades.csv", ("notation",), re.compile(GRADE, re.ASCII)),
        ("grades.csv", ("tier",), re.compile(TIER, re.ASCII)),
        ("positions.csv", ("notation",), re.compile(POSITION, re.ASCII)),
        ("positions.csv", ("grade",), re.compile(GRADE, re.ASCII)),
    ]
    bad = []
    for file, columns, pattern in checks:
        for row in read_rows(file):
            for column in columns:
                value = row[column]
                if CYRILLIC_RE.search(value) or not pattern.fullmatch(value):
                    bad.append(f"data/{file}:{row.line} {column}={value!r}")
    assert not bad, "\n".join(bad)


def test_the_eleven_tiers_are_latin_codes() -> None:
    # Hand-read from the law: blocks A (three runs of steps), B (B1-B4), C (C1-C3), D (D1).
    codes = [row["notation"] for row in read_rows("tiers.csv")]
    assert codes == ["A1", "A2", "A3", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "D1"]


# ---------------------------------------------------------------- sectors


def test_only_grades_of_tiers_b2_to_b4_carry_a_sector(idx: Index) -> None:
    g = idx.g
    sectors = by_notation(g, KG.Sector)
    assert set(sectors) == set(SECTOR_LETTER.values())
    with_sector = 0
    for row in read_rows("grades.csv"):
        grade = idx.grades[row["notation"]]
        stated = list(g.objects(grade, KG.sector))
        if row["tier"] in SECTOR_TIERS:
            assert row["sector"] in SECTOR_LETTER, f"data/grades.csv:{row.line}"
            assert stated == [sectors[SECTOR_LETTER[row["sector"]]]], row["notation"]
            with_sector += 1
        else:
            assert stated == [], f"{row['notation']} carries a sector"
    # Hand-counted in the law: four categories x (B2, B3, B4 in healthcare and education;
    # B2 and B4 in other sectors) = 32 grades.
    assert with_sector == 32


# ---------------------------------------------------------------- editorial decisions


def decision_node(g: Graph, ident: str) -> URIRef:
    found = [d for d in g.subjects(RDF.type, KG.EditorialDecision) if str(d).endswith(f"/{ident}")]
    return only(found, f"editorial decision {ident}")


def test_every_decision_is_linked_from_each_of_its_subjects(idx: Index) -> None:
    g = idx.g
    rows = read_rows("decisions.csv")
    assert len(set(g.subjects(RDF.type, KG.EditorialDecision))) == len(rows)
    missing = []
    for row in rows:
        d = decision_node(g, row["id"])
        assert str(g.value(d, KG.weRecord)) == row["we_record"], row["id"]
        assert str(g.value(d, KG.lawSays)) == row["law_says"], row["id"]
        subjects = row["subjects"].split()
        assert subjects, row["id"]
        for subject in subjects:
            kind, _, key = subject.partition(":")
            target = idx.of(kind)[key]
            if (target, KG.editorialDecision, d) not in g or (d, KG.affects, target) not in g:
                missing.append(f"{row['id']} -> {subject}")
    assert not missing, "\n".join(missing)


def decision_kind(g: Graph, d: URIRef) -> str:
    return str(g.value(g.value(d, KG.decisionKind), SKOS.notation))


def quote_of(g: Graph, node: URIRef) -> tuple[str, int, int]:
    """(exact text, start, end) of the only source quote of a node."""
    q = only(list(g.objects(node, KG.sourceQuote)), f"quote of {node}")
    exact = start = end = None
    for sel in g.objects(q, OA.hasSelector):
        if (sel, RDF.type, OA.TextQuoteSelector) in g:
            exact = str(g.value(sel, OA.exact))
        if (sel, RDF.type, OA.TextPositionSelector) in g:
            start, end = int(g.value(sel, OA.start)), int(g.value(sel, OA.end))
    assert exact is not None and start is not None and end is not None, q
    return exact, start, end


# ---------------------------------------------------------------- the acts


def act(g: Graph, number: str, date: str) -> URIRef:
    found = [
        a
        for a in g.subjects(RDF.type, ELI.LegalResource)
        if (a, ELI.id_local, Literal(number)) in g
        and (a, ELI.date_document, Literal(date, datatype=XSD_DATE)) in g
    ]
    return only(found, f"act No. {number} of {date}")


def date(value: str) -> Literal:
    return Literal(value, datatype=XSD_DATE)


def test_the_source_states_the_act_facts_checked_below() -> None:
    """The hand-written facts of the act tests, as the law's text prints them."""
    text = source_text()
    assert "2015 жылғы 28 желтоқсандағы № 1042 бұйрығы" in text
    assert "2015 жылы 31 желтоқсанда № 12751 болып тіркелді" in text
    assert "Бұйрық 01.01.2016 ж. бастап қолданысқа енгізіледі" in text
    assert "2015 жылғы 30 қазандағы № 842 бұйрығының" in text
    assert "күші жойылды деп танылсын" in text
    for stamp in ("08.12.2017 № 420", "26.04.2019 № 206", "12.08.2022 № 309", "06.09.2023 № 376"):
        assert stamp in text
    assert "ҚР Еңбек және халықты әлеуметтік қорғау министрінің 08.12.2017 № 420" in text


def test_order_1042(g: Graph) -> None:
    order = act(g, "1042", "2015-12-28")
    assert set(g.objects(order, KG.registrationNumber)) == {Literal("12751")}
    assert set(g.objects(order, KG.registrationDate)) == {date("2015-12-31")}
    assert set(g.objects(order, ELI.first_date_entry_in_force)) == {date("2016-01-01")}
    repealed = act(g, "842", "2015-10-30")
    assert (order, ELI.repeals, repealed) in g
    assert (repealed, ELI.repealed_by, order) in g


@pytest.mark.parametrize(
    ("number", "day"),
    [("420", "2017-12-08"), ("206", "2019-04-26"), ("309", "2022-08-12"), ("376", "2023-09-06")],
)
def test_amending_orders_amend_1042_and_are_passed_by_the_labour_ministry(
    g: Graph, number: str, day: str
) -> None:
    order = act(g, "1042", "2015-12-28")
    amending = act(g, number, day)
    assert (amending, ELI.amends, order) in g
    assert (order, ELI.amended_by, amending) in g
    agent = only(list(g.objects(amending, ELI.passed_by)), f"agent of order {number}")
    names = {str(n) for n in g.objects(agent, FOAF.name) if n.language == "kk"}
    assert names == {"Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрі"}


def test_order_1042_has_exactly_the_four_amending_orders(g: Graph) -> None:
    order = act(g, "1042", "2015-12-28")
    numbers = sorted(str(g.value(a, ELI.id_local)) for a in g.subjects(ELI.amends, order))
    assert numbers == ["206", "309", "376", "420"]


def consolidated(g: Graph) -> URIRef:
    order = act(g, "1042", "2015-12-28")
    return only(list(g.subjects(ELI.consolidates, order)), "consolidated version of 1042")


def test_every_position_comes_from_the_consolidated_act(idx: Index) -> None:
    g, source = idx.g, consolidated(idx.g)
    assert (source, RDF.type, ELI.LegalResource) in g
    for notation, pos in idx.positions.items():
        assert set(g.objects(pos, DCTERMS.source)) == {source}, notation
        assert set(g.objects(pos, PROV.wasDerivedFrom)) == {source}, notation


def test_every_position_quote_is_its_curated_quote(idx: Index) -> None:
    text = source_text()
    for row in read_rows("positions.csv"):
        exact, start, end = quote_of(idx.g, idx.positions[row["notation"]])
        assert (exact, start, end) == (row["quote"], int(row["quote_start"]), int(row["quote_end"]))
        assert text[start:end] == exact


# ---------------------------------------------------------------- spot checks read in the law


def positions_labelled(idx: Index, label: str) -> list[URIRef]:
    return [p for p in idx.positions.values() if kk_labels(idx.g, p) == [label]]


def test_bas_gylymi_qyzmetker_is_in_grade_b1_1(idx: Index) -> None:
    # The law's row: tier В1 (Cyrillic В), step 1, "Бас ғылыми қызметкер".
    assert "В1\t1\tБас ғылыми қызметкер\n" in source_text()
    pos = only(positions_labelled(idx, "Бас ғылыми қызметкер"), "chief researcher")
    assert idx.notation(idx.g.value(pos, SKOS.broader)) == "B1-1"


def test_musical_director_and_engineer_technologist_are_two_positions_of_b2_4_o(
    idx: Index,
) -> None:
    g = idx.g
    assert "музыкалық жетекші инженер-технолог" in source_text()  # no comma in the law
    grade = idx.grades["B2-4-O"]
    in_grade = {p for p in g.subjects(SKOS.broader, grade)}
    music = only([p for p in positions_labelled(idx, "Музыкалық жетекші") if p in in_grade], "")
    engineer = only([p for p in positions_labelled(idx, "Инженер-технолог") if p in in_grade], "")
    assert music != engineer
    shared = set(g.objects(music, KG.editorialDecision)) & set(
        g.objects(engineer, KG.editorialDecision)
    )
    d = only([d for d in shared if decision_kind(g, d) == "missing-comma"], "missing-comma")
    exact, start, end = quote_of(g, d)
    assert exact == "музыкалық жетекші инженер-технолог"
    assert source_text()[start:end] == exact


def test_tier_c3_decision_records_the_cyrillic_code(idx: Index) -> None:
    g = idx.g
    cyrillic_es_ze = "\u0421\u0417"  # what the law prints for C3
    text = source_text()
    assert f"\n{cyrillic_es_ze}\t" in text and "C3" not in text
    tier = idx.tiers["C3"]
    decisions = list(g.objects(tier, KG.editorialDecision))
    quotes = [quote_of(g, d) for d in decisions if (d, KG.sourceQuote, None) in g]
    assert any(exact == cyrillic_es_ze for exact, _, _ in quotes), quotes
    for exact, start, end in quotes:
        assert text[start:end] == exact
    (d,) = [d for d in decisions if quote_of(g, d)[0] == cyrillic_es_ze]
    assert decision_kind(g, d) == "homoglyph-normalised"
    assert "U+0417" in str(g.value(d, KG.lawSays))


def test_positions_of_tier_a1_carry_the_inferred_tier_decision_on_their_grade(
    idx: Index,
) -> None:
    g = idx.g
    text = source_text()
    assert "A1" not in text and "\u04101" not in text  # no code printed, Latin or Cyrillic
    tier = idx.tiers["A1"]
    positions = [
        p for p in idx.positions.values() if g.value(g.value(p, SKOS.broader), SKOS.broader) == tier
    ]
    # Hand-counted in the law, first run of block A: step 1 names four bodies, step 2 three
    # organisation types, step 3 four; steps 1-1, 2-1 and 3-1 one deputy each.
    assert len(positions) == 4 + 1 + 3 + 1 + 4 + 1
    for p in positions:
        grade = g.value(p, SKOS.broader)
        kinds = {decision_kind(g, d) for d in g.objects(grade, KG.editorialDecision)}
        assert "tier-code-inferred" in kinds, idx.notation(p)
