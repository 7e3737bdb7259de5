"""W3C Reconciliation Service API 0.2 (what OpenRefine speaks) on top of kg.lookup.search.

Everything here is plain data in, plain data out: the web layer (kg/web/search_routes.py)
only decodes parameters and encodes the dicts returned here, so the rules of the protocol
can be tested without a server.

Identifiers: an entity's id is its URI's path under the register's base IRI
("position/C2.02"), so the manifest's ``identifierSpace`` is the base IRI and id + base is
the URI. Type ids are the URI path words (``position``, ``grade``, ``tier``, ``block``,
``institution-type``, ``occupation``, ...); class URIs and kg: names are accepted too.

Scores and matches: a candidate's score is its search score (0-100, see kg.lookup.search) times
the share of soft property constraints it meets (0.8 + 0.2 * share). ``match: true`` goes
to the first candidate only when it scores at least :data:`MATCH_SCORE`, is not deprecated,
and the next candidate is at least :data:`MATCH_MARGIN` points lower: the same title in two
grades (Бухгалтер in C2 and C3) is a real ambiguity, to be settled by a tier or grade
constraint, not a guess. Candidates under :data:`CANDIDATE_SCORE` are not returned, so a
query with no sensible candidate gets an empty list.

Property constraints: structural properties (notation, block, tier, grade, step, sector)
filter: a candidate whose value differs is dropped. So do the facts that tell a title's
grades apart (qualification level, category, significance level) when their value names a
member of the law's list, in kk, ru or en words or as an id ("орташа"/"средний"/"medium",
"бірінші"/"первая"/"first", "санаты жоқ"/"без категории"/"none"); a position's category
and qualification level are its grade's. When title and properties leave one position it
gets ``match: true`` from :data:`PINNED_SCORE` on. The others (institution type,
occupation, ISCO-08 code, labels) only weigh on the score. Values may be codes with
look-alike letters ("В2"), ids, URIs or labels. Category or qualification words in the
query text ("мейіргер бірінші санатты") lower the candidates that lack them.

Errors: every malformed input raises :class:`ReconcileError` with a message; the web layer
answers 400 with it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from kg.lookup.search import TYPE_ORDER, Entity, Hit, SearchIndex, as_code, fold, resolve_words

VERSION = "0.2"
SCHEMA_SPACE = "https://reg1042.example.org/def#"
#: Most queries in one batch (the default of `Reconciler.max_batch`; the server passes its
#: --max-batch setting) and most candidates per query.
MAX_BATCH = 1000
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MATCH_SCORE = 90.0
MATCH_MARGIN = 10.0
#: With facts given as properties that leave candidates of one title, a lower name score
#: is enough for a match ("врач" for "Врачи всех специальностей", category "second").
PINNED_SCORE = 60.0
#: Properties whose values tell a title's grades apart: given, they filter (the law's
#: closed lists, so a value is understood in kk, ru or en words, or as an id).
FACT_PROPERTIES = ("qualification-level", "category", "significance-level")
#: A candidate that lacks the category or qualification level the query's words named.
UNFIT_FACTOR = 0.8
CANDIDATE_SCORE = 30.0
#: Types offered to OpenRefine first (the others still work when named).
DEFAULT_TYPES = ("position", "occupation", "grade", "tier", "institution-type")
PREVIEW_SIZE = (420, 190)
LANGUAGES = {"kk": "Kazakh", "ru": "Russian", "en": "English", "kk-Latn": "Kazakh (Latin)"}


class ReconcileError(ValueError):
    """A request the protocol does not allow; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class PropertyDef:
    """A property that queries may constrain and data extension may fetch."""

    id: str
    name: str
    description: str
    types: tuple[str, ...]
    target: str | None = None  # entity type of the values; None: strings
    strict: bool = False  # a mismatch drops the candidate (structure), else lowers its score


_REGISTER = ("position", "grade", "tier", "block")
PROPERTIES: tuple[PropertyDef, ...] = (
    PropertyDef("notation", "Notation", "The register code (skos:notation)", TYPE_ORDER, None, True),
    PropertyDef("block", "Block", "Block A-D (kg:block)", ("position", "grade", "tier"), "block", True),
    PropertyDef("tier", "Tier", "Tier A1 ... D1 (kg:tier)", ("position", "grade"), "tier", True),
    PropertyDef("grade", "Grade", "Register row: tier, step, sector (kg:grade)", ("position",), "grade", True),
    PropertyDef("step", "Step", "Step within the tier, e.g. 1 or 1-1 (kg:step)", ("position", "grade"), None, True),
    PropertyDef("sector", "Sector", "Healthcare, education or other sectors, tiers B2-B4 (kg:sector)", ("position", "grade"), "sector", True),
    PropertyDef("qualification-level", "Qualification level", "kg:qualificationLevel: high or medium, as an id or in kk, ru or en words (орташа, средний, medium); given, it picks the grade", ("position", "grade"), "qualification-level"),
    PropertyDef("category", "Category", "Category of the specialist (kg:category): highest, first, second or none, as an id or in words (бірінші, первая, first; санаты жоқ, без категории); given, it picks the grade", ("position", "grade"), "category"),
    PropertyDef("significance-level", "Significance level", "Level of the institution (kg:significanceLevel): republican, regional or district, as an id or in words (облыстық, областной, regional); given, it picks the grade", ("position",), "significance-level"),
    PropertyDef("institution-type", "Institution types", "Institution types the title names (kg:institutionType)", ("position",), "institution-type"),
    PropertyDef("occupation", "Occupation", "The occupation of the position (kg:occupation)", ("position",), "occupation"),
    PropertyDef("isco", "ISCO-08 code", "ISCO-08 unit group codes, from the occupation's SKOS mappings", ("position", "occupation")),
    PropertyDef("isco-mapping", "ISCO-08 mapping", "SKOS mapping relation and ISCO-08 code, e.g. 'exactMatch 2411'", ("position", "occupation")),
    PropertyDef("broader", "Broader institution type", "skos:broader", ("institution-type",), "institution-type"),
    PropertyDef("label-kk", "Kazakh label", "skos:prefLabel@kk (the law's title)", TYPE_ORDER),
    PropertyDef("label-ru", "Russian label", "skos:prefLabel@ru (unofficial translation)", TYPE_ORDER),
    PropertyDef("label-en", "English label", "skos:prefLabel@en (unofficial translation)", TYPE_ORDER),
    PropertyDef("label-kk-latn", "Kazakh label (Latin script)", "Labels @kk-Latn", TYPE_ORDER),
    PropertyDef("uri", "URI", "The concept's URI", TYPE_ORDER),
)  # fmt: skip
PROPERTY_BY_ID = {p.id: p for p in PROPERTIES}


def _service_version() -> str:
    try:
        return metadata.version("kg-register-1042")
    except metadata.PackageNotFoundError:
        return "0"


def parse_json_param(name: str, text: str | None) -> Any:
    """The JSON value of a request parameter, or a ReconcileError saying what is wrong."""
    if text is None or not text.strip():
        raise ReconcileError(f"the '{name}' parameter is empty")
    try:
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise ReconcileError(f"the '{name}' parameter is not valid JSON: {e}") from None
    except RecursionError:
        raise ReconcileError(f"the '{name}' parameter is nested too deeply") from None
    except ValueError:  # NaN, Infinity, 1e400, or an integer of thousands of digits
        raise ReconcileError(
            f"the '{name}' parameter holds a number that is not finite or too long"
        ) from None


def _not_a_number(name: str) -> float:
    """NaN and Infinity are not JSON (Python's parser takes them unless told not to)."""
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class Reconciler:
    """The reconciliation service of one search index."""

    def __init__(self, index: SearchIndex, max_batch: int = MAX_BATCH) -> None:
        self.index = index
        #: Queries per batch and ids per extend request (the server passes its setting).
        self.max_batch = max_batch
        self._type_ids = [t for t in TYPE_ORDER if any(e.type == t for e in index.entities)]
        aliases: dict[str, str] = {}
        for t in TYPE_ORDER:
            cls = "".join(part.capitalize() for part in t.split("-"))
            for alias in (t, cls, f"kg:{cls}", SCHEMA_SPACE + cls, t.replace("-", "")):
                aliases[alias.casefold()] = t
        self._type_alias = aliases
        self._value_keys: dict[tuple[str, str], frozenset[str]] = {}

    # ------------------------------------------------------------------------ manifest

    def manifest(self, service_url: str, site_url: str) -> dict[str, Any]:
        """The service manifest; URLs are absolute, built from where the request came in."""
        return {
            "versions": [VERSION],
            "name": "Register of civil-servant positions, Order No. 1042 (Kazakhstan)",
            "identifierSpace": self.index.base or site_url + "/",
            "schemaSpace": SCHEMA_SPACE,
            "documentation": f"{site_url}/openapi.json",
            "serviceVersion": _service_version(),
            "view": {"url": site_url + "/{{id}}"},
            "defaultTypes": [self.type_json(t) for t in DEFAULT_TYPES if t in self._type_ids],
            "preview": {
                "url": service_url + "/preview?id={{id}}",
                "width": PREVIEW_SIZE[0],
                "height": PREVIEW_SIZE[1],
            },
            "suggest": {
                kind: {"service_url": service_url, "service_path": f"/suggest/{kind}"}
                for kind in ("entity", "type", "property")
            },
            "extend": {
                "propose_properties": {"service_url": service_url, "service_path": "/properties"},
                "property_settings": [
                    {
                        "name": "lang",
                        "label": "Language of names",
                        "type": "select",
                        "default": "kk",
                        "help_text": "Language of the names of entity values (ru and en are "
                        "unofficial translations; missing ones fall back to Kazakh)",
                        "choices": [{"value": k, "name": v} for k, v in LANGUAGES.items()],
                    }
                ],
            },
        }

    def type_json(self, kind: str) -> dict[str, str]:
        """A type as the protocol writes it (a fresh dict: callers may extend it)."""
        return {"id": kind, "name": self.index.type_name(kind, "en")}

    def resolve_type(self, value: Any) -> str:
        """A type id from any accepted spelling; ReconcileError if unknown."""
        if not isinstance(value, str):
            raise ReconcileError(f"a type must be a string, got {json.dumps(value)}")
        kind = self._type_alias.get(value.strip().casefold())
        if kind is None:
            raise ReconcileError(f"unknown type {value!r}; known: {', '.join(self._type_ids)}")
        return kind

    # ------------------------------------------------------------------------ reconcile

    def reconcile(self, batch: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Answer a batch ``{"q0": {"query": ..., "type": ..., ...}, ...}``."""
        if not isinstance(batch, dict):
            raise ReconcileError("'queries' must be a JSON object of queries keyed by id")
        if len(batch) > self.max_batch:
            raise ReconcileError(f"at most {self.max_batch} queries per batch (got {len(batch)})")
        return {key: {"result": self.candidates(key, q)} for key, q in batch.items()}

    def candidates(self, key: str, q: Any) -> list[dict[str, Any]]:
        """The candidates of one query, best first, the first with `match` if it is sure."""
        if not isinstance(q, dict):
            raise ReconcileError(f"query {key!r} must be a JSON object")
        text = q.get("query", "")
        if not isinstance(text, str):
            raise ReconcileError(f"query {key!r}: 'query' must be a string")
        types = self._query_types(key, q.get("type"))
        limit = q.get("limit", DEFAULT_LIMIT)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or (isinstance(limit, float) and not math.isfinite(limit))
            or limit < 0
        ):
            raise ReconcileError(f"query {key!r}: 'limit' must be a non-negative number")
        limit = min(int(limit), MAX_LIMIT) or DEFAULT_LIMIT
        constraints = self._constraints(key, q.get("properties", []))
        if not text.strip() and not constraints:
            raise ReconcileError(f"query {key!r} needs a 'query' string or 'properties'")
        scored, pinned = self._score(text, types, constraints)
        out = []
        for i, (hit, score) in enumerate(scored[:limit]):
            e = hit.entity
            item: dict[str, Any] = {
                "id": e.id,
                "name": e.label("kk"),
                "score": score,
                "match": False,
                "type": [self.type_json(e.type)],
                "features": [{"id": "name", "value": hit.score}],
            }
            description = self.describe(e)
            if description:
                item["description"] = description
            if i == 0:
                # deprecated candidates rank last and never stand in the way of a match
                others = [sc for h, sc in scored[1:] if not h.entity.deprecated]
                runner_up = others[0] if others else 0.0
                enough = PINNED_SCORE if pinned else MATCH_SCORE
                item["match"] = (
                    score >= enough and score - runner_up >= MATCH_MARGIN and not e.deprecated
                )
            out.append(item)
        return out

    def _query_types(self, key: str, value: Any) -> tuple[str, ...] | None:
        if value is None or value == "" or value == []:
            return None
        values = value if isinstance(value, list) else [value]
        try:
            return tuple(dict.fromkeys(self.resolve_type(v) for v in values))
        except ReconcileError as e:
            raise ReconcileError(f"query {key!r}: {e}") from None

    def _constraints(self, key: str, value: Any) -> list[tuple[PropertyDef, list[Any]]]:
        if not isinstance(value, list):
            raise ReconcileError(f"query {key!r}: 'properties' must be a list")
        out = []
        for c in value:
            if not isinstance(c, dict) or "pid" not in c or "v" not in c:
                raise ReconcileError(f"query {key!r}: each property needs 'pid' and 'v'")
            prop = PROPERTY_BY_ID.get(c["pid"]) if isinstance(c["pid"], str) else None
            if prop is None:
                raise ReconcileError(
                    f"query {key!r}: unknown property {c['pid']!r}; see /reconcile/suggest/property"
                )
            values = c["v"] if isinstance(c["v"], list) else [c["v"]]
            for v in values:
                ok = isinstance(v, str | int | float | bool) or (
                    isinstance(v, dict) and isinstance(v.get("id"), str)
                )
                if not ok:
                    raise ReconcileError(
                        f"query {key!r}: a value of {prop.id!r} must be a string, number, "
                        "boolean or an object with an 'id'"
                    )
            out.append((prop, values))
        return out

    def _score(
        self,
        text: str,
        types: tuple[str, ...] | None,
        constraints: list[tuple[PropertyDef, list[Any]]],
    ) -> tuple[list[tuple[Hit, float]], bool]:
        """Candidates with their scores, best first, and whether facts given as properties
        narrowed them (then a lower name score may still be a match)."""
        if text.strip():
            hits = self.index.search(text, types, limit=None, min_score=CANDIDATE_SCORE / 2)
        else:  # properties only: every entity of the types is a candidate at full name score
            hits = [
                Hit(e, 100.0, e.label("kk"))
                for e in self.index.entities
                if types is None or e.type in types
            ]
        strict, soft = [], []
        for p, vs in constraints:
            facts = self._fact_ids(p, vs)
            if facts:
                strict.append((p.id, facts))
            elif p.strict:
                strict.append((p.id, self.wanted_keys(vs)))
            else:
                soft.append((p.id, self.wanted_keys(vs)))
        pinned = any(p.id in FACT_PROPERTIES for p, _ in constraints) and bool(strict)
        have = self._keys_of_values
        any_fits = any(h.fits for h in hits)
        scored = []
        for hit in hits:
            if not all(not have(hit.entity.id, p).isdisjoint(ks) for p, ks in strict):
                continue
            score = hit.score
            if any_fits and not hit.fits:
                score *= UNFIT_FACTOR
            if soft:
                met = sum(not have(hit.entity.id, p).isdisjoint(ks) for p, ks in soft) / len(soft)
                score *= 0.8 + 0.2 * met
            score = round(score, 1)
            if score >= CANDIDATE_SCORE:
                scored.append((hit, score))
        scored.sort(key=lambda pair: (pair[0].entity.deprecated, -pair[1], pair[0].entity.order))
        return scored, pinned

    def _fact_ids(self, prop: PropertyDef, values: Sequence[Any]) -> frozenset[str]:
        """The ids a fact property's values name (empty if it is no fact property or no
        value names a member of its list: then the constraint only weighs)."""
        if prop.id not in FACT_PROPERTIES or prop.target is None:
            return frozenset()
        ids: set[str] = set()
        for v in values:
            text = str(v["id"] if isinstance(v, dict) else v).strip()
            entity = self.index.entity(text) or self.index.entity(f"{prop.target}/{text}")
            if entity is not None and entity.type == prop.target:
                ids.add(entity.id)
            else:
                ids.update(resolve_words(self.index, prop.target, text))
        return frozenset(ids)

    def satisfies(self, e: Entity, prop: PropertyDef, wanted: Sequence[Any]) -> bool:
        """True if one of the entity's values of `prop` equals one of `wanted`."""
        return not self._keys_of_values(e.id, prop.id).isdisjoint(self.wanted_keys(wanted))

    def wanted_keys(self, wanted: Sequence[Any]) -> frozenset[str]:
        """What values given in a query may equal: as given, folded, as a code, as an id."""
        keys: set[str] = set()
        for w in wanted:
            text = str(w["id"] if isinstance(w, dict) else w).strip()
            keys.update((text, fold(text)))
            entity = self.index.entity(text)
            if entity is not None:
                keys.add(entity.id)
            code = as_code(text, alone=True)
            if code is not None:
                keys.add(code)
        keys.discard("")
        return frozenset(keys)

    def _keys_of_values(self, entity_id: str, prop_id: str) -> frozenset[str]:
        """An entity's values of a property as match keys: ids, URIs, codes, labels, folded.

        Memoised per (entity, property): the index never changes while served."""
        key = (entity_id, prop_id)
        cached = self._value_keys.get(key)
        if cached is not None:
            return cached
        e, prop = self.index.by_id[entity_id], PROPERTY_BY_ID[prop_id]
        have: set[str] = set()
        for value in self.values(e, prop, "kk"):
            have.update(str(part) for part in value.values())
            linked = self.index.entity(value["id"]) if "id" in value else None
            if linked is not None:
                have.update((linked.uri, linked.notation, *linked.labels.values()))
                have.update(text for text, _ in linked.alt_labels)
        if prop.id == "isco-mapping":
            have.update(v.split()[-1] for v in list(have))
        have.update([fold(h) for h in have])
        have.discard("")
        cached = self._value_keys[key] = frozenset(have)
        return cached

    # ------------------------------------------------------------------------ values

    def values(self, e: Entity, prop: PropertyDef, lang: str) -> list[dict[str, str]]:
        """The values of one property of one entity, as data extension cells."""
        if e.type not in prop.types:
            return []
        if prop.target is not None:
            out = []
            refs = e.links.get(prop.id, ())
            if (
                not refs
                and e.type == "position"
                and prop.id in ("category", "qualification-level", "sector")
            ):
                fact = self.index.facts_of(e).get(prop.id)  # a position's are its grade's
                refs = [fact] if fact else []
            for ref in refs:
                linked = self.index.entity(ref)
                name = linked.label(lang) if linked is not None else ref
                out.append({"id": ref, "name": name})
            return out
        if prop.id == "notation":
            return [{"str": e.notation}] if e.notation else []
        if prop.id == "step":
            return [{"str": v} for v in e.literals.get("step", ())]
        if prop.id == "uri":
            return [{"str": e.uri}]
        if prop.id in ("isco", "isco-mapping"):
            seen: dict[str, None] = {}
            for relation, _via, group in self.index.isco_codes(e):
                seen[group.code if prop.id == "isco" else f"{relation} {group.code}"] = None
            return [{"str": v} for v in seen]
        if prop.id.startswith("label-"):
            tag = {"label-kk-latn": "kk-Latn"}.get(prop.id, prop.id[len("label-") :])
            found = [e.labels[tag]] if tag in e.labels else []
            found += [text for text, lang_ in e.alt_labels if lang_ == tag and text not in found]
            return [{"str": v} for v in found]
        return []

    def describe(self, e: Entity) -> str:
        """A short description that tells namesakes apart: codes and the grade's name."""
        parts = [e.notation] if e.notation else []
        if e.type == "position":
            grade = self.index.entity(e.links.get("grade", [""])[0])
            if grade is not None:
                parts.append(grade.label("kk"))
        elif e.labels.get("en") and e.labels["en"] != e.label("kk"):
            parts.append(e.labels["en"])
        if e.deprecated:
            successors = [
                r.notation or r.id
                for r in map(self.index.entity, e.links.get("replaced-by", ()))
                if r is not None
            ]
            parts.append(
                "deprecated" + (f", replaced by {', '.join(successors)}" if successors else "")
            )
        return " · ".join(parts)

    # ------------------------------------------------------------------------ suggest

    def suggest_entities(
        self, prefix: str, types: Sequence[str] = (), cursor: int = 0, limit: int = 10
    ) -> dict[str, Any]:
        kinds = tuple(self.resolve_type(t) for t in types) or None
        hits = self.index.search(prefix, kinds, limit=cursor + limit) if prefix.strip() else []
        return {
            "result": [
                {
                    "id": h.entity.id,
                    "name": h.entity.label("kk"),
                    "description": self.describe(h.entity),
                    "notable": [self.type_json(h.entity.type)],
                }
                for h in hits[cursor : cursor + limit]
            ]
        }

    def suggest_types(self, prefix: str) -> dict[str, Any]:
        out = []
        for t in self._type_ids:
            if _starts_a_word(prefix, [t, *self.index.type_labels.get(t, {}).values()]):
                item = self.type_json(t)
                kk = self.index.type_labels.get(t, {}).get("kk")
                if kk:
                    item["description"] = kk
                out.append(item)
        return {"result": out}

    def suggest_properties(self, prefix: str, kind: str | None = None) -> dict[str, Any]:
        t = self.resolve_type(kind) if kind else None
        return {
            "result": [
                {"id": prop.id, "name": prop.name, "description": prop.description}
                for prop in PROPERTIES
                if (t is None or t in prop.types)
                and _starts_a_word(prefix, [prop.id, prop.name, *self._property_names(prop)])
            ]
        }

    def _property_names(self, prop: PropertyDef) -> list[str]:
        """The Kazakh and Russian names of a property's values' type ("Санат", "Категория")."""
        return list(self.index.type_labels.get(prop.target or "", {}).values())

    # ------------------------------------------------------------------------ extension

    def propose_properties(self, kind: str | None, limit: int | None = None) -> dict[str, Any]:
        t = self.resolve_type(kind) if kind else "position"
        props = [p for p in PROPERTIES if t in p.types]
        if limit is not None:
            props = props[: max(0, limit)]
        out: dict[str, Any] = {
            "type": t,
            "properties": [
                {"id": p.id, "name": p.name, "description": p.description} for p in props
            ],
        }
        if limit is not None:
            out["limit"] = limit
        return out

    def extend(self, request: Any) -> dict[str, Any]:
        """Answer ``{"ids": [...], "properties": [{"id": ..., "settings": {...}}]}``."""
        if not isinstance(request, dict):
            raise ReconcileError("'extend' must be a JSON object with 'ids' and 'properties'")
        ids, props = request.get("ids"), request.get("properties")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReconcileError("'ids' must be a list of strings")
        if len(ids) > self.max_batch:
            raise ReconcileError(f"at most {self.max_batch} ids per request (got {len(ids)})")
        if not isinstance(props, list) or not all(
            isinstance(p, dict) and isinstance(p.get("id"), str) for p in props
        ):
            raise ReconcileError("'properties' must be a list of objects with an 'id'")
        wanted: list[tuple[PropertyDef, str]] = []
        for p in props:
            prop = PROPERTY_BY_ID.get(p["id"])
            if prop is None:
                raise ReconcileError(f"unknown property {p['id']!r}; see /reconcile/properties")
            settings = p.get("settings") or {}
            if not isinstance(settings, dict):
                raise ReconcileError(f"the settings of {prop.id!r} must be an object")
            lang = settings.get("lang", "kk")
            if not isinstance(lang, str) or lang not in LANGUAGES:
                raise ReconcileError(f"unknown lang {lang!r}; choose one of {', '.join(LANGUAGES)}")
            wanted.append((prop, lang))
        meta = []
        for prop, _ in wanted:
            item: dict[str, Any] = {"id": prop.id, "name": prop.name}
            if prop.target is not None:
                item["type"] = self.type_json(prop.target)
            meta.append(item)
        rows: dict[str, dict[str, list[dict[str, str]]]] = {}
        for ref in ids:
            e = self.index.entity(ref)
            rows[ref] = {
                prop.id: (self.values(e, prop, lang) if e is not None else [])
                for prop, lang in wanted
            }
        return {"meta": meta, "rows": rows}

    # ------------------------------------------------------------------------ preview

    def preview(self, ref: str) -> dict[str, Any] | None:
        """What the preview card shows of one entity (None if the id is unknown)."""
        e = self.index.entity(ref)
        if e is None:
            return None
        facts = []
        for pid in ("notation", "block", "tier", "grade", "step", "sector", "institution-type"):
            prop = PROPERTY_BY_ID[pid]
            cells = self.values(e, prop, "kk")
            if cells:
                facts.append(
                    (prop.name, ", ".join(c.get("name") or c.get("str", "") for c in cells))
                )
        isco = self.values(e, PROPERTY_BY_ID["isco-mapping"], "kk")
        if isco:
            facts.append(("ISCO-08", ", ".join(c["str"] for c in isco)))
        return {
            "entity": e,
            "title": e.label("kk"),
            "type_name": self.index.type_name(e.type, "en"),
            "translations": [
                (lang, e.labels[lang]) for lang in ("ru", "en", "kk-Latn") if lang in e.labels
            ],
            "facts": facts,
        }


def service_error(message: str) -> dict[str, str]:
    """The JSON body of a 400 answer."""
    return {"status": "error", "message": message}


def _starts_a_word(prefix: str, names: Sequence[str]) -> bool:
    """True if `prefix` (folded) begins some word of some name; an empty prefix always does."""
    p = fold(prefix)
    return not p or any(
        fold(n).startswith(p) or any(w.startswith(p) for w in fold(n).split()) for n in names
    )
