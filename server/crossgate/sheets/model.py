"""The plain data an import works on: entries read from a file, and the graph's current state.

Everything here is plain Python (strings, ints, floats, tuples, dicts) so an import can be
planned and tested without a store. Field values are canonical: ids as short ids, dates as
ISO strings, lists as sorted tuples, relations as crossgate relation names. The same shape is
expected in KnownState, built from the store (commit.known_state_from_store), so that
comparing "before" and "after" needs no conversion.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

# Fields per entry kind, in display order. Mapping fields include its two ends.
FRAMEWORK_FIELDS = ("title", "summary", "jurisdiction", "publisher")
REQUIREMENT_FIELDS = ("title", "summary", "framework", "kind", "citation", "legal_status",
                      "applies_from", "applies_to", "replaced_by", "part_of", "jurisdictions",
                      "roles", "risk_classes", "use_cases", "tiers")
LIST_FIELDS = frozenset({"jurisdictions", "roles", "risk_classes", "use_cases", "tiers"})
MAPPING_FIELDS = ("source", "target", "relation", "strength", "rationale", "rationale_type")
GATE_FIELDS = ("gate", "entry", "item", "min_tier", "condition", "max_age_days", "control",
               "title", "remediation", "role", "scope", "metric", "max_value", "severity",
               "status", "tier", "strategy", "near_miss_ratio")
FIELDS = {"framework": FRAMEWORK_FIELDS, "requirement": REQUIREMENT_FIELDS,
          "mapping": MAPPING_FIELDS, "gate": GATE_FIELDS}
KIND_ORDER = ("framework", "requirement", "mapping", "gate")
# Requirement kinds (the "kind" field) and the prefixes that imply one for a new id.
REQUIREMENT_KINDS = ("obligation", "control", "policy", "evidence")
KIND_BY_PREFIX = {"ctrl": "control", "pol": "policy", "ev": "evidence"}


def mapping_id(source: str, target: str) -> str:
    """The short id of the mapping node for (source, target): the same pair from any file is
    the same node, so a second import of it changes it instead of adding a twin."""
    digest = hashlib.sha256(f"{source}|{target}".encode()).hexdigest()
    return "map:" + digest[:16]


def gate_entry_id(fields: dict[str, Any]) -> str:
    """A gate profile part's short id from its natural key, in the shipped content's style:
    gate:deployment-item-risk-classification, gate:deployment-approval-ml-lead,
    gate:deployment-threshold-hallucination-rate, gate:deployment-blocking-critical-open,
    gate:deployment-strategy-high; the profile itself is gate:deployment."""
    gate, entry = fields["gate"], fields["entry"]
    if entry == "profile":
        return f"gate:{gate}"
    key = {
        "item": lambda: str(fields["item"]).split(":", 1)[-1],
        "approval": lambda: fields["role"],
        "threshold": lambda: fields["metric"],
        "blocking_finding": lambda: f"{fields['severity']}-{fields['status']}",
        "strategy": lambda: fields["tier"],
    }[entry]()
    label = "blocking" if entry == "blocking_finding" else entry
    return f"gate:{gate}-{label}-" + _slug(str(key))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(slots=True)
class Entry:
    """One thing a file says: a framework, a requirement, a mapping or a gate profile part.

    `fields` holds only what the file states. A field present with value None means the file
    has the column but the cell is empty ("no value": kept in merge mode, cleared in replace).
    """

    kind: str
    id: str
    fields: dict[str, Any]
    sheet: str
    row: int | None  # Excel row number (1-based); None for non-tabular sources (OSCAL JSON)
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter
    valid: bool = True  # False once a check found an error in it: it stays out of the diff

    def column(self, field_name: str) -> str | None:
        return self.columns.get(field_name)


@dataclass
class KnownState:
    """The graph as the planner needs it, as plain data.

    frameworks / requirements / gate: short id -> fields (see the *_FIELDS tuples; requirement
    ids include controls, policy statements and evidence types, with their "kind").
    mappings: (source, target) -> fields, optionally with "id" when the node's short id is not
    mapping_id(source, target) (content loaded by other means).
    other_ids: any further ids that exist (so they are not reported unknown).
    """

    frameworks: dict[str, dict[str, Any]] = field(default_factory=dict)
    requirements: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    gate: dict[str, dict[str, Any]] = field(default_factory=dict)
    other_ids: set[str] = field(default_factory=set)
    _lower: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def has(self, short_id: str) -> bool:
        return (short_id in self.requirements or short_id in self.frameworks
                or short_id in self.other_ids or short_id in self.gate)

    def lower_index(self) -> dict[str, str]:
        """Lower-cased id -> id, to suggest the right spelling of an unknown id."""
        index = self._lower
        if index is None:
            index = {}
            for ids in (self.requirements, self.frameworks, self.other_ids):
                for short_id in ids:
                    index.setdefault(short_id.lower(), short_id)
            self._lower = index
        return index

    @classmethod
    def from_ids(cls, ids: set[str] | list[str]) -> KnownState:
        """A state that only knows that these ids exist (no fields, no mappings)."""
        return cls(other_ids=set(ids))


@dataclass
class ParsedFile:
    """What a file says, before comparing with the graph."""

    format: str  # "crossgate" | "csv" | "ciso-assistant-framework" | "ciso-assistant-mapping"
    # | "oscal-catalog"
    entries: list[Entry] = field(default_factory=list)
    issues: list[Any] = field(default_factory=list)  # validate.Issue
    rows_read: int = 0
    # Replace mode: mapping framework pairs a file declares it covers (a CISO Assistant mapping
    # set's source and target frameworks), on top of the pairs its mappings show.
    declared_pairs: set[tuple[str, str]] = field(default_factory=set)
    # Replace mode: frameworks whose whole requirement list the file gives.
    declared_frameworks: set[str] = field(default_factory=set)

    def of_kind(self, kind: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == kind]
