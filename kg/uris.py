"""The one place URIs are minted. Paths derive from notations and identifiers, so they stay
stable and readable; the base IRI is configurable (KG_BASE_IRI or --base)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rdflib import Namespace, URIRef

DEFAULT_BASE = "https://reg1042.example.org/"
#: The vocabulary namespace does not move with the data's base IRI.
KG = Namespace("https://reg1042.example.org/def#")
ONTOLOGY_IRI = URIRef("https://reg1042.example.org/def")

ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = Namespace("https://schema.org/")
SSSOM = Namespace("https://w3id.org/sssom/")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
PAV = Namespace("http://purl.org/pav/")
#: The changeset vocabulary of the release diffs (kg.release.diff).
CS = Namespace("http://purl.org/vocab/changeset/schema#")
#: ESCO's concept scheme of ISCO-08 and the namespace of its groups (C + code).
ISCO_SCHEME = URIRef("http://data.europa.eu/esco/concept-scheme/isco")
ISCO_NS = "http://data.europa.eu/esco/isco/C"


def base_from_env() -> str:
    return os.environ.get("KG_BASE_IRI", DEFAULT_BASE)


@dataclass(frozen=True)
class Uris:
    """URIs of every published thing, under one base IRI."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        """The one normalisation of a base IRI: it ends with '/', so paths append to it."""
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    def _u(self, path: str) -> URIRef:
        return URIRef(self.base + path)

    # concept schemes
    def scheme(self) -> URIRef:
        return self._u("register")

    def institution_type_scheme(self) -> URIRef:
        return self._u("institution-types")

    def sector_scheme(self) -> URIRef:
        return self._u("sectors")

    def qualification_level_scheme(self) -> URIRef:
        return self._u("qualification-levels")

    def category_scheme(self) -> URIRef:
        return self._u("categories")

    def significance_level_scheme(self) -> URIRef:
        return self._u("significance-levels")

    def decision_kind_scheme(self) -> URIRef:
        return self._u("decision-kinds")

    def occupation_scheme(self) -> URIRef:
        return self._u("occupations")

    # concepts
    def block(self, notation: str) -> URIRef:
        return self._u(f"block/{notation}")

    def tier(self, notation: str) -> URIRef:
        return self._u(f"tier/{notation}")

    def grade(self, notation: str) -> URIRef:
        return self._u(f"grade/{notation}")

    def position(self, notation: str) -> URIRef:
        return self._u(f"position/{notation}")

    def sector(self, ident: str) -> URIRef:
        return self._u(f"sector/{ident}")

    def qualification_level(self, ident: str) -> URIRef:
        return self._u(f"qualification-level/{ident}")

    def category(self, ident: str) -> URIRef:
        return self._u(f"category/{ident}")

    def significance_level(self, ident: str) -> URIRef:
        return self._u(f"significance-level/{ident}")

    def institution_type(self, ident: str) -> URIRef:
        return self._u(f"institution-type/{ident}")

    def decision_kind(self, ident: str) -> URIRef:
        return self._u(f"decision-kind/{ident}")

    def occupation(self, ident: str) -> URIRef:
        return self._u(f"occupation/{ident}")

    # the ISCO-08 crosswalk (kg/curate/occupations.py, kg/rdf/sssom.py)
    def mapping(self, occupation: str, isco_code: str) -> URIRef:
        """The record of one mapping: who made it, how, when (a kg:Mapping)."""
        return self._u(f"mapping/{occupation}/{isco_code}")

    def mapping_set(self) -> URIRef:
        """The SSSOM mapping set: its id is the URL of the published TSV."""
        return self.download("mappings.sssom.tsv")

    # provenance
    def act(self, ident: str) -> URIRef:
        return self._u(f"act/{ident}")

    def agent(self, ident: str) -> URIRef:
        return self._u(f"agent/{ident}")

    def decision(self, ident: str) -> URIRef:
        return self._u(f"decision/{ident}")

    def quote(self, subject_path: str, role: str, n: int = 1) -> URIRef:
        suffix = f"-{n}" if n > 1 else ""
        return self._u(f"quote/{subject_path}/{role}{suffix}")

    def source_text(self) -> URIRef:
        return self._u("source/order-1042.kk.txt")

    # publication
    def dataset(self) -> URIRef:
        return self._u("dataset")

    def catalog(self) -> URIRef:
        return self._u("catalog")

    def dataset_version(self, version: str) -> URIRef:
        """One release of the dataset, as the catalog describes it (kg.release.catalog)."""
        return self._u(f"dataset#v{version}")

    def distribution(self, name: str) -> URIRef:
        """One file of the dataset as a dcat:Distribution."""
        return self._u(f"dataset#{name}")

    def version_distribution(self, version: str, name: str) -> URIRef:
        """One file of one release (kept in the archive) as a dcat:Distribution."""
        return URIRef(f"{self.dataset_version(version)}-{name}")

    @staticmethod
    def checksum(distribution: str) -> URIRef:
        """The spdx:Checksum node of a distribution (one of the two methods above)."""
        return URIRef(f"{distribution}-sha256")

    def class_partition(self, local: str) -> URIRef:
        """VoID's partition of the dataset by one class (`local` names the class)."""
        return self._u(f"dataset#class-{local}")

    def publisher(self) -> URIRef:
        return self._u("publisher")

    def void(self) -> URIRef:
        """The VoID description (a void:DatasetDescription)."""
        return self._u("void")

    def sparql_endpoint(self) -> URIRef:
        return self._u("sparql")

    def sparql_service(self) -> URIRef:
        """The SPARQL endpoint as a DCAT data service and in its service description."""
        return self._u("sparql#service")

    def sparql_terms(self) -> str:
        """Namespace of the terms the service description mints for this endpoint's limits."""
        return self.base + "sparql#"

    def changes(self) -> URIRef:
        """The change log (kg.release.changes): what changed, release by release."""
        return self._u("changes")

    def release_changes(self, version: str) -> URIRef:
        """The changes one release made, in the change log."""
        return self._u(f"changes#v{version}")

    def change_sets(self, version: str) -> str:
        """What the IRIs of one release's changes start with (kg.release.diff numbers them)."""
        return f"{self.release_changes(version)}-"

    def change_set(self, version: str, n: int) -> URIRef:
        """The n-th change (a cs:ChangeSet) one release made."""
        return URIRef(f"{self.change_sets(version)}{n}")

    def download(self, name: str) -> URIRef:
        return self._u(f"downloads/{name}")

    def release_graph(self, version: str) -> URIRef:
        """The named graph one release is published as in a SPARQL store (`kg publish`)."""
        return self._u(f"graph/release-{version}")

    def subject(self, ref: str) -> URIRef:
        """The URI of a curated-data reference such as 'tier:A1' or 'position:A1-1.01'."""
        kind, _, key = ref.partition(":")
        if kind == "scheme":
            return self.scheme()
        return {
            "block": self.block,
            "tier": self.tier,
            "grade": self.grade,
            "position": self.position,
            "sector": self.sector,
            "institution-type": self.institution_type,
            "level": self.significance_level,
            "act": self.act,
        }[kind](key)

    def path_of(self, uri: str) -> str:
        """The path part of a URI under the base ('' for foreign URIs)."""
        return uri[len(self.base) :] if uri.startswith(self.base) else ""
