"""What spreadsheet headers and cell values mean: header aliases, relation and status spellings.

Everything a workbook may call a column, or write for a relation, a legal status or a tier, is
listed here as data. Headers are compared after `normalise_header` (case, surrounding and
repeated whitespace, underscores, a trailing `*` or `:` and a trailing "(optional)"-style
parenthesis do not matter); relation and status values after `normalise_value`.

Within one field the aliases are listed best first: when two columns of a sheet both match
the same field (an STRM sheet has "FDE #" with the id and "Focal Document Element" with a
description), the column whose header comes earlier in the list wins and the other is ignored
with a warning.
"""

from __future__ import annotations

import functools
import re

# ---------------------------------------------------------------------------------------------
# Header aliases, per sheet kind. Keys are field names used by the parser.

REQUIREMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "requirement id", "short id", "req id", "identifier", "ref id", "ref",
           "control id", "obligation id"),
    "title": ("title", "name", "requirement title", "short title", "requirement name"),
    "summary": ("summary", "description", "requirement summary", "obligation summary"),
    "framework": ("framework", "framework id", "in framework"),
    "citation": ("citation", "reference", "legal reference", "legal citation"),
    "legal_status": ("legal status", "status"),
    "applies_from": ("applies from", "effective date", "effective", "effective from",
                     "in force from", "applicable from", "start date"),
    "applies_to": ("applies to", "applies until", "applicable until", "end date",
                   "last day"),
    "replaced_by": ("replaced by", "superseded by"),
    "part_of": ("part of", "parent", "parent id"),
    "kind": ("kind", "type", "requirement type", "requirement kind"),
    "jurisdictions": ("jurisdictions", "jurisdiction"),
    "roles": ("roles", "role", "actors", "actor"),
    "risk_classes": ("risk classes", "risk class", "eu ai act class", "risk category"),
    "use_cases": ("use cases", "use case"),
    "tiers": ("tiers", "tier", "risk tiers", "risk tier"),
}

MAPPING_HEADERS: dict[str, tuple[str, ...]] = {
    "source": ("source", "source id", "source node id", "focal id", "fde #", "fde id",
               "focal document element #", "from", "source requirement",
               "focal document element", "focal element", "source control"),
    "targets": ("targets", "target", "target id", "target ids", "target node id",
                "reference id", "reference document element #", "scf #", "to",
                "target requirement", "reference document element", "reference element",
                "target control"),
    "relation": ("relation", "relationship", "strm relationship", "mapping",
                 "relationship type", "set theory relationship", "mapping relation"),
    "strength": ("strength", "strength of relationship", "confidence",
                 "relationship strength"),
    "rationale": ("rationale", "justification", "explanation", "mapping rationale"),
    "rationale_type": ("rationale type", "strm rationale", "rationale category"),
    # A crossgate export marks the mappings it derived through chains of mappings: such rows
    # are for reading and are skipped on import.
    "derived": ("derived", "derived mapping"),
}

# The provenance columns of a crossgate crosswalk export (its `detail` sheet and csv): they say
# where a mapping came from, and an import records its own provenance instead. Read-only in
# mapping sheets: left out without a warning.
MAPPING_PROVENANCE_HEADERS: tuple[str, ...] = (
    "author", "created", "source document", "import id", "source sheet", "source row", "path",
)

FRAMEWORK_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "framework id", "framework", "short id"),
    "title": ("title", "name", "framework name"),
    "jurisdiction": ("jurisdiction",),
    "publisher": ("publisher", "issuer", "author"),
    "summary": ("summary", "description"),
}

GATE_HEADERS: dict[str, tuple[str, ...]] = {
    "gate": ("gate", "gate name", "profile"),
    "entry": ("entry", "kind", "entry kind", "what"),
    "item": ("item", "evidence type", "evidence"),
    "min_tier": ("min tier", "minimum tier", "from tier"),
    "condition": ("condition", "only when"),
    "max_age_days": ("max age days", "max age", "maximum age days", "freshness days"),
    "control": ("control", "control id"),
    "metric": ("metric", "threshold metric"),
    "max_value": ("max", "max value", "threshold max", "maximum"),
    "role": ("role", "approval role", "approver role"),
    "scope": ("scope", "approval scope"),
    "severity": ("severity", "finding severity"),
    "status": ("status", "finding status"),
    "tier": ("tier",),
    "strategy": ("strategy", "deployment strategy"),
    "value": ("value",),
    "title": ("title", "name"),
    "remediation": ("remediation", "how to fix"),
}

# Columns that are never data: a reviewer's notes stay in the workbook. ("Notes" is not
# rationale: a rationale explains a mapping and goes into the graph, notes do not.)
IGNORED_HEADERS: tuple[str, ...] = (
    "notes", "note", "comment", "comments", "remarks", "internal notes", "reviewer notes",
    "todo", "status notes", "#", "no", "row", "line",
)

SHEET_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "mappings": MAPPING_HEADERS,
    "requirements": REQUIREMENT_HEADERS,
    "frameworks": FRAMEWORK_HEADERS,
    "gate_profile": GATE_HEADERS,
}

# A header row must hold these fields for the sheet to be read as that kind.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "mappings": ("source", "targets", "relation"),
    "requirements": ("id",),
    "frameworks": ("id", "title"),
    "gate_profile": ("gate", "entry"),
}

# Sheet names that say what a sheet holds (normalised like headers).
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "mappings": ("mappings", "mapping", "crosswalk", "crosswalks", "mapping set",
                 "detail"),  # `detail`: the one-row-per-mapping sheet of a crosswalk export
    "requirements": ("requirements", "requirement", "obligations", "controls"),
    "frameworks": ("frameworks", "framework"),
    "gate_profile": ("gate profile", "gate profiles", "gate", "gates"),
}
# `matrix`, `legend` and `coverage` are the reading sheets of a crossgate crosswalk export.
SKIPPED_SHEETS: tuple[str, ...] = ("readme", "read me", "instructions", "help", "guidelines",
                                   "lists", "values", "legend", "matrix", "coverage")

# ---------------------------------------------------------------------------------------------
# Cell values.

RELATIONS: tuple[str, ...] = ("equal", "superset", "subset", "intersects", "related",
                              "not_related")

# Spelling (normalised by normalise_value) -> crossgate relation. Direction is always
# "source <relation> target": "subset of" means the source is a subset of the target.
RELATION_ALIASES: dict[str, str] = {
    # equal
    "equal": "equal", "equal to": "equal", "equals": "equal", "exact match": "equal",
    "exactmatch": "equal", "skos exactmatch": "equal",
    # superset
    "superset": "superset", "superset of": "superset", "narrowmatch": "superset",
    "skos narrowmatch": "superset",
    # subset
    "subset": "subset", "subset of": "subset", "broadmatch": "subset",
    "skos broadmatch": "subset",
    # intersects (OSCAL's equivalent-to is similar, not identical)
    "intersects": "intersects", "intersects with": "intersects", "intersect": "intersects",
    "intersect with": "intersects", "intersection": "intersects",
    "equivalent to": "intersects", "equivalent": "intersects", "closematch": "intersects",
    "skos closematch": "intersects",
    # related
    "related": "related", "related to": "related", "relatedmatch": "related",
    "skos relatedmatch": "related",
    # not related
    "not related": "not_related", "not related to": "not_related",
    "no relationship": "not_related", "no relation": "not_related", "unrelated": "not_related",
}

RATIONALE_TYPES: tuple[str, ...] = ("syntactic", "semantic", "functional")

LEGAL_STATUSES: tuple[str, ...] = ("in_force", "upcoming", "repealed", "superseded", "proposed")
LEGAL_STATUS_ALIASES: dict[str, str] = {
    "in force": "in_force", "inforce": "in_force", "applies": "in_force",
    "applicable": "in_force", "active": "in_force", "effective": "in_force",
    "upcoming": "upcoming", "pending": "upcoming", "not yet in force": "upcoming",
    "not yet applicable": "upcoming", "adopted": "upcoming",
    "repealed": "repealed", "revoked": "repealed",
    "superseded": "superseded", "replaced": "superseded",
    "proposed": "proposed", "draft": "proposed", "bill": "proposed",
}

REQUIREMENT_KINDS: dict[str, str] = {
    "obligation": "obligation", "legal obligation": "obligation", "law": "obligation",
    "control": "control", "policy": "policy", "policy statement": "policy",
    "internal policy": "policy", "evidence": "evidence", "evidence type": "evidence",
}

TIERS: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")

# Closed value sets the graph's shapes (ontology/shapes.ttl) accept, checked per cell on import.
ROLES: tuple[str, ...] = ("provider", "deployer", "developer", "importer", "distributor",
                          "authorised_representative")
ROLE_ALIASES: dict[str, str] = {"authorized representative": "authorised_representative",
                                "authorised representative": "authorised_representative"}
RISK_CLASSES: tuple[str, ...] = ("prohibited", "high-risk", "limited-risk", "minimal-risk",
                                 "gpai", "gpai-systemic")
RISK_CLASS_ALIASES: dict[str, str] = {
    "high risk": "high-risk", "limited risk": "limited-risk", "minimal risk": "minimal-risk",
    "prohibited practice": "prohibited", "general purpose ai": "gpai",
    "gpai systemic": "gpai-systemic", "gpai with systemic risk": "gpai-systemic",
    "systemic risk": "gpai-systemic",
}
JURISDICTION_PATTERN = r"^(EU|ORG|[A-Z]{2}(-[A-Z0-9]{1,6})*)$"
USE_CASE_PATTERN = r"^[a-z][a-z0-9-]*$"
GATE_CONDITIONS: tuple[str, ...] = ("personal_data", "user_facing",
                                    "regulatory_notifications_required")
APPROVER_ROLES: tuple[str, ...] = ("ml_lead", "product_lead", "compliance")
APPROVAL_SCOPES: tuple[str, ...] = ("technical", "business", "compliance")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
STRATEGIES: tuple[str, ...] = ("direct", "limited", "canary", "shadow-then-canary")
METRIC_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
FINDING_STATUS_PATTERN = r"^[a-z][a-z_-]*$"

GATE_ENTRIES: dict[str, str] = {
    "item": "item", "evidence": "item", "required item": "item",
    "approval": "approval", "approver": "approval",
    "threshold": "threshold", "metric": "threshold",
    "blocking finding": "blocking_finding", "finding": "blocking_finding",
    "blocking": "blocking_finding",
    "strategy": "strategy", "deployment strategy": "strategy",
    "near miss ratio": "near_miss_ratio", "near miss": "near_miss_ratio",
}

# ---------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)$")
_VALUE_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_header(text: object) -> str:
    """`'  Strength of\\nRelationship * '` -> `'strength of relationship'`."""
    if text is None:
        return ""
    value = str(text).replace("\u00a0", " ").replace("_", " ")
    value = _SPACES.sub(" ", value).strip().lower()
    while value and value[-1] in "*:":
        value = value[:-1].rstrip()
    return value


def _without_paren(header: str) -> str:
    return _TRAILING_PAREN.sub("", header).strip()


def match_header(text: object, headers: dict[str, tuple[str, ...]]) -> tuple[str, int] | None:
    """(field, rank) for a header cell, rank being the alias position (0 = best), else None.

    A trailing parenthesis ("Strength (0-10)", "Notes (optional)") is tried without it.
    """
    header = normalise_header(text)
    if not header:
        return None
    for candidate in (header, _without_paren(header)):
        for field, aliases in headers.items():
            if candidate in aliases:
                return field, aliases.index(candidate)
    return None


def is_ignored_header(text: object, kind: str | None = None) -> bool:
    """A column that is never data: notes everywhere, and in a mapping sheet (kind
    "mappings") the provenance columns of a crossgate export."""
    header = normalise_header(text)
    ignored = IGNORED_HEADERS + (MAPPING_PROVENANCE_HEADERS if kind == "mappings" else ())
    return header in ignored or _without_paren(header) in ignored


def sheet_kind_from_name(name: str) -> str | None:
    normalised = normalise_header(name)
    for kind, names in SHEET_NAMES.items():
        if normalised in names:
            return kind
    return None


def is_skipped_sheet(name: str) -> bool:
    return normalise_header(name) in SKIPPED_SHEETS


def normalise_value(text: object) -> str:
    """`' Intersects-With '` -> `'intersects with'`, `'skos:closeMatch'` -> `'skos closematch'`."""
    value = str(text).replace("\u00a0", " ").replace(":", " ").strip().lower()
    return _VALUE_SEPARATORS.sub(" ", value).strip()


@functools.lru_cache(maxsize=512)
def _relation(text: str) -> str | None:
    return RELATION_ALIASES.get(normalise_value(text))


def canonical_relation(text: object) -> str | None:
    """The crossgate relation for any accepted spelling, or None."""
    if text is None:
        return None
    return _relation(text if isinstance(text, str) else str(text))


def canonical_legal_status(text: object) -> str | None:
    if text is None:
        return None
    value = normalise_value(text)
    if value.replace(" ", "_") in LEGAL_STATUSES:
        return value.replace(" ", "_")
    return LEGAL_STATUS_ALIASES.get(value)


def canonical_rationale_type(text: object) -> str | None:
    if text is None or len(str(text)) > 20:  # a sentence, not one of three words
        return None
    value = normalise_value(text)
    return value if value in RATIONALE_TYPES else None


def canonical_kind(text: object) -> str | None:
    return REQUIREMENT_KINDS.get(normalise_value(text))


def canonical_tier(text: object) -> str | None:
    value = str(text).strip().upper()
    return value if value in TIERS else None


def canonical_gate_entry(text: object) -> str | None:
    return GATE_ENTRIES.get(normalise_value(text))


def canonical_role(text: object) -> str | None:
    value = normalise_value(text)
    if value in ROLE_ALIASES:
        return ROLE_ALIASES[value]
    value = value.replace(" ", "_")
    return value if value in ROLES else None


def canonical_risk_class(text: object) -> str | None:
    value = normalise_value(text)
    if value in RISK_CLASS_ALIASES:
        return RISK_CLASS_ALIASES[value]
    value = value.replace(" ", "-")
    return value if value in RISK_CLASSES else None


def canonical_jurisdiction(text: object) -> str | None:
    value = re.sub(r"[\s_]+", "-", str(text).strip().upper())
    return value if re.match(JURISDICTION_PATTERN, value) else None


def canonical_use_case(text: object) -> str | None:
    value = normalise_value(text).replace(" ", "-")
    return value if re.match(USE_CASE_PATTERN, value) else None
