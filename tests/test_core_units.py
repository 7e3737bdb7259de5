"""Unit tests of the core functions: the notation grammar's sort key, the Kazakh Latin
transliteration at the edges of words, and the pieces of search (query reading, codes, typos,
entity lookup, limits). In-process and fast, so that a change to one of them is noticed.

Expected values are written by hand from the notation grammar (kg/curate/notation.py's
docstring), the 2021 Latin table, data/positions.csv and Kazakh/Russian word forms.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import SKOS, Graph, Literal, URIRef

from kg.curate.notation import grade_notation, natural_key
from kg.lookup.search import (
    Filters,
    SearchIndex,
    _one_edit,
    as_code,
    chips,
    fold_word,
    nearest_titles,
    parse_query,
    resolve_words,
    result_rows,
)
from kg.rdf.translit import LATIN_TAG, latin_labels, to_latin
from kg.uris import Uris

pytest_plugins = ["search_fixtures"]


def notations(hits: list[Any]) -> list[str]:
    return [h.entity.notation for h in hits]


# ---------------------------------------------------------------------------- notation


def test_sectors_sort_in_register_order() -> None:
    """Healthcare, then education, then other sectors (the order of the law's tables)."""
    codes = ["B2-1-O", "B2-1-E", "B2-1-H"]
    assert sorted(codes, key=natural_key) == ["B2-1-H", "B2-1-E", "B2-1-O"]
    assert sorted(["B4-2-O.01", "B4-2-H.01"], key=natural_key) == ["B4-2-H.01", "B4-2-O.01"]
    assert sorted(["B4-2-E.01", "B4-2-H.01"], key=natural_key) == ["B4-2-H.01", "B4-2-E.01"]


def test_numbers_sort_as_numbers() -> None:
    codes = ["A1-10", "A1-2", "A1-1-1", "A1-1"]
    assert sorted(codes, key=natural_key) == ["A1-1", "A1-1-1", "A1-2", "A1-10"]
    assert sorted(["D1.10", "D1.02", "D1.38"], key=natural_key) == ["D1.02", "D1.10", "D1.38"]


def test_blocks_sort_before_their_numbers() -> None:
    assert sorted(["B1", "A2", "C1", "A1"], key=natural_key) == ["A1", "A2", "B1", "C1"]
    assert sorted(["B1-1", "A3-2"], key=natural_key) == ["A3-2", "B1-1"]
    assert natural_key("A1") != natural_key("B1")


def test_grade_notation_of_register_rows() -> None:
    assert grade_notation("C1", "", "") == "C1"
    assert grade_notation("B2", "1", "healthcare") == "B2-1-H"
    assert grade_notation("B4", "2", "education") == "B4-2-E"
    assert grade_notation("A1", "1-1", "") == "A1-1-1"
    assert grade_notation("B2", "", "other") == "B2-O"
    # a sector the grammar has no letter for is marked, so the SHACL notation check catches it
    assert grade_notation("B2", "1", "space") == "B2-1-?"


# ---------------------------------------------------------------------------- translit


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ю", "İu"),  # a lone capital: capitalised, not all-caps
        ("ЮЦ", "İUTS"),  # both neighbours are capitals
        ("ЦЮ", "TSİU"),
        ("а ЮЦ", "a İUTS"),
        ("ЦЮ а", "TSİU a"),
        ("Юрист ЦЮ", "İurist TSİU"),
        ("Юрист Ц", "İurist Ts"),  # the last letter of the text is no neighbour of the first
        ("Ц юрист Я", "Ts iurist İa"),
        ("Я", "İa"),
        ("ЩЕ", "ŞŞE"),
        ("Ще", "Şşe"),
        ("аЦ", "aTs"),  # a small letter before is no capital
        ("Ца", "Tsa"),
    ],
)
def test_capitals_at_the_edges(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


def test_only_kazakh_labels_get_a_latin_twin() -> None:
    g = Graph()
    s = URIRef("https://example.org/position/C2.02")
    g.add((s, SKOS.prefLabel, Literal("Бухгалтер", lang="kk")))
    g.add((s, SKOS.prefLabel, Literal("Бухгалтер", lang="ru")))
    g.add((s, SKOS.prefLabel, Literal("Accountant", lang="en")))
    g.add((s, SKOS.altLabel, Literal("Есепші", lang="kk")))
    g.add((s, SKOS.altLabel, Literal("Счетовод", lang="ru")))
    g.add((s, SKOS.definition, Literal("Есеп жүргізеді", lang="kk")))
    g.add((s, SKOS.hiddenLabel, Literal("бугалтер", lang="kk")))
    g.add((s, SKOS.note, Literal("Бухгалтер")))  # no language tag
    got = {(str(t[0]), t[1], str(t[2]), t[2].language) for t in latin_labels(g)}
    assert got == {
        (str(s), SKOS.altLabel, "Buhgalter", LATIN_TAG),
        (str(s), SKOS.altLabel, "Esepşı", LATIN_TAG),
    }


# ---------------------------------------------------------------------------- search: pure


def test_a_repeated_word_is_read_once() -> None:
    """Two forms of one word ("маман мамандар", "врач врачи") share a stem: one key."""
    q = parse_query("маман мамандар")
    assert q.words == ("маман", "мамандар")
    assert len(q.stems) == 1
    assert len(q.alternatives) == 1
    assert q.codes == ()
    q = parse_query("врач врачи")
    assert len(q.stems) == 1
    assert q.stems[0] in q.alternatives[0]


def test_russian_words_keep_their_russian_stem() -> None:
    """A Cyrillic word without Kazakh letters may be Russian: its Snowball stem is a key."""
    q = parse_query("бухгалтера")
    assert len(q.alternatives[0]) == 2
    assert "бухгалтер" in q.alternatives[0]
    q = parse_query("врачей")
    assert "врач" in q.alternatives[0]
    # a word with a Kazakh letter is Kazakh: one key
    assert len(parse_query("мейіргерлер").alternatives[0]) == 1


def test_the_exact_key_is_the_folded_words_with_single_spaces() -> None:
    assert parse_query("  Бас   Бухгалтер ").key == "бас бухгалтер"
    assert parse_query("Медициналық тіркеуші").key == "медициналык тиркеуши"


@pytest.mark.parametrize(
    ("chunk", "alone", "code"),
    [
        ("C2.02.", False, "C2.02"),  # a full stop after a code (end of a sentence)
        ("C2.", False, "C2"),
        ("B", True, "B"),  # a block letter typed alone
        ("b", True, "B"),
        ("В", True, "B"),  # Cyrillic look-alike
        ("B", False, None),
        ("E", True, None),  # not a block
        ("Z", True, None),
        ("C2.2", False, "C2.02"),
    ],
)
def test_as_code(chunk: str, alone: bool, code: str | None) -> None:
    assert as_code(chunk, alone=alone) == code


@pytest.mark.parametrize(
    ("a", "b", "one"),
    [
        ("мейіргер", "мейіргер", False),
        ("мейргер", "мейіргер", True),  # a letter missing
        ("мейіргер", "мейргер", True),  # a letter more
        ("мейіргер", "мейіргeр", True),  # substitution
        ("меійргер", "мейіргер", True),  # two letters swapped
        ("мейіргре", "мейіргер", True),  # swapped at the end
        ("емйіргер", "мейіргер", True),  # swapped at the start
        ("меійрегр", "мейіргер", False),  # two swaps
        ("мейіргер", "мейіргерлер", False),  # two letters more
        ("мйіргерр", "мейіргер", False),  # one missing, one more
        ("мейгіррер", "мейіргер", False),
        ("абвгд", "абвгдеж", False),
        ("абвгдеж", "абвгд", False),
        ("абвгд", "абгвдж", False),  # a swap and a letter more
        ("абвгде", "абвгд", True),
        ("бвгде", "абвгде", True),
        ("абвгде", "бвгде", True),
        ("абвгде", "абвгед", True),
        ("абвгде", "абвдге", True),
        ("абвгде", "абдгве", False),  # в and д swapped over г
        ("абвгде", "бавгдж", False),  # a swap and a substitution
        ("абвгде", "абвгжз", False),  # two substitutions
        ("абвгде", "абвгдж", True),
        ("абвгде", "жбвгде", True),
        ("абвгдеж", "абвдеж", True),
        ("абвдеж", "абвгдеж", True),
        ("абвгдеж", "абвгдж", True),
        ("абвгдеж", "абгдеж", True),
        ("абвгдеж", "абвдгеж", True),
        ("абвгдеж", "абвгжед", False),
        ("абвгдеж", "абгвдеж", True),
    ],
)
def test_one_edit(a: str, b: str, one: bool) -> None:
    assert _one_edit(a, b) is one
    assert _one_edit(b, a) is one  # the relation is symmetric


def test_latin_words_lose_their_marks() -> None:
    assert fold_word("meiırger") == "meiirger"
    assert fold_word("qazaqstan") == "qazaqstan"
    assert fold_word("jüzu") == "juzu"
    assert fold_word("näsıp") == "nasip"
    assert fold_word("ñ") == "n"


# ---------------------------------------------------------------------------- search: index


def test_a_repeated_word_does_not_break_search(search_index: SearchIndex) -> None:
    hits = search_index.search("бухгалтер бухгалтер", ("position",), limit=None)
    assert notations(hits[:2]) == ["C2.02", "C3.02"]
    hits = search_index.search("мейіргер мейіргерлер", ("position",), limit=None)
    assert hits[0].entity.label("kk") == "Мейіргер"


def test_the_first_letters_of_a_word_find_it(search_index: SearchIndex) -> None:
    """Typing: "мейір" is the start of "мейіргер" (and no word of the register is "мейір")."""
    hits = search_index.search("мейір", ("position",), limit=None)
    assert hits
    assert "мейіргер" in hits[0].entity.label("kk").lower()
    assert hits[0].score < 100  # a part of a word is no exact match
    typo = search_index.search("мейргер", ("position",), limit=None)
    assert typo[0].entity.label("kk") == "Мейіргер" and typo[0].score < 100
    hits = search_index.search("бухгал", ("position",), limit=None)
    assert notations(hits[:2]) == ["C2.02", "C3.02"]


def test_the_limit_is_kept(search_index: SearchIndex) -> None:
    assert len(search_index.search("басшысы")) == 20  # the default
    assert len(search_index.search("басшысы", limit=3)) == 3
    everything = search_index.search("басшысы", limit=None)
    assert len(everything) > 20
    assert notations(search_index.search("басшысы", limit=3)) == notations(everything[:3])


def test_an_exact_title_scores_100(search_index: SearchIndex) -> None:
    for title, notation in [("Медициналық тіркеуші", "B4-4-H.05"), ("Бухгалтер", "C2.02")]:
        hit = search_index.search(title, ("position",), limit=None)[0]
        assert (hit.entity.notation, hit.score) == (notation, 100)
    # words of a longer title, but not the whole of it: under 100
    hit = search_index.search("медициналық", ("position",), limit=None)[0]
    assert hit.score < 100


def test_a_deputy_ranks_below_the_head(search_index: SearchIndex) -> None:
    """ "ЗТМО басшысы" (A1-1.01) is the head; "ЗТМО облыстық филиал басшысының орынбасары"
    (A2-1-1.01) is a deputy and comes only if asked for."""
    hits = search_index.search("ЗТМО облыстық филиалының басшысы", ("position",), limit=None)
    found = notations(hits)
    assert found.index("A2-1.03") < found.index("A2-1-1.01")
    asked = notations(
        search_index.search("ЗТМО облыстық филиал басшысының орынбасары", ("position",))
    )
    assert asked[0] == "A2-1-1.01"


def test_entity_by_id_uri_and_notation(search_index: SearchIndex) -> None:
    e = search_index.entity("position/C2.02")
    assert e is not None and e.notation == "C2.02" and e.label("kk") == "Бухгалтер"
    assert search_index.entity("  position/C2.02 ") is e
    assert search_index.entity(e.uri) is e
    assert search_index.entity("C2.02") is e  # a notation only one entity has
    assert search_index.entity("B2-1-H.01").type == "position"
    assert search_index.entity("position/Z9.99") is None
    assert search_index.entity("") is None
    assert search_index.entity(None) is None  # type: ignore[arg-type]
    # "C3" is both a tier and a grade: not unique, not found by notation
    assert search_index.entity("C3") is None
    assert search_index.entity("tier/C3").type == "tier"


# ---------------------------------------------------------------------------- search: facts


def test_a_position_has_its_grades_facts(search_index: SearchIndex) -> None:
    """data/grades.csv: B4-2-H is medium qualification, first category, healthcare; C2 is
    high qualification; data/positions.csv: A1-2.03 is of regional significance."""
    e = search_index.entity
    assert search_index.facts_of(e("position/B4-2-H.06")) == {
        "qualification-level": "qualification-level/medium",
        "category": "category/first",
        "sector": "sector/healthcare",
    }
    assert search_index.facts_of(e("grade/B4-2-H")) == search_index.facts_of(
        e("position/B4-2-H.06")
    )
    assert search_index.facts_of(e("position/C2.02")) == {
        "qualification-level": "qualification-level/high"
    }
    assert search_index.facts_of(e("position/A1-2.03")) == {
        "significance-level": "significance-level/regional"
    }
    assert search_index.facts_of(e("tier/C2")) == {}
    nurse = e("position/B4-2-H.06")
    assert search_index.meets(nurse, {"category": "category/first"}) == 1
    assert search_index.meets(nurse, {"category": "category/second"}) == 0
    assert search_index.meets(nurse, {}) == 0


def test_words_naming_a_category_are_read_as_a_fact(search_index: SearchIndex) -> None:
    facts, rest = search_index.read_facts(parse_query("врач второй категории"))
    assert facts == {"category": "category/second"}
    assert rest.words == ("врач",) and rest.text == "врач второй категории"
    facts, rest = search_index.read_facts(parse_query("B2-1 екінші санат дәрігер"))
    assert facts == {"category": "category/second"}
    assert rest.codes == ("B2-1",)
    assert rest.words == ("даригер",)
    facts, rest = search_index.read_facts(parse_query("бас мейіргер бірінші санат"))
    assert facts == {"category": "category/first"}
    assert rest.words == ("бас", "мейиргер")
    # the fact alone is the category itself, not a search for it
    facts, rest = search_index.read_facts(parse_query("бірінші санат"))
    assert facts == {}
    assert rest.words == ("биринши", "санат")
    both = search_index.read_facts(parse_query("мейіргер біліктілігі орташа деңгей бірінші санат"))
    assert both[0] == {
        "qualification-level": "qualification-level/medium",
        "category": "category/first",
    }
    assert both[1].words == parse_query("мейіргер").words


def test_fitting_grades_come_first_in_a_group(search_index: SearchIndex) -> None:
    hits = search_index.search("мейіргер бірінші санатты", ("position",), limit=None)
    group = search_index.group(hits)[0]
    assert group.title == "Мейіргер"
    assert group.grades[:2] == ["B3-2-H", "B4-2-H"]
    assert [h.fits for h in group.hits[:3]] == [1, 1, 0]


def test_words_name_the_values_of_closed_lists(search_index: SearchIndex) -> None:
    for words in ("орташа", "средний", "medium"):
        assert resolve_words(search_index, "qualification-level", words) == [
            "qualification-level/medium"
        ]
    for words in ("бірінші", "первая", "first"):
        assert resolve_words(search_index, "category", words) == ["category/first"]
    assert resolve_words(search_index, "category", "") == []
    assert resolve_words(search_index, "category", "тринадцатая") == []


# ---------------------------------------------------------------------------- search: rows


def test_rows_and_filters(search_index: SearchIndex) -> None:
    hits = search_index.search("бухгалтер", limit=None)
    everything = result_rows(search_index, "бухгалтер", hits, Filters())
    assert everything.groups[0].title == "Бухгалтер"
    assert everything.facts == {}
    assert not Filters() and Filters(block="C")
    only_c = result_rows(search_index, "бухгалтер", hits, Filters(block="C"))
    assert {h.entity.grade_notation[0] for g in only_c.groups for h in g.hits} == {"C"}
    only_a = result_rows(search_index, "бухгалтер", hits, Filters(block="A"))
    notes = {h.entity.notation for g in only_a.groups for h in g.hits}
    assert "C2.02" not in notes and "A2-1.02" in notes
    nurses = search_index.search("мейіргер", limit=None)
    rows = result_rows(search_index, "мейіргер", nurses, Filters(sector="sector/healthcare"))
    assert rows.groups and all(
        search_index.facts_of(h.entity)["sector"] == "sector/healthcare"
        for g in rows.groups
        for h in g.hits
    )
    assert not result_rows(search_index, "мейіргер", nurses, Filters(sector="education")).groups
    ztmo = search_index.search("ЗТМО басшысы", limit=None)
    mm = result_rows(search_index, "ЗТМО басшысы", ztmo, Filters(institution_type="MM"))
    assert "A1-1.01" in {h.entity.notation for g in mm.groups for h in g.hits}
    facts = result_rows(search_index, "врач второй категории", [], Filters()).facts
    assert facts == {"category": "category/second"}


def test_occupations_are_rows_apart(search_index: SearchIndex) -> None:
    hits = search_index.search("бухгалтер", limit=None)
    rows = result_rows(search_index, "бухгалтер", hits, Filters())
    assert all(g.type != "occupation" for g in rows.groups)
    # data/occupations.csv: the accountant, the chief accountant and the deputy chief
    # accountant, the exact name first and the deputy (not asked for) last
    assert [g.title for g in rows.occupations] == [
        "Бухгалтер",
        "Бас бухгалтер",
        "Бас бухгалтердің орынбасары",
    ]
    only = [h for h in hits if h.entity.type == "occupation"]
    alone = result_rows(search_index, "бухгалтер", only, Filters())
    assert [g.type for g in alone.groups] == ["occupation"] * 3 and alone.occupations == []


def test_chips_show_what_tells_grades_apart(search_index: SearchIndex) -> None:
    group = search_index.group(search_index.search("мейіргер", ("position",), limit=None))[0]
    got = chips(search_index, group)
    assert [c.grade for c in got] == [
        "B3-1-H",
        "B3-2-H",
        "B3-3-H",
        "B3-4-H",
        "B4-1-H",
        "B4-2-H",
        "B4-3-H",
        "B4-4-H",
    ]
    first = got[0]
    assert [(k, x.id) for k, x in first.facts] == [
        ("qualification-level", "qualification-level/high"),
        ("category", "category/highest"),
    ]
    assert [(k, x.id) for k, x in got[5].facts] == [
        ("qualification-level", "qualification-level/medium"),
        ("category", "category/first"),
    ]


def test_nearest_titles(search_index: SearchIndex) -> None:
    assert nearest_titles(search_index, "медсестра")[0].label("kk") == "Мейіргер"  # its ru name
    near = nearest_titles(search_index, "мейргер")
    assert near[0].label("kk") == "Мейіргер"
    assert len(near) == 5
    assert len({e.label("kk") for e in near}) == 5  # one per title
    assert all(e.type == "position" and not e.deprecated for e in near)
    assert len(nearest_titles(search_index, "бухгалтер", n=2)) == 2
    assert nearest_titles(search_index, "бухгалтер", n=2)[0].label("kk") == "Бухгалтер"
    assert nearest_titles(search_index, "  ") == []


def test_names_of_types_and_labels_in_a_language(search_index: SearchIndex) -> None:
    assert search_index.type_name("category", "kk") == "Санат"
    assert search_index.type_name("category", "en") == "Category"
    assert search_index.type_name("category") == "Category"
    assert search_index.type_name("category", "de") == "Category"  # English, when none
    assert search_index.type_name("no-such-type", "kk") == "no-such-type"
    nurse = search_index.entity("position/B4-2-H.06")
    assert nurse.label() == "Мейіргер"
    assert nurse.label("ru") == "Медицинская сестра"
    assert nurse.label("en") == "Nurse"
    assert nurse.label("de") == "Мейіргер"  # Kazakh, when none


def test_a_position_without_facts_of_its_own_takes_its_grades() -> None:
    """The facts and the step stated on a grade only (not repeated on its position)."""
    base = "https://example.org/"
    kg = "https://reg1042.example.org/def#"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    notation = ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation")
    pos, grade = ox.NamedNode(base + "position/B4-2-H.06"), ox.NamedNode(base + "grade/B4-2-H")
    first, medium = (
        ox.NamedNode(base + "category/first"),
        ox.NamedNode(base + "qualification-level/medium"),
    )
    triples = [
        ox.Triple(ox.NamedNode(base + "register"), rdf_type, ox.NamedNode(kg + "PositionRegister")),
        ox.Triple(pos, rdf_type, ox.NamedNode(kg + "Position")),
        ox.Triple(pos, label, ox.Literal("Мейіргер", language="kk")),
        ox.Triple(pos, notation, ox.Literal("B4-2-H.06")),
        ox.Triple(pos, ox.NamedNode(kg + "grade"), grade),
        ox.Triple(grade, rdf_type, ox.NamedNode(kg + "Grade")),
        ox.Triple(grade, notation, ox.Literal("B4-2-H")),
        ox.Triple(grade, ox.NamedNode(kg + "category"), first),
        ox.Triple(grade, ox.NamedNode(kg + "qualificationLevel"), medium),
        ox.Triple(grade, ox.NamedNode(kg + "step"), ox.Literal("2")),
        ox.Triple(first, rdf_type, ox.NamedNode(kg + "Category")),
        ox.Triple(first, label, ox.Literal("Бірінші санат", language="kk")),
        ox.Triple(medium, rdf_type, ox.NamedNode(kg + "QualificationLevel")),
        ox.Triple(medium, label, ox.Literal("Біліктілігі орташа деңгей", language="kk")),
    ]
    index = SearchIndex.from_triples(triples, Uris(base))
    nurse = index.entity("position/B4-2-H.06")
    assert index.facts_of(nurse) == {
        "category": "category/first",
        "qualification-level": "qualification-level/medium",
    }
    assert nurse.literals.get("step") == ["2"]
    assert index.meets(nurse, {"category": "category/first"}) == 1


def test_language_tags_in_their_usual_case() -> None:
    from kg.lookup.search import canonical_language

    assert canonical_language("kk-latn") == "kk-Latn"
    assert canonical_language("KK") == "kk"
    assert canonical_language("en-us") == "en-US"
    assert canonical_language("ru-cyrl-kz") == "ru-Cyrl-KZ"
    assert canonical_language("de-ch-1901") == "de-CH-1901"
    assert canonical_language("sl-rozaj-biske") == "sl-rozaj-biske"
