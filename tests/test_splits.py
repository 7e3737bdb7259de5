"""Release 1.1.0: ED001's rule applied to every coordinated cell.

Every cell the review listed is split into one position per coordinated part: the parts are
active, have their own Kazakh label (written here by hand, from the law's words and the
recorded decisions), Russian, English and kk-Latn labels, their own institution types, the
whole cell's quote span and the whole's occupation; the whole keeps its URI and label, and is
deprecated and replaced by its parts, with the act and the decision that split it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.rdf.validate import validate_graph
from kg.release.build import BuildResult
from kg.uris import KG, OA, SSSOM, Uris

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "data" / "source" / "order-1042.kk.txt").read_text(encoding="utf-8")
U = Uris()

REG = "Облыстық маңызы бар (астананың, республикалық маңызы бар қаланың) "
DIS = "Аудандық маңызы бар (облыстық маңызы бар қаланың) "
EMC = "Еңбек мобильділігі орталығының құрылымдық бөлімшесінің маманы"
CAR = "Мансап орталығының құрылымдық бөлімшесінің маманы"

#: whole -> (decision, 1.0.0 label of the whole, {part: (Kazakh label, institution types)})
CELLS: dict[str, tuple[str, str, dict[str, tuple[str, set[str]]]]] = {
    "A2-1-1.02": (
        "ED045",
        "ЕҚРҒЗИ және ӘОДҒПО филиалының басшысы",
        {
            "A2-1-1.06": ("ЕҚРҒЗИ филиалының басшысы", {"EQRGZI", "branch"}),
            "A2-1-1.07": ("ӘОДҒПО филиалының басшысы", {"AODGPO", "branch"}),
        },
    ),
    "A2-2.03": (
        "ED046",
        REG + "стационарлық, жартылай стационарлық үлгідегі және уақытша болу ұйымы "
        "директорының әкімшілік-шаруашылық жұмыс жөніндегі орынбасары",
        {
            "A2-2.07": (
                REG + "стационарлық үлгідегі ұйым директорының "
                "әкімшілік-шаруашылық жұмыс жөніндегі орынбасары",
                {"stationary-organisation"},
            ),
            "A2-2.08": (
                REG + "жартылай стационарлық үлгідегі ұйым директорының "
                "әкімшілік-шаруашылық жұмыс жөніндегі орынбасары",
                {"semi-stationary-organisation"},
            ),
            "A2-2.09": (
                REG + "уақытша болу ұйымы директорының "
                "әкімшілік-шаруашылық жұмыс жөніндегі орынбасары",
                {"temporary-stay-organisation"},
            ),
        },
    ),
    "A2-2-1.02": (
        "ED047",
        REG + "стационарлық үлгідегі және жартылай стационарлық үлгідегі ұйымның медициналық "
        "бөлімшесінің меңгерушісі",
        {
            "A2-2-1.06": (
                REG + "стационарлық үлгідегі ұйымның медициналық бөлімшесінің меңгерушісі",
                {"stationary-organisation", "structural-unit"},
            ),
            "A2-2-1.07": (
                REG + "жартылай стационарлық үлгідегі ұйымның медициналық бөлімшесінің меңгерушісі",
                {"semi-stationary-organisation", "structural-unit"},
            ),
        },
    ),
    "A2-3.02": (
        "ED048",
        DIS + "жартылай стационарлық үлгідегі ұйым, уақытша болу ұйымы директорының "
        "(басшысының) әлеуметтік жұмыс жөніндегі орынбасары",
        {
            "A2-3.05": (
                DIS + "жартылай стационарлық үлгідегі ұйым директорының (басшысының) "
                "әлеуметтік жұмыс жөніндегі орынбасары",
                {"semi-stationary-organisation"},
            ),
            "A2-3.06": (
                DIS + "уақытша болу ұйымы директорының (басшысының) "
                "әлеуметтік жұмыс жөніндегі орынбасары",
                {"temporary-stay-organisation"},
            ),
        },
    ),
    "A3-1.03": (
        "ED012",
        "ЕҚРҒЗИ және ӘОДҒПО зертханасының басшысы",
        {
            "A3-1.06": ("ЕҚРҒЗИ зертханасының басшысы", {"EQRGZI"}),
            "A3-1.07": ("ӘОДҒПО зертханасының басшысы", {"AODGPO"}),
        },
    ),
    "A3-1.04": (
        "ED012",
        "ЕҚРҒЗИ және ӘОДҒПО басқармасының басшысы",
        {
            "A3-1.08": ("ЕҚРҒЗИ басқармасының басшысы", {"EQRGZI"}),
            "A3-1.09": ("ӘОДҒПО басқармасының басшысы", {"AODGPO"}),
        },
    ),
    "A3-2.01": (
        "ED049",
        "ЗТМО аудандық және қалалық филиал бөлімшесінің басшысы",
        {
            "A3-2.03": (
                "ЗТМО аудандық филиал бөлімшесінің басшысы",
                {"ZTMO", "branch", "structural-unit"},
            ),
            "A3-2.04": (
                "ЗТМО қалалық филиал бөлімшесінің басшысы",
                {"ZTMO", "branch", "structural-unit"},
            ),
        },
    ),
    "A3-2-1.04": (
        "ED050",
        REG + "жартылай стационарлық үлгідегі, уақытша болу және үйде қызмет көрсету "
        "бөлімінің басшысы",
        {
            "A3-2-1.06": (
                REG + "жартылай стационарлық үлгідегі бөлімнің басшысы",
                {"semi-stationary-organisation", "structural-unit"},
            ),
            "A3-2-1.07": (
                REG + "уақытша болу бөлімінің басшысы",
                {"temporary-stay-organisation", "structural-unit"},
            ),
            "A3-2-1.08": (
                REG + "үйде қызмет көрсету бөлімінің басшысы",
                {"home-care-organisation", "structural-unit"},
            ),
        },
    ),
    "A3-3.01": (
        "ED051",
        "ЗТМО аудандық және қалалық бөлімшесінің бөлім басшысы",
        {
            "A3-3.05": ("ЗТМО аудандық бөлімшесінің бөлім басшысы", {"ZTMO", "structural-unit"}),
            "A3-3.06": ("ЗТМО қалалық бөлімшесінің бөлім басшысы", {"ZTMO", "structural-unit"}),
        },
    ),
}
_O_WHOLE = "Еңбек мобильділігі орталығы және Мансап орталығының құрылымдық бөлімшесінің маманы"
for _whole, _first in (
    ("B2-1-O.08", 17),
    ("B2-2-O.08", 17),
    ("B2-3-O.08", 17),
    ("B2-4-O.08", 22),
    ("B4-1-O.06", 13),
    ("B4-2-O.06", 13),
    ("B4-3-O.06", 13),
    ("B4-4-O.06", 17),
):
    _grade = _whole.split(".")[0]
    # ED019: B2-4-O keeps the law's "(қызметінің)"
    _career = CAR.replace("орталығының", "орталығының (қызметінің)") if _grade == "B2-4-O" else CAR
    CELLS[_whole] = (
        "ED052",
        _O_WHOLE,
        {
            f"{_grade}.{_first:02d}": (EMC, {"labour-mobility-centre", "structural-unit"}),
            f"{_grade}.{_first + 1:02d}": (_career, {"career-centre", "structural-unit"}),
        },
    )

#: Parts whose label departs from the law's words, with the decision that records it.
ENDING_DECISIONS = {
    "A2-2.07": "ED053",
    "A2-2.08": "ED053",
    "A3-2-1.06": "ED054",
    **{
        p: "ED055" for _d, _l, parts in CELLS.values() for p, (kk, _i) in parts.items() if kk == EMC
    },
    "C1.02": "ED056",
    "C1.03": "ED057",
    "C1.04": "ED058",
}


@pytest.fixture(scope="module")
def built(validated: BuildResult) -> BuildResult:
    return validated


@pytest.fixture(scope="module")
def graph(built: BuildResult) -> Graph:
    return built.graph


def label(g: Graph, node: URIRef, lang: str, prop: URIRef = SKOS.prefLabel) -> list[str]:
    return [str(x) for x in g.objects(node, prop) if (x.language or "").lower() == lang]


def span(g: Graph, node: URIRef) -> tuple[int, int, str]:
    (q,) = list(g.objects(node, KG.sourceQuote))
    pos = next(s for s in g.objects(q, OA.hasSelector) if str(s).endswith("#position"))
    exact = next(s for s in g.objects(q, OA.hasSelector) if str(s).endswith("#exact"))
    return (
        int(g.value(pos, OA.start)),
        int(g.value(pos, OA.end)),
        str(g.value(exact, OA.exact)),
    )


def deprecated(g: Graph, node: URIRef) -> bool:
    return (node, OWL.deprecated, Literal(True)) in g


def test_the_counts(graph: Graph) -> None:
    positions = set(graph.subjects(RDF.type, KG.Position))
    wholes = {U.position(w) for w in CELLS}
    parts = {U.position(p) for _d, _l, ps in CELLS.values() for p in ps}
    assert len(CELLS) == 17 and len(parts) == 36
    assert {p for p in positions if deprecated(graph, p)} == wholes
    assert len(positions) == 368 + 36 and len(positions - wholes) == 387


@pytest.mark.parametrize("whole", sorted(CELLS))
def test_the_whole_is_deprecated_and_replaced_by_its_parts(graph: Graph, whole: str) -> None:
    decision, old_label, parts = CELLS[whole]
    w = U.position(whole)
    assert deprecated(graph, w)
    assert label(graph, w, "kk") == [old_label]  # a deprecated position keeps its label
    assert set(graph.objects(w, DCTERMS.isReplacedBy)) == {U.position(p) for p in parts}
    for p in parts:
        assert (U.position(p), DCTERMS.replaces, w) in graph
    assert set(graph.objects(w, PROV.wasInvalidatedBy)) == {U.act("order-2015-1042-consolidated")}
    assert U.decision(decision) in set(graph.objects(w, KG.editorialDecision))
    (note,) = label(graph, w, "en", SKOS.historyNote)
    assert decision in note and all(p in note for p in parts)


@pytest.mark.parametrize("whole", sorted(CELLS))
def test_each_part_is_a_position_of_its_own(graph: Graph, whole: str) -> None:
    decision, _old, parts = CELLS[whole]
    w = U.position(whole)
    start, end, exact = span(graph, w)
    assert SOURCE[start:end] == exact
    for part, (kk, itypes) in parts.items():
        p = U.position(part)
        assert not deprecated(graph, p)
        assert label(graph, p, "kk") == [kk]
        assert len(label(graph, p, "ru")) == 1 and len(label(graph, p, "en")) == 1
        assert label(graph, p, "kk-latn", SKOS.altLabel)
        # every part shares the cell's quote span, exact to the code point
        assert span(graph, p) == (start, end, exact)
        assert {
            str(graph.value(i, SKOS.notation)) for i in graph.objects(p, KG.institutionType)
        } == (itypes)
        assert graph.value(p, KG.grade) == graph.value(w, KG.grade)
        assert graph.value(p, KG.occupation) == graph.value(w, KG.occupation)
        assert U.decision(decision) in set(graph.objects(p, KG.editorialDecision))
        if part in ENDING_DECISIONS:
            assert U.decision(ENDING_DECISIONS[part]) in set(graph.objects(p, KG.editorialDecision))


def test_translations_of_the_parts_name_their_own_body(graph: Graph) -> None:
    def ru_en(n: str) -> tuple[str, str]:
        p = U.position(n)
        return label(graph, p, "ru")[0], label(graph, p, "en")[0]

    assert ru_en("A2-1-1.06") == (
        "Руководитель филиала Республиканского научно-исследовательского института по охране труда",
        "Head of a branch of the Republican Research Institute for Labour Protection",
    )
    assert ru_en("B4-1-O.13") == (
        "Специалист структурного подразделения центра трудовой мобильности",
        "Specialist of a unit of the labour mobility centre",
    )
    assert ru_en("B4-1-O.14") == (
        "Специалист структурного подразделения центра карьеры",
        "Specialist of a unit of the career centre",
    )
    ru, en = ru_en("A3-3.06")
    assert "городского отделения Государственного центра по выплате пенсий" in ru
    assert en == "Head of a section of a city unit of the State Centre for Pension Payment"


def test_c1_units_carry_their_possessive_ending(graph: Graph) -> None:
    expected = {
        "C1.01": "ММ және МҚК шаруашылық бөлімшесінің басшысы (меңгерушісі)",
        "C1.02": "ММ және МҚК дәріханасының басшысы (меңгерушісі)",
        "C1.03": "ММ және МҚК асханасының басшысы (меңгерушісі)",
        "C1.04": "ММ және МҚК шеберханасының басшысы (меңгерушісі)",
    }
    for n, kk in expected.items():
        p = U.position(n)
        assert label(graph, p, "kk") == [kk]
        if n in ENDING_DECISIONS:
            assert U.decision(ENDING_DECISIONS[n]) in set(graph.objects(p, KG.editorialDecision))
    assert label(graph, U.position("C1.02"), "ru") == [
        "Руководитель аптеки (заведующий аптекой) государственного учреждения или казенного "
        "государственного предприятия"
    ]
    assert label(graph, U.position("C1.02"), "en") == [
        "Head of the pharmacy of a state institution or state treasury enterprise"
    ]


def test_review_fixes_of_translations(graph: Graph) -> None:
    everything = [str(o) for o in graph.objects(None, SKOS.prefLabel)]
    ru = [x for x in everything if "ё" in x]
    assert not ru, ru  # official Kazakhstani texts write е
    assert not [x for x in everything if "ГЦВП" in x or "ГУ и КГП" in x]
    assert not [x for x in everything if "state institutions and enterprises" in x]
    assert label(graph, U.position("B4-4-H.05"), "en") == ["Medical records clerk"]
    assert label(graph, U.position("C3.24"), "en") == ["Warehouse manager"]
    assert label(graph, U.position("B2-4-O.13"), "ru") == [
        "Социальный работник по уходу за детьми с инвалидностью и лицами с инвалидностью "
        "старше 18 лет, имеющими психоневрологические заболевания"
    ]


def test_a_kept_cell_has_its_reason(graph: Graph) -> None:
    d = U.decision("ED059")
    assert str(graph.value(graph.value(d, KG.decisionKind), SKOS.notation)) == "coordination-kept"
    assert {U.institution_type("MM"), U.institution_type("MQK")} <= set(
        graph.objects(d, KG.affects)
    )


# ---------------------------------------------------------------------------- the SHACL gate


def messages(g: Graph) -> str:
    result = validate_graph(g)
    assert not result.conforms
    return result.summary()


@pytest.mark.slow  # full-graph SHACL runs
def test_the_gate_requires_a_replacement_or_a_reason(graph: Graph) -> None:
    broken = Graph() + graph
    whole = U.position("A2-2.03")
    for p in (DCTERMS.isReplacedBy, KG.editorialDecision, PROV.wasInvalidatedBy):
        broken.remove((whole, p, None))
    assert "A deprecated concept has a replacement" in messages(broken)


@pytest.mark.slow  # full-graph SHACL runs
def test_the_gate_requires_a_confidence_for_every_mapping(graph: Graph) -> None:
    record = next(graph.subjects(RDF.type, KG.Mapping))
    missing = Graph() + graph
    missing.remove((record, SSSOM.confidence, None))
    assert "sssom:confidence" in messages(missing)
    too_sure = Graph() + graph
    too_sure.set((record, SSSOM.confidence, Literal("1.5", datatype=XSD.double)))
    assert "sssom:confidence" in messages(too_sure)


def test_the_positions_csv_marks_the_wholes(graph: Graph) -> None:
    import csv
    import io

    from kg.rdf.tables import positions_csv

    rows = {
        r["position_notation"]: r
        for r in csv.DictReader(io.StringIO(positions_csv(graph).decode("utf-8")))
    }
    assert len(rows) == 404
    for whole, (_d, _l, parts) in CELLS.items():
        assert rows[whole]["deprecated"] == "true"
        assert rows[whole]["replaced_by"] == " ".join(parts)
        for p in parts:
            assert (rows[p]["deprecated"], rows[p]["replaced_by"]) == ("false", "")
    assert sum(r["deprecated"] == "false" for r in rows.values()) == 387


@pytest.mark.slow  # full-graph SHACL runs
def test_the_gate_checks_a_positions_own_isco_group(graph: Graph) -> None:
    broken = Graph() + graph
    broken.set(
        (U.position("A3-1.08"), KG.iscoUnitGroup, URIRef("http://data.europa.eu/esco/isco/C9999"))
    )
    assert "C9999" in messages(broken)
