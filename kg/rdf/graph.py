"""Curated records -> one RDF graph: SKOS for the register, ELI for the acts, PROV-O for
provenance, W3C Web Annotation selectors for the exact source spans.

No blank nodes: every node has a URI derived from the data, so dumps are deterministic.
"""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.curate.records import Labels, Register
from kg.rdf.builder import GraphBuilder
from kg.rdf.hidden_labels import add_hidden_labels
from kg.rdf.occupations import add_occupations
from kg.rdf.translit import add_latin_labels
from kg.settings import ONTOLOGY_FILE
from kg.uris import ELI, FOAF, KG, Uris

#: The official text of an act in the Adilet legal information system, by language (kaz, rus)
#: and document id (data/official_texts.csv).
ADILET = "https://adilet.zan.kz/{lang}/docs/{id}"

STEP_WORD = {"kk": "саты", "ru": "ступень", "en": "step"}
DECISION_KINDS = {
    "coordination-resolved": (
        "Ортақ сөзі бар атаулар бөлінді",
        "Разделены наименования с общим словом",
        "Coordinated titles resolved",
    ),
    "split-across-page-break": (
        "Бет үзілісі біріктірілді",
        "Соединен разрыв страницы",
        "Title joined across a page break",
    ),
    "missing-punctuation": (
        "Жоғалған тыныс белгісі",
        "Пропущенный знак препинания",
        "Missing punctuation",
    ),
    "missing-separator": (
        "Атаулар арасында бөлгіш жоқ",
        "Нет разделителя между наименованиями",
        "Missing separator between titles",
    ),
    "missing-comma": ("Үтір жоқ", "Пропущена запятая", "Missing comma between titles"),
    "odd-punctuation": ("Әдеттен тыс тыныс белгісі", "Необычная пунктуация", "Odd punctuation"),
    "odd-wording": ("Әдеттен тыс сөз тәртібі", "Необычный порядок слов", "Odd wording"),
    "odd-word": ("Артық сөз", "Лишнее слово", "Odd word"),
    "duplicate": ("Қайталанған атау", "Повторенное наименование", "Duplicated title"),
    "abbreviation-typo": (
        "Аббревиатурадағы қате",
        "Опечатка в аббревиатуре",
        "Typo in an abbreviation",
    ),
    "undefined-abbreviation": (
        "Ашылмаған аббревиатура",
        "Нераскрытая аббревиатура",
        "Undefined abbreviation",
    ),
    "homoglyph-normalised": (
        "Ұқсас әріп түзетілді",
        "Нормализована сходная буква",
        "Look-alike letter normalised",
    ),
    "ending-adjusted": (
        "Жалғау бөлек атауға сай түзетілді",
        "Окончание согласовано для отдельного наименования",
        "Ending adjusted for a standalone title",
    ),
    "coordination-kept": (
        "Ортақ сөзі бар атау бөлінбеді",
        "Наименование с общим словом не разделено",
        "Coordinated title kept whole",
    ),
    "tier-code-inferred": (
        "Звено коды құрылымнан шығарылды",
        "Код звена выведен из структуры",
        "Tier code inferred from the table's structure",
    ),
    "step-inferred": (
        "Саты құрылымнан шығарылды",
        "Ступень выведена из структуры",
        "Step inferred from the table's structure",
    ),
}


class RegisterGraph(GraphBuilder):
    """Adds the register's triples to a graph; one method per kind of entity."""

    # ---------------------------------------------------------------- building
    def build(self) -> Graph:
        self.ontology()
        self.source_and_acts()
        self.schemes()
        self.small_lists()
        self.institution_types()
        self.hierarchy()
        self.positions()
        self.structural_quotes()
        self.decisions()
        self.deprecations()
        add_occupations(self)  # occupations, their ISCO-08 crosswalk, position translations
        add_hidden_labels(self)  # everyday names and short forms (search only)
        add_latin_labels(self.g)  # last: a kk-Latn twin of every Kazakh label
        return self.g

    def ontology(self) -> None:
        self.g.parse(ONTOLOGY_FILE, format="turtle")

    def source_and_acts(self) -> None:
        u, src = self.u, self.reg.source
        text = u.source_text()
        self.add(text, RDF.type, ELI.Format)
        self.add(text, DCTERMS.format, Literal("text/plain; charset=utf-8"))
        self.add(text, KG.sha256, Literal(src.sha256))
        self.add(text, KG.characterCount, Literal(len(src.text), datatype=XSD.integer))
        self.add(text, DCTERMS.language, Literal("kk"))
        self.add(
            text,
            RDFS.label,
            Literal("Consolidated Kazakh text of Order No. 1042 (PDF-to-text export)", lang="en"),
        )
        for a in self.reg.agents:
            s = u.agent(a.id)
            self.add(s, RDF.type, FOAF.Agent)
            self.add(s, RDF.type, PROV.Agent)
            for lang in ("kk", "ru", "en"):
                if getattr(a.labels, lang):
                    self.add(s, FOAF.name, Literal(getattr(a.labels, lang), lang=lang))
        for act in self.reg.acts:
            s = u.act(act.id)
            self.add(s, RDF.type, ELI.LegalResource)
            self.add(s, RDF.type, PROV.Entity)
            self.add(s, ELI.id_local, Literal(act.number))
            self.add(s, ELI.type_document, KG[_camel(act.kind)])
            self.add(s, DCTERMS.title, Literal(act.title_en, lang="en"))
            if act.title_kk:
                self.add(s, DCTERMS.title, Literal(act.title_kk, lang="kk"))
            if act.date:
                self.add(s, ELI.date_document, Literal(act.date, datatype=XSD.date))
            if act.issuer:
                self.add(s, ELI.passed_by, u.agent(act.issuer))
            if act.registration_number:
                self.add(s, KG.registrationNumber, Literal(act.registration_number))
                self.add(s, KG.registeredBy, u.agent("moj"))
            for official in (t for t in self.reg.official_texts if t.act == act.id):
                for lang in ("kaz", "rus"):
                    self.add(
                        s, KG.officialText, URIRef(ADILET.format(lang=lang, id=official.adilet_id))
                    )
            if act.registration_date:
                self.add(s, KG.registrationDate, Literal(act.registration_date, datatype=XSD.date))
            if act.publication_date:
                self.add(s, ELI.date_publication, Literal(act.publication_date, datatype=XSD.date))
            if act.entry_into_force:
                self.add(
                    s,
                    ELI.first_date_entry_in_force,
                    Literal(act.entry_into_force, datatype=XSD.date),
                )
            if act.entry_into_force_rule:
                self.add(s, KG.entryIntoForceRule, Literal(act.entry_into_force_rule, lang="en"))
            for ref in act.amends:
                self.add(s, ELI.amends, u.act(ref))
                self.add(u.act(ref), ELI.amended_by, s)
            for ref in act.repeals:
                self.add(s, ELI.repeals, u.act(ref))
                self.add(u.act(ref), ELI.repealed_by, s)
            for ref in act.consolidates:
                self.add(s, ELI.consolidates, u.act(ref))
                self.add(u.act(ref), ELI.consolidated_by, s)
            if act.note:
                self.add(s, SKOS.note, Literal(act.note, lang="en"))
        expression = URIRef(f"{self.consolidated}/kaz")
        self.add(self.consolidated, ELI.is_realized_by, expression)
        self.add(expression, RDF.type, ELI.LegalExpression)
        self.add(expression, ELI.realizes, self.consolidated)
        self.add(
            expression,
            ELI.language,
            URIRef("http://publications.europa.eu/resource/authority/language/KAZ"),
        )
        self.add(
            expression,
            ELI.title,
            Literal(self.reg.acts_by_id()["order-2015-1042"].title_kk, lang="kk"),
        )
        self.add(expression, ELI.is_embodied_by, text)
        self.add(text, ELI.embodies, expression)

    def schemes(self) -> None:
        u = self.u
        s = u.scheme()
        self.add(s, RDF.type, SKOS.ConceptScheme)
        self.add(s, RDF.type, KG.PositionRegister)
        self.add(
            s,
            SKOS.prefLabel,
            Literal(
                "Әлеуметтік қамсыздандыру саласының азаматтық қызметшілері лауазымдарының тізілімі",
                lang="kk",
            ),
        )
        self.add(
            s,
            SKOS.prefLabel,
            Literal(
                "Реестр должностей гражданских служащих в сфере социального обеспечения", lang="ru"
            ),
        )
        self.add(
            s,
            SKOS.prefLabel,
            Literal(
                "Register of positions of civil servants in the social security sector", lang="en"
            ),
        )
        self.add(s, KG.unofficialLabelLanguage, Literal("ru", datatype=XSD.language))
        self.add(s, KG.unofficialLabelLanguage, Literal("en", datatype=XSD.language))
        self.add(
            s,
            SKOS.definition,
            Literal(
                "The register approved by Order No. 1042 of the Minister of Healthcare and Social Development of "
                "28 December 2015 (Ministry of Justice reg. No. 12751), as amended by orders No. 420 (2017), "
                "No. 206 (2019), No. 309 (2022) and No. 376 (2023): every civil-servant position of the sector "
                "sorted into blocks, tiers and steps.",
                lang="en",
            ),
        )
        self.add(
            s,
            SKOS.editorialNote,
            Literal(
                "Labels of positions are the titles of the law, made standalone: markup and layout line breaks "
                "removed, spaces inside parentheses closed up, the first letter capitalised, coordinated titles "
                "resolved. Every other change is an editorial decision recorded on the entity it affects. "
                "Labels of blocks, tiers and grades are descriptive; ru and en labels are unofficial translations.",
                lang="en",
            ),
        )
        self.add(s, DCTERMS.source, self.consolidated)
        self.derived(s)
        for sch, kk, ru, en in [
            (
                u.institution_type_scheme(),
                "Мекеме түрлері",
                "Типы учреждений",
                "Institution types",
            ),
            (u.sector_scheme(), "Салалар", "Отрасли", "Sectors"),
            (
                u.qualification_level_scheme(),
                "Біліктілік деңгейлері",
                "Уровни квалификации",
                "Qualification levels",
            ),
            (u.category_scheme(), "Санаттар", "Категории", "Categories"),
            (
                u.significance_level_scheme(),
                "Маңыздылық деңгейлері",
                "Уровни значения",
                "Significance levels",
            ),
            (
                u.decision_kind_scheme(),
                "Редакциялық шешім түрлері",
                "Виды редакционных решений",
                "Kinds of editorial decision",
            ),
        ]:
            self.add(sch, RDF.type, SKOS.ConceptScheme)
            self.labels(sch, Labels(kk, ru, en))
            self.add(sch, DCTERMS.source, self.consolidated)
            self.add(sch, RDFS.seeAlso, s)

    def small_lists(self) -> None:
        u = self.u
        for sec in self.reg.sectors:
            c = u.sector(sec.id)
            self.concept(c, KG.Sector, u.sector_scheme(), sec.notation, KG.TermCode)
            self.top(u.sector_scheme(), c)
            self.labels(c, sec.labels)
            self.derived(c)
        for q in self.reg.qualification_levels:
            c = u.qualification_level(q.id)
            self.concept(
                c, KG.QualificationLevel, u.qualification_level_scheme(), q.id, KG.TermCode
            )
            self.top(u.qualification_level_scheme(), c)
            self.labels(c, q.labels)
        for cat in self.reg.categories:
            c = u.category(cat.id)
            self.concept(c, KG.Category, u.category_scheme(), cat.id, KG.TermCode)
            self.top(u.category_scheme(), c)
            self.labels(c, cat.labels)
            self.add(c, KG.rank, Literal(cat.rank))
        for lvl in self.reg.significance_levels:
            c = u.significance_level(lvl.id)
            self.concept(
                c, KG.SignificanceLevel, u.significance_level_scheme(), lvl.id, KG.TermCode
            )
            self.top(u.significance_level_scheme(), c)
            self.labels(c, lvl.labels)
            self.add(c, KG.rank, Literal(lvl.rank))
            self.derived(c)
        for kind, (kk, ru, en) in DECISION_KINDS.items():
            c = u.decision_kind(kind)
            self.concept(c, KG.DecisionKind, u.decision_kind_scheme(), kind, KG.TermCode)
            self.top(u.decision_kind_scheme(), c)
            self.labels(c, Labels(kk, ru, en))

    def institution_types(self) -> None:
        u = self.u
        for it in self.reg.institution_types:
            c = u.institution_type(it.id)
            self.concept(c, KG.InstitutionType, u.institution_type_scheme(), it.id, KG.TermCode)
            self.labels(c, it.labels)
            if it.abbreviation:
                self.add(c, SKOS.altLabel, Literal(it.abbreviation, lang="kk"))
            if it.broader:
                self.narrower(u.institution_type(it.broader), c)
            else:
                self.top(u.institution_type_scheme(), c)
            self.derived(c)

    def hierarchy(self) -> None:
        u, scheme = self.u, self.u.scheme()
        for b in self.reg.blocks:
            c = u.block(b.notation)
            self.concept(c, KG.Block, scheme, b.notation, KG.BlockCode)
            self.top(scheme, c)
            self.labels(c, b.labels)
            self.derived(c)
        for t in self.reg.tiers:
            c = u.tier(t.notation)
            self.concept(c, KG.Tier, scheme, t.notation, KG.TierCode)
            self.narrower(u.block(t.block), c)
            self.add(c, KG.block, u.block(t.block))
            self.labels(c, t.labels)
            self.derived(c)
        sectors = {s.id: s for s in self.reg.sectors}
        for g in self.reg.grades:
            c = u.grade(g.notation)
            self.concept(c, KG.Grade, scheme, g.notation, KG.GradeCode)
            self.narrower(u.tier(g.tier), c)
            self.add(c, KG.tier, u.tier(g.tier))
            self.add(c, KG.block, u.block(g.block))
            if g.step:
                self.add(c, KG.step, Literal(g.step))
            if g.sector:
                self.add(c, KG.sector, u.sector(g.sector))
            if g.qualification_level:
                self.add(c, KG.qualificationLevel, u.qualification_level(g.qualification_level))
            if g.category:
                self.add(c, KG.category, u.category(g.category))
            self.labels(
                c, _grade_labels(g.tier, g.step, sectors[g.sector].labels if g.sector else None)
            )
            self.add(c, DCTERMS.source, self.consolidated)
            self.derived(c)

    def positions(self) -> None:
        u = self.u
        grades = {g.notation: g for g in self.reg.grades}
        for p in self.reg.positions:
            c = u.position(p.notation)
            g = grades[p.grade]
            self.concept(c, KG.Position, u.scheme(), p.notation, KG.PositionCode)
            self.narrower(u.grade(p.grade), c)
            self.add(c, KG.grade, u.grade(p.grade))
            self.add(c, KG.tier, u.tier(g.tier))
            self.add(c, KG.block, u.block(g.block))
            if g.sector:
                self.add(c, KG.sector, u.sector(g.sector))
            level = p.qualification_level or g.qualification_level
            if level:
                self.add(c, KG.qualificationLevel, u.qualification_level(level))
            if g.category:
                self.add(c, KG.category, u.category(g.category))
            self.add(c, SKOS.prefLabel, Literal(p.label_kk, lang="kk"))
            for it in p.institution_types:
                self.add(c, KG.institutionType, u.institution_type(it))
            if p.significance_level:
                self.add(c, KG.significanceLevel, u.significance_level(p.significance_level))
            self.quote(c, f"position/{p.notation}", "title", p.span)
            self.add(c, DCTERMS.source, self.consolidated)
            self.derived(c)

    def structural_quotes(self) -> None:
        for s in self.reg.spans:
            subject = self.u.subject(s.subject)
            q = self.quote(subject, _subject_path(s.subject), s.role, s.span)
            if s.note:
                self.add(q, RDFS.comment, Literal(s.note, lang="en"))

    def decisions(self) -> None:
        u = self.u
        for d in self.reg.decisions:
            s = u.decision(d.id)
            self.add(s, RDF.type, KG.EditorialDecision)
            self.add(s, RDFS.label, Literal(f"{d.id}: {DECISION_KINDS[d.kind][2]}", lang="en"))
            self.add(s, KG.decisionKind, u.decision_kind(d.kind))
            self.add(s, KG.lawSays, Literal(d.law_says, lang="en"))
            self.add(s, KG.weRecord, Literal(d.we_record, lang="en"))
            self.add(s, RDFS.comment, Literal(d.rationale, lang="en"))
            self.add(s, PROV.wasDerivedFrom, self.consolidated)
            if d.span is not None:
                self.quote(s, f"decision/{d.id}", "law-text", d.span)
            for ref in d.subjects:
                target = u.subject(ref)
                self.add(s, KG.affects, target)
                self.add(target, KG.editorialDecision, s)
                self.add(
                    target,
                    SKOS.editorialNote,
                    Literal(f"{d.id} ({DECISION_KINDS[d.kind][2]}): {d.we_record}", lang="en"),
                )

    def deprecations(self) -> None:
        """Positions removed by an amendment, or split by a decision, stay, deprecated,
        pointing to their successors."""
        u = self.u
        for d in self.reg.deprecations:
            c = u.position(d.notation)
            self.add(c, OWL.deprecated, Literal(True))
            for successor in d.replaced_by:
                self.add(c, DCTERMS.isReplacedBy, u.position(successor))
                self.add(u.position(successor), DCTERMS.replaces, c)
            if d.decision:
                note = (
                    f"Split by editorial decision {d.decision} (a reading of {d.act}) into "
                    f"{', '.join(d.replaced_by)}" + (f": {d.note}" if d.note else ".")
                )
            else:
                note = f"Removed from the register by {d.act}" + (f": {d.note}" if d.note else ".")
            self.add(c, SKOS.historyNote, Literal(note, lang="en"))
            self.add(c, PROV.wasInvalidatedBy, u.act(d.act))


def _camel(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("-"))


def _subject_path(ref: str) -> str:
    kind, _, key = ref.partition(":")
    if kind == "scheme":
        return "register"
    kind = {"level": "significance-level"}.get(kind, kind)
    return f"{kind}/{key}"


def _grade_labels(tier: str, step: str, sector: Labels | None) -> Labels:
    """Descriptive labels of a grade (the law prints only the codes)."""
    out = {}
    for lang, tier_word in (("kk", "{t} звеносы"), ("ru", "Звено {t}"), ("en", "Tier {t}")):
        text = tier_word.format(t=tier)
        if step:
            text += f", {step}-{STEP_WORD[lang]}" if lang == "kk" else f", {STEP_WORD[lang]} {step}"
        if sector is not None:
            text += f" ({getattr(sector, lang)})"
        out[lang] = text
    return Labels(**out)


def build_graph(reg: Register, uris: Uris) -> Graph:
    """The register's graph, ontology included."""
    return RegisterGraph(reg, uris).build()
