"""Imports against the revisioned store: current state, commit, history and revert.

- `known_state(store)` reads what the planner compares a file with, from the head revision.
- `plan_against_store(store, data, filename, ...)` plans an upload against the head and
  returns (plan, base revision number).
- `commit_plan(store, plan, base_revision)` writes a plan as ONE new revision: the import's own
  named graph (graph/import/<import id>) plus, when the import changes or removes what other
  graphs say, those graphs rewritten without the replaced triples. It refuses a plan with
  errors, an empty plan, and a plan made against an older revision.
- `import_history(store)` lists the imports and their reverts, from the revision log.
- `revert_import(store, import_id, who)` restores every graph the import's revision touched to
  its previous version (the store keeps every version), as a new revision; refused when a later
  revision changed one of those graphs again (revert that one first).

Revisions record imports in their message: "import <id> (<mode>) <file>: +a ~c -r" and
"revert import <id>".
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from crossgate.graph import vocab as V
from crossgate.graph.ids import try_short_id
from crossgate.graph.store import GraphStore, Revision, StoreConflict
from crossgate.sheets import rdf
from crossgate.sheets.model import KnownState
from crossgate.sheets.plan import ImportPlan, plan_import

_MESSAGE = re.compile(r"^import (?P<id>\S+) \((?P<mode>\w+)\) (?P<file>.*): "
                      r"\+(?P<added>\d+) ~(?P<changed>\d+) -(?P<removed>\d+)$", re.S)
_REVERT = re.compile(r"^revert import (?P<id>\S+)")
SHACL_MAX_TRIPLES = 50_000


class ImportRefused(Exception):
    """A commit or revert that cannot happen. `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


@dataclass(frozen=True)
class CommitResult:
    import_id: str
    revision: int
    graph: str
    rewritten_graphs: tuple[str, ...]  # other graphs the import changed or removed values in
    counts: dict[str, int]
    shacl_checked: bool


@dataclass(frozen=True)
class ImportRecord:
    import_id: str
    revision: int
    created: str
    author: str
    mode: str
    file_name: str
    added: int
    changed: int
    removed: int
    reverted_in: int | None = None  # revision that reverted it
    graphs: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "revision": self.revision,
                "created": self.created, "author": self.author, "mode": self.mode,
                "file": self.file_name, "added": self.added, "changed": self.changed,
                "removed": self.removed, "reverted_in": self.reverted_in}


# ---------------------------------------------------------------------------------------------
# The graph's current state, as the planner wants it

_P = f"PREFIX cg: <{V.CG}>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
_FRAMEWORKS = _P + """SELECT DISTINCT ?id ?title ?summary ?jurisdiction ?publisher WHERE {
  ?f a cg:Framework ; cg:shortId ?id .
  OPTIONAL { ?f dcterms:title ?title } OPTIONAL { ?f dcterms:description ?summary }
  OPTIONAL { ?f cg:jurisdiction ?jurisdiction } OPTIONAL { ?f dcterms:publisher ?publisher }
}"""
_REQUIREMENTS = _P + """SELECT DISTINCT ?id ?kind ?title ?summary ?citation ?fw ?parent ?status ?from ?to
       ?replacedBy WHERE {
  VALUES ?kind { cg:Obligation cg:Control cg:PolicyStatement cg:EvidenceType }
  ?r a ?kind ; cg:shortId ?id .
  OPTIONAL { ?r dcterms:title ?title } OPTIONAL { ?r dcterms:description ?summary }
  OPTIONAL { ?r cg:citation ?citation } OPTIONAL { ?r cg:framework ?fw }
  OPTIONAL { ?r dcterms:isPartOf ?parent } OPTIONAL { ?r cg:legalStatus ?status }
  OPTIONAL { ?r cg:appliesFrom ?from } OPTIONAL { ?r cg:appliesTo ?to }
  OPTIONAL { ?r dcterms:isReplacedBy ?replacedBy }
}"""
_APPLICABILITY = _P + """SELECT DISTINCT ?id ?p ?v WHERE {
  VALUES ?p { cg:appliesToJurisdiction cg:appliesToRole cg:appliesToRiskClass
              cg:appliesToUseCase cg:appliesToTier }
  ?r ?p ?v ; cg:shortId ?id .
}"""
_MAPPINGS = _P + """SELECT DISTINCT ?m ?source ?target ?relation ?strength ?rationale ?rationaleType
WHERE {
  ?m a cg:Mapping ; cg:source ?source ; cg:target ?target ; cg:relation ?relation .
  OPTIONAL { ?m cg:strength ?strength } OPTIONAL { ?m cg:rationale ?rationale }
  OPTIONAL { ?m cg:rationaleType ?rationaleType }
}"""
_PROFILES = _P + """SELECT DISTINCT ?id ?name ?nearMiss WHERE {
  ?p a cg:GateProfile ; cg:shortId ?id ; cg:gateName ?name .
  OPTIONAL { ?p cg:nearMissRatio ?nearMiss }
}"""
_GATE_PARTS = _P + """SELECT DISTINCT ?name ?link ?part ?ev ?minTier ?condition ?maxAge ?control ?title
       ?remediation ?role ?scope ?metric ?max ?severity ?status ?tier ?strategy WHERE {
  VALUES ?link { cg:hasItem cg:hasApproval cg:hasThreshold cg:hasBlockingFinding
                 cg:hasStrategy }
  ?p a cg:GateProfile ; cg:gateName ?name ; ?link ?part .
  OPTIONAL { ?part cg:evidenceType ?ev } OPTIONAL { ?part cg:minTier ?minTier }
  OPTIONAL { ?part cg:condition ?condition } OPTIONAL { ?part cg:maxAgeDays ?maxAge }
  OPTIONAL { ?part cg:control ?control } OPTIONAL { ?part dcterms:title ?title }
  OPTIONAL { ?part cg:remediation ?remediation } OPTIONAL { ?part cg:approverRole ?role }
  OPTIONAL { ?part cg:approvalScope ?scope } OPTIONAL { ?part cg:metric ?metric }
  OPTIONAL { ?part cg:maxValue ?max } OPTIONAL { ?part cg:severity ?severity }
  OPTIONAL { ?part cg:findingStatus ?status } OPTIONAL { ?part cg:tier ?tier }
  OPTIONAL { ?part cg:strategy ?strategy }
}"""
_ALL_IDS = _P + "SELECT DISTINCT ?id WHERE { ?x cg:shortId ?id }"

_KINDS = {str(V.OBLIGATION): "obligation", str(V.CONTROL): "control",
          str(V.POLICY_STATEMENT): "policy", str(V.EVIDENCE_TYPE): "evidence"}
_LIST_KEYS = {str(V.APPLIES_TO_JURISDICTION): "jurisdictions",
              str(V.APPLIES_TO_ROLE): "roles", str(V.APPLIES_TO_RISK_CLASS): "risk_classes",
              str(V.APPLIES_TO_USE_CASE): "use_cases", str(V.APPLIES_TO_TIER): "tiers"}
_ENTRIES = {str(V.HAS_ITEM): "item", str(V.HAS_APPROVAL): "approval",
            str(V.HAS_THRESHOLD): "threshold", str(V.HAS_BLOCKING_FINDING): "blocking_finding",
            str(V.HAS_STRATEGY): "strategy"}
_RELATIONS = {str(iri): name for name, iri in V.RELATIONS.items()}


def _number(text: str | None, kind: type) -> Any:
    if text in (None, ""):
        return None
    return int(float(text)) if kind is int else float(text)


def known_state(store: GraphStore) -> KnownState:
    """The head revision as plain data for plan_import."""
    state = KnownState()
    for row in store.select(_FRAMEWORKS):
        state.frameworks.setdefault(row["id"], {
            key: row.get(key) for key in ("title", "summary", "jurisdiction", "publisher")})
    for row in store.select(_REQUIREMENTS):
        state.requirements.setdefault(row["id"], {
            "kind": _KINDS[row["kind"]], "title": row.get("title"),
            "summary": row.get("summary"), "citation": row.get("citation"),
            "framework": try_short_id(row["fw"]) if row.get("fw") else None,
            "part_of": try_short_id(row["parent"]) if row.get("parent") else None,
            "legal_status": row.get("status"), "applies_from": row.get("from"),
            "applies_to": row.get("to"),
            "replaced_by": try_short_id(row["replacedBy"]) if row.get("replacedBy") else None,
        })
    lists: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in store.select(_APPLICABILITY):
        lists[row["id"]][_LIST_KEYS[row["p"]]].add(row["v"])
    for short_id, fields in lists.items():
        if short_id in state.requirements:
            state.requirements[short_id].update(
                {key: tuple(sorted(vals)) for key, vals in fields.items()})
    for row in store.select(_MAPPINGS):
        key = (try_short_id(row["source"]), try_short_id(row["target"]))
        state.mappings.setdefault(key, {
            "id": try_short_id(row["m"]),
            "relation": _RELATIONS.get(row["relation"], row["relation"]),
            "strength": _number(row.get("strength"), int), "rationale": row.get("rationale"),
            "rationale_type": row.get("rationaleType")})
    for row in store.select(_PROFILES):
        state.gate.setdefault(row["id"], {
            "gate": row["name"], "entry": "profile",
            "near_miss_ratio": _number(row.get("nearMiss"), float)})
    for row in store.select(_GATE_PARTS):
        state.gate.setdefault(try_short_id(row["part"]), {
            "gate": row["name"], "entry": _ENTRIES[row["link"]],
            "item": try_short_id(row["ev"]) if row.get("ev") else None,
            "min_tier": row.get("minTier"), "condition": row.get("condition"),
            "max_age_days": _number(row.get("maxAge"), int),
            "control": try_short_id(row["control"]) if row.get("control") else None,
            "title": row.get("title"), "remediation": row.get("remediation"),
            "role": row.get("role"), "scope": row.get("scope"), "metric": row.get("metric"),
            "max_value": _number(row.get("max"), float), "severity": row.get("severity"),
            "status": row.get("status"), "tier": row.get("tier"),
            "strategy": row.get("strategy")})
    state.other_ids = {row["id"] for row in store.select(_ALL_IDS)}
    return state


def plan_against_store(store: GraphStore, data: bytes, filename: str, **kwargs: Any,
                       ) -> tuple[ImportPlan, int]:
    """plan_import against the head revision; returns (plan, the head's revision number).

    kwargs are plan_import's (mode, who, now, limits, options, prefix, prefix_map).
    """
    base = store.head().number
    return plan_import(data, filename, known_state(store), **kwargs), base


# ---------------------------------------------------------------------------------------------
# Commit


def commit_plan(store: GraphStore, plan: ImportPlan, base_revision: int, *,
                ontology_dir: Path | None = None, shacl_max_triples: int = SHACL_MAX_TRIPLES,
                record_dir: Path | None = None) -> CommitResult:
    """Write an error-free plan as one new revision (see the module docstring).

    ontology_dir: when given, the import graph is SHACL-validated first (shapes.ttl and
    crossgate.ttl from there) if it has at most shacl_max_triples triples; the row checks
    already enforce the shapes' constraints, so larger imports rely on those alone.
    record_dir: when given, the plan's JSON (with the revision) is kept there as
    <import id>.json for the import history.
    """
    if not plan.ok:
        raise ImportRefused(422, f"the import has {len(plan.errors)} error(s); fix the file "
                                 "and upload it again", [i.to_dict() for i in plan.errors])
    if plan.empty:
        raise ImportRefused(409, "nothing to commit: the graph already says what this file "
                                 "says")
    head = store.head()
    if head.number != base_revision:
        raise ImportRefused(409, f"the graph changed since this plan was made (revision "
                                 f"{base_revision}, now {head.number}): plan the file again")
    if plan.graph in head.graphs:
        raise ImportRefused(409, f"import {plan.import_id} is already committed")
    ntriples = plan.to_ntriples()
    shacl_checked = False
    if ontology_dir is not None and ntriples.count("\n") <= shacl_max_triples:
        _shacl(store, ntriples, ontology_dir)
        shacl_checked = True
    changes: dict[str, str | None] = {}
    patterns = plan.deletions()
    if patterns:
        for graph in store.graphs_holding({s for s, _, _ in patterns}):
            if graph in (plan.graph, V.META_GRAPH, V.ONTOLOGY_GRAPH):
                continue
            changes[graph] = _without(store.graph_ntriples(graph), patterns)
    changes[plan.graph] = ntriples
    counts = plan.counts()
    message = (f"import {plan.import_id} ({plan.mode}) {plan.file_name}: "
               f"+{counts['added']} ~{counts['changed']} -{counts['removed']}")
    try:
        revision = store.commit(changes, message, plan.who, expected_head=base_revision)
    except StoreConflict as exc:
        raise ImportRefused(409, "the graph changed while this import was being prepared: "
                                 "plan the file again") from exc
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
        record = {**plan.to_json(), "revision": revision.number,
                  "rewritten_graphs": sorted(g for g in changes if g != plan.graph)}
        (record_dir / f"{plan.import_id}.json").write_text(json.dumps(record, indent=1))
    return CommitResult(plan.import_id, revision.number, plan.graph,
                        tuple(sorted(g for g in changes if g != plan.graph)), counts,
                        shacl_checked)


def _shacl(store: GraphStore, ntriples: str, ontology_dir: Path) -> None:
    from rdflib import Graph

    from crossgate.graph.validate import blocking, validate_batch

    batch = Graph().parse(data=ntriples, format="nt")
    violations = blocking(validate_batch(batch, ontology_dir / "shapes.ttl",
                                         ontology_dir / "crossgate.ttl", store))
    if violations:
        raise ImportRefused(422, f"{len(violations)} SHACL violation(s); nothing was written",
                            [v.as_dict() for v in violations])


def _without(ntriples: str, patterns: list[rdf.Pattern]) -> str:
    """A graph's N-Triples minus the triples matching any (s, p|None, o|None) pattern."""
    by_subject: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for subject, predicate, obj in patterns:
        by_subject[subject].append((predicate, obj))
    kept = []
    for triple in ox.parse(ntriples.encode(), format=ox.RdfFormat.N_TRIPLES):
        rules = by_subject.get(getattr(triple.subject, "value", ""))
        if rules and any((p is None or p == triple.predicate.value)
                         and (o is None or o == str(triple.object)) for p, o in rules):
            continue
        kept.append(triple)
    return (ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES) or b"").decode()


# ---------------------------------------------------------------------------------------------
# History and revert


def import_history(store: GraphStore) -> list[ImportRecord]:
    """Every committed import, newest first, with the revision that reverted it if any."""
    reverted: dict[str, int] = {}
    records: list[ImportRecord] = []
    for revision in store.history():  # newest first
        if match := _REVERT.match(revision.message):
            reverted.setdefault(match["id"], revision.number)
            continue
        if match := _MESSAGE.match(revision.message):
            records.append(ImportRecord(
                match["id"], revision.number, revision.created, revision.author,
                match["mode"], match["file"], int(match["added"]), int(match["changed"]),
                int(match["removed"]), reverted.get(match["id"]), dict(revision.graphs)))
    return records


def revert_import(store: GraphStore, import_id: str, who: str) -> Revision:
    """Undo one import as a new revision (see the module docstring)."""
    record = next((r for r in import_history(store) if r.import_id == import_id), None)
    if record is None:
        raise ImportRefused(404, f"no import {import_id!r} in the revision history")
    if record.reverted_in is not None:
        raise ImportRefused(409, f"import {import_id} was already reverted in revision "
                                 f"{record.reverted_in}")
    before = store.revision(record.revision - 1).graphs if record.revision > 1 else {}
    after = record.graphs
    touched = {g for g in set(before) | set(after) if before.get(g) != after.get(g)}
    head = store.head()
    moved = sorted(g for g in touched if head.graphs.get(g) != after.get(g))
    if moved:
        later = [r.number for r in store.history() if r.number > record.revision]
        raise ImportRefused(409, f"revision(s) {', '.join(map(str, sorted(later)))} changed "
                                 f"graphs this import wrote ({', '.join(moved)}); revert "
                                 "those first", moved)
    changes = {g: store.version_ntriples(g, before[g]) if g in before else None
               for g in touched}
    return store.commit(changes, f"revert import {import_id}", who)
