"""What an import writes to the graph: N-Triples for its own named graph, and what it deletes.

An import's named graph (vocab.GRAPH_BASE + "import/<import id>") holds, for each node the
import adds or changes, the values the import sets, and the import activity itself. Values the
import replaces are deleted from whichever graph held them (a changed relation must not leave
the old one behind); `deletions` lists them as (subject, predicate or None, object or None)
patterns over all named graphs, and `sparql_update` renders deletions plus insert as one
SPARQL 1.1 Update, which a store applies in one transaction.

Triples are written as text (not through rdflib) because an import may hold 100,000 mappings
and rdflib would need seconds and hundreds of megabytes to build the same graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from crossgate.graph import vocab
from crossgate.graph.ids import to_iri

Pattern = tuple[str, str | None, str | None]  # (subject IRI, predicate IRI, object term)

XSD_STRING = str(vocab.XSD.string)
XSD_INTEGER = str(vocab.XSD.integer)
XSD_DECIMAL = str(vocab.XSD.decimal)
XSD_DATE = str(vocab.XSD.date)
XSD_DATETIME = str(vocab.XSD.dateTime)
RDF_TYPE = str(vocab.RDF.type)

REQUIREMENT_CLASSES = {
    "obligation": str(vocab.OBLIGATION),
    "control": str(vocab.CONTROL),
    "policy": str(vocab.POLICY_STATEMENT),
    "evidence": str(vocab.EVIDENCE_TYPE),
}
GATE_CLASSES = {
    "profile": str(vocab.GATE_PROFILE),
    "item": str(vocab.GATE_ITEM),
    "approval": str(vocab.APPROVAL_RULE),
    "threshold": str(vocab.THRESHOLD),
    "blocking_finding": str(vocab.BLOCKING_FINDING_RULE),
    "strategy": str(vocab.DEPLOYMENT_STRATEGY),
}
GATE_LINKS = {
    "item": str(vocab.HAS_ITEM),
    "approval": str(vocab.HAS_APPROVAL),
    "threshold": str(vocab.HAS_THRESHOLD),
    "blocking_finding": str(vocab.HAS_BLOCKING_FINDING),
    "strategy": str(vocab.HAS_STRATEGY),
}

# field -> (predicate, value type): "iri" (a short id), "literal", "integer", "decimal",
# "date", "relation", "class" (rdf:type from the kind).
PREDICATES: dict[str, dict[str, tuple[str, str]]] = {
    "framework": {
        "title": (str(vocab.TITLE), "literal"),
        "summary": (str(vocab.SUMMARY), "literal"),
        "jurisdiction": (str(vocab.JURISDICTION), "literal"),
        "publisher": (str(vocab.PUBLISHER), "literal"),
    },
    "requirement": {
        "title": (str(vocab.TITLE), "literal"),
        "summary": (str(vocab.SUMMARY), "literal"),
        "framework": (str(vocab.IN_FRAMEWORK), "iri"),
        "kind": (RDF_TYPE, "class"),
        "citation": (str(vocab.CITATION), "literal"),
        "legal_status": (str(vocab.LEGAL_STATUS), "literal"),
        "applies_from": (str(vocab.APPLIES_FROM), "date"),
        "applies_to": (str(vocab.APPLIES_TO), "date"),
        "replaced_by": (str(vocab.REPLACED_BY), "iri"),
        "part_of": (str(vocab.PART_OF), "iri"),
        "jurisdictions": (str(vocab.APPLIES_TO_JURISDICTION), "literal"),
        "roles": (str(vocab.APPLIES_TO_ROLE), "literal"),
        "risk_classes": (str(vocab.APPLIES_TO_RISK_CLASS), "literal"),
        "use_cases": (str(vocab.APPLIES_TO_USE_CASE), "literal"),
        "tiers": (str(vocab.APPLIES_TO_TIER), "literal"),
    },
    "mapping": {
        "source": (str(vocab.SOURCE), "iri"),
        "target": (str(vocab.TARGET), "iri"),
        "relation": (str(vocab.RELATION_P), "relation"),
        "strength": (str(vocab.STRENGTH), "integer"),
        "rationale": (str(vocab.RATIONALE), "literal"),
        "rationale_type": (str(vocab.RATIONALE_TYPE), "literal"),
    },
    "gate": {
        "item": (str(vocab.EVIDENCE_TYPE_P), "iri"),
        "min_tier": (str(vocab.MIN_TIER), "literal"),
        "condition": (str(vocab.CONDITION), "literal"),
        "max_age_days": (str(vocab.MAX_AGE_DAYS), "integer"),
        "control": (str(vocab.CONTROL_P), "iri"),
        "title": (str(vocab.TITLE), "literal"),
        "remediation": (str(vocab.REMEDIATION), "literal"),
        "role": (str(vocab.APPROVER_ROLE), "literal"),
        "scope": (str(vocab.APPROVAL_SCOPE), "literal"),
        "metric": (str(vocab.METRIC), "literal"),
        "max_value": (str(vocab.MAX_VALUE), "decimal"),
        "severity": (str(vocab.SEVERITY), "literal"),
        "status": (str(vocab.FINDING_STATUS), "literal"),
        "tier": (str(vocab.TIER), "literal"),
        "strategy": (str(vocab.STRATEGY), "literal"),
        "near_miss_ratio": (str(vocab.NEAR_MISS_RATIO), "decimal"),
    },
}
CLASSES = {"framework": str(vocab.FRAMEWORK), "mapping": str(vocab.MAPPING)}


def iri(term: str) -> str:
    return f"<{term}>"


def literal(value: Any, datatype: str | None = None) -> str:
    escaped = (str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    if datatype is None or datatype == XSD_STRING:
        return f'"{escaped}"'
    return f'"{escaped}"^^<{datatype}>'


def _decimal(value: Any) -> str:
    text = format(Decimal(str(value)), "f")
    return text if "." in text else text + ".0"


def object_terms(kind: str, field: str, value: Any) -> list[str]:
    """The RDF object term(s) for one field value (a list field gives one term per item)."""
    if value is None:
        return []
    value_type = PREDICATES[kind][field][1]
    items = value if isinstance(value, tuple | list) else (value,)
    terms = []
    for item in items:
        if value_type == "iri":
            terms.append(iri(to_iri(item)))
        elif value_type == "relation":
            terms.append(iri(str(vocab.RELATIONS[item])))
        elif value_type == "class":
            terms.append(iri(REQUIREMENT_CLASSES[item]))
        elif value_type == "integer":
            terms.append(literal(int(item), XSD_INTEGER))
        elif value_type == "decimal":
            terms.append(literal(_decimal(item), XSD_DECIMAL))
        elif value_type == "date":
            terms.append(literal(item, XSD_DATE))
        else:
            terms.append(literal(item))
    return terms


class Provenance:
    """Who imported what, when, from which file: stamped on the import's nodes."""

    def __init__(self, import_id: str, who: str, when: dt.datetime, file_name: str,
                 sha256: str) -> None:
        self.import_id, self.who, self.when = import_id, who, when
        self.file_name, self.sha256 = file_name, sha256
        self.activity = iri(to_iri(f"import:{import_id}"))
        self.created = literal(when.isoformat().replace("+00:00", "Z"), XSD_DATETIME)

    def activity_triples(self) -> Iterator[str]:
        subject = self.activity
        yield f"{subject} <{RDF_TYPE}> <{vocab.PROV.Activity}> ."
        yield f"{subject} <{vocab.IMPORT_ID}> {literal(self.import_id)} ."
        yield f"{subject} <{vocab.AUTHOR}> {literal(self.who)} ."
        yield f"{subject} <{vocab.CREATED}> {self.created} ."
        yield f"{subject} <{vocab.SOURCE_DOC}> {literal(self.file_name)} ."
        yield f"{subject} <{vocab.SOURCE_FILE_SHA256}> {literal(self.sha256)} ."

    def mapping_triples(self, subject: str, sheet: str | None, row: int | None) -> Iterator[str]:
        yield f"{subject} <{vocab.AUTHOR}> {literal(self.who)} ."
        yield f"{subject} <{vocab.CREATED}> {self.created} ."
        yield f"{subject} <{vocab.SOURCE_DOC}> {literal(self.file_name)} ."
        yield f"{subject} <{vocab.SOURCE_FILE_SHA256}> {literal(self.sha256)} ."
        if sheet is not None:
            yield f"{subject} <{vocab.SOURCE_SHEET}> {literal(sheet)} ."
        if row is not None:
            yield f"{subject} <{vocab.SOURCE_ROW}> {literal(row, XSD_INTEGER)} ."
        yield f"{subject} <{vocab.IMPORT_ID}> {literal(self.import_id)} ."
        yield f"{subject} <{vocab.DERIVED_FROM}> {self.activity} ."


def item_triples(item: dict[str, Any], prov: Provenance,
                 seen_profiles: set[str] | None = None) -> Iterator[str]:
    """Triples for one added or changed diff item (see plan.compute_diff)."""
    kind, short_id, after = item["kind"], item["id"], item["after"]
    before = item["before"] or {}
    subject = iri(to_iri(short_id))
    origin = item.get("origin") or {}
    added = item["before"] is None
    if kind == "mapping" or added:
        # new nodes and mappings are described whole
        fields = after
        if kind == "framework":
            yield f"{subject} <{RDF_TYPE}> <{CLASSES['framework']}> ."
        elif kind == "mapping":
            yield f"{subject} <{RDF_TYPE}> <{CLASSES['mapping']}> ."
        elif kind == "gate":
            yield f"{subject} <{RDF_TYPE}> <{GATE_CLASSES[after['entry']]}> ."
        yield f"{subject} <{vocab.SHORT_ID}> {literal(short_id)} ."
    else:
        fields = {name: value for name, value in after.items() if before.get(name) != value}
    if kind == "gate" and added:
        yield from _gate_structure(subject, after, seen_profiles
                                   if seen_profiles is not None else set())
    for name, value in fields.items():
        if name not in PREDICATES[kind]:
            continue
        predicate = PREDICATES[kind][name][0]
        for term in object_terms(kind, name, value):
            yield f"{subject} <{predicate}> {term} ."
    if kind == "requirement" and added and short_id.startswith("euaia:"):
        yield f"{subject} <{vocab.ELI_PART_OF}> <{vocab.EU_AI_ACT_ELI}> ."
    if kind == "mapping":
        yield from prov.mapping_triples(subject, origin.get("sheet"), origin.get("row"))
    else:
        yield f"{subject} <{vocab.DERIVED_FROM}> {prov.activity} ."


def _gate_structure(subject: str, after: dict[str, Any], seen: set[str]) -> Iterator[str]:
    """A new gate part hangs off its profile node, which is described once per import."""
    gate = after["gate"]
    profile = iri(to_iri(f"gate:{gate}"))
    if after["entry"] == "profile":
        seen.add(gate)
        yield f"{subject} <{vocab.GATE_NAME}> {literal(gate)} ."
        return
    if gate not in seen:
        seen.add(gate)
        yield f"{profile} <{RDF_TYPE}> <{vocab.GATE_PROFILE}> ."
        yield f"{profile} <{vocab.GATE_NAME}> {literal(gate)} ."
        yield f"{profile} <{vocab.SHORT_ID}> {literal('gate:' + gate)} ."
    yield f"{profile} <{GATE_LINKS[after['entry']]}> {subject} ."


def deletions(items: Iterable[dict[str, Any]]) -> list[Pattern]:
    """What must go from every graph before the import's triples are added."""
    patterns: list[Pattern] = []
    for item in items:
        kind, before, after = item["kind"], item["before"], item["after"]
        if before is None:
            continue
        subject = to_iri(item["id"])
        if after is None or kind == "mapping":
            patterns.append((subject, None, None))
            if kind == "gate" and before.get("entry") in GATE_LINKS:
                patterns.append((to_iri(f"gate:{before['gate']}"),
                                 GATE_LINKS[before["entry"]], iri(subject)))
            continue
        for name in PREDICATES[kind]:
            if before.get(name) != after.get(name) and before.get(name) is not None:
                patterns.append((subject, PREDICATES[kind][name][0], None))
    return patterns


def ntriples(items: Iterable[dict[str, Any]], prov: Provenance) -> Iterator[str]:
    """The import graph's triples, one N-Triples line each (without newline)."""
    yield from prov.activity_triples()
    seen_profiles: set[str] = set()
    for item in items:
        if item["after"] is not None:
            yield from item_triples(item, prov, seen_profiles)


def sparql_update(graph: str, patterns: list[Pattern], lines: Iterable[str]) -> str:
    """One SPARQL 1.1 Update: delete the patterns from every named graph, then insert the
    import's triples into its own graph."""
    operations = []
    for subject, predicate, obj in patterns:
        p = iri(predicate) if predicate else "?p"
        o = obj if obj else "?o"
        operations.append(f"DELETE WHERE {{ GRAPH ?g {{ {iri(subject)} {p} {o} }} }}")
    body = "\n".join(lines)
    operations.append(f"INSERT DATA {{ GRAPH {iri(graph)} {{\n{body}\n}} }}")
    return " ;\n".join(operations)
