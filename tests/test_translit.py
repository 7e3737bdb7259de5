"""The 2021 Kazakh Latin transliteration (kg/rdf/translit.py) and the kk-Latn labels of the graph.

Expected spellings are written by hand from the 2021 alphabet table (one Cyrillic letter to one
Latin letter: ә ä, ғ ğ, і ı, и/й i, қ q, ң ñ, ө ö, ұ ū, ү ü, у u, ш ş, ы y, ж j, х/һ h, ч ç),
never computed with the code under test.
"""

from __future__ import annotations

import re

import pytest
from rdflib import SKOS, Graph, Literal, URIRef

from kg.rdf.graph import build_graph
from kg.rdf.translit import LATIN_TAG, TABLE, to_latin
from kg.release.build import load_and_check
from kg.uris import Uris

CYRILLIC_RE = re.compile(r"[\u0400-\u052f]")

#: (Cyrillic, the 2021 Latin spelling), spelled out by hand.
EXAMPLES = [
    ("Қазақстан Республикасы", "Qazaqstan Respublikasy"),
    ("Мейіргер", "Meiırger"),
    ("Бас бухгалтер", "Bas buhgalter"),
    ("Бухгалтер", "Buhgalter"),
    ("Жүзу жөніндегі нұсқаушы", "Jüzu jönındegı nūsqauşy"),
    ("Үйде қызмет көрсету ұйымының басшысы", "Üide qyzmet körsetu ūiymynyñ basşysy"),
    ("Тәрбиешінің көмекшісі", "Tärbieşınıñ kömekşısı"),
    ("Ғалым хатшы", "Ğalym hatşy"),
    ("Ғылыми қызметкер", "Ğylymi qyzmetker"),
    (
        "Мәдени ұйымдастырушы (бұқаралық жұмыс жөніндегі ұйымдастырушы)",
        "Mädeni ūiymdastyruşy (būqaralyq jūmys jönındegı ūiymdastyruşy)",
    ),
    ("Психолог", "Psiholog"),
    ("Шаһар", "Şahar"),
    ("Кәсіп", "Käsıp"),
    ("Ұйым басшысы", "Ūiym basşysy"),
    ("Еңбек мобильділігі орталығы", "Eñbek mobildılıgı ortalyğy"),
    # abbreviations: capitals stay capitals, И is a dotted İ, І a plain I
    ("ЕҚРҒЗИ басшысы", "EQRĞZİ basşysy"),
    ("ӘОДҒПО басшысы", "ÄODĞPO basşysy"),
    ("ММ және МҚК", "MM jäne MQK"),
    ("ИІ", "İI"),
    # letters of Russian loanwords, by the rules of kg/rdf/translit.py
    ("Цех", "Tseh"),
    ("ЦОН", "TSON"),
    ("Чай", "Çai"),
    ("Объект", "Obekt"),
    ("Эксперт", "Ekspert"),
    ("Юрист", "İurist"),
    ("Ярмарка", "İarmarka"),
    ("ЯЩИК", "İAŞŞİK"),
    # notations and Latin text are left as they are
    ("B2-1-H звеносы, 1-саты", "B2-1-H zvenosy, 1-saty"),
    ("Qazaqstan", "Qazaqstan"),
]


@pytest.mark.parametrize(("cyrillic", "latin"), EXAMPLES)
def test_spelling(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


def test_the_table_has_one_row_per_letter_of_the_kazakh_cyrillic_alphabet() -> None:
    # 33 letters of the Russian alphabet and the 9 Kazakh ones, lower case
    alphabet = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя") | set("әғқңөұүһі")
    letters = [row[0] for row in TABLE]
    assert len(letters) == len(set(letters)) == 42
    assert set(letters) == alphabet


def test_the_latin_side_uses_only_the_2021_letters() -> None:
    # the 2021 alphabet (a b d e f g ğ h ı i j k l m n ñ o ö p q r s ş t u ū ü v y z ä)
    # and ç for ч of loanwords; no c, w or x
    lower_letters = set("aäbdefgğhıijklmnñoöpqrsştuūüvyzç")
    capitals = set("AÄBDEFGĞHIİJKLMNÑOÖPQRSŞTUŪÜVYZÇ")
    for cyr, lower, capital, _note in TABLE:
        assert set(lower) <= lower_letters, cyr
        assert capital[:1] in capitals | {""}, cyr
        assert set(capital[1:]) <= lower_letters, cyr


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(load_and_check(), Uris())


def test_every_kazakh_label_has_its_latin_twin(graph: Graph) -> None:
    kazakh = [
        (s, label)
        for s, label in graph.subject_objects(SKOS.prefLabel)
        if isinstance(label, Literal) and label.language == "kk"
    ]
    assert len(kazakh) > 600
    for s, label in kazakh:
        latin = {
            str(a)
            for a in graph.objects(s, SKOS.altLabel)
            if getattr(a, "language", None) == LATIN_TAG
        }
        assert to_latin(str(label)) in latin, f"{s}: no kk-Latn twin of {label!r}"
        assert not any(CYRILLIC_RE.search(x) for x in latin), f"{s}: Cyrillic left in {latin}"


def test_latin_labels_of_hand_picked_positions(graph: Graph) -> None:
    base = Uris().base
    expected = {
        "position/B3-1-H.01": "Meiırger",
        "position/C2.02": "Buhgalter",
        "position/A1-1.01": "ZTMO basşysy",
        "occupation/chief-accountant": "Bas buhgalter",
        "block/A": "Basqaruşy personal",
    }
    for path, latin in expected.items():
        labels = set(graph.objects(URIRef(base + path), SKOS.altLabel))
        assert Literal(latin, lang=LATIN_TAG) in labels, (path, labels)
