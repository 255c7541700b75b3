"""What every report format reads from a decision: the subject, the checks, folded warnings.

A *check* is one thing the gate required: an evidence item, an approval role or a blocking
criterion (the decision's `required`), plus one check per violation that belongs to none of them
(an invalid exception, an engine error). Each check passed, failed (with its violations) or was
skipped (waived by an exception). JUnit writes one testcase per check; text, SARIF and GitHub
write the violations and fold the warnings.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Violation codes of an evidence item's own check (the item is the evidence type).
ITEM_CODES = frozenset({"missing_evidence", "stale_evidence", "integrity_mismatch"})
#: Violation codes of an approval role's check (the item is the role).
APPROVAL_CODES = frozenset({"missing_approval"})


@dataclass(frozen=True)
class Check:
    kind: str  # "item", "approval", "criterion" or "other"
    name: str
    title: str
    violations: tuple[Mapping[str, Any], ...] = ()
    waiver: Mapping[str, Any] | None = None

    @property
    def status(self) -> str:
        if self.violations:
            return "failed"
        return "skipped" if self.waiver is not None else "passed"


@dataclass(frozen=True)
class WarningGroup:
    code: str
    summary: str
    warnings: tuple[Mapping[str, Any], ...]


@dataclass
class Report:
    decision: Mapping[str, Any]
    candidate: Mapping[str, Any] = field(default_factory=dict)
    #: The candidate file as the user named it (SARIF and GitHub point at it), and its text.
    candidate_path: str | None = None
    candidate_text: str | None = None

    # -- the subject -----------------------------------------------------------------------
    @property
    def allow(self) -> bool:
        return self.decision.get("allow") is True

    @property
    def verdict(self) -> str:
        return "ALLOW" if self.allow else "DENY"

    @property
    def gate(self) -> str:
        return str(self.candidate.get("gate") or "deployment")

    @property
    def system_id(self) -> str:
        system = self.candidate.get("system")
        return str(system.get("id")) if isinstance(system, Mapping) and system.get("id") else "?"

    @property
    def version(self) -> str:
        release = self.candidate.get("release")
        return str(release.get("version") or "") if isinstance(release, Mapping) else ""

    @property
    def subject(self) -> str:
        return f"{self.system_id} {self.version}".strip()

    @property
    def violations(self) -> list[Mapping[str, Any]]:
        return list(self.decision.get("violations") or [])

    @property
    def warnings(self) -> list[Mapping[str, Any]]:
        return list(self.decision.get("warnings") or [])

    @property
    def waived(self) -> list[Mapping[str, Any]]:
        return [w for w in self.decision.get("waived") or [] if isinstance(w, Mapping)]

    def recorded_words(self) -> str:
        """Where the decision went: its id and ledger record, or why it has none."""
        recorded = self.decision.get("recorded")
        decision_id = self.decision.get("decision_id")
        if isinstance(recorded, Mapping) and recorded.get("seq") is not None:
            digest = str(recorded.get("hash") or "")[:12]
            return f"decision {decision_id} recorded as ledger #{recorded['seq']} (hash {digest})"
        if self.decision.get("what_if"):
            as_of = self.candidate.get("as_of")
            return f"decision {decision_id}: what-if as of {as_of}, not recorded"
        if decision_id:
            return f"decision {decision_id} not recorded (dry run)"
        return "no decision was recorded"

    def lifecycle_words(self) -> list[str]:
        """Which earlier recorded decisions the release relied on: the one at the previous
        stage that satisfied the stage order, and for a rollback the one it restores."""
        lifecycle = self.decision.get("lifecycle")
        if not isinstance(lifecycle, Mapping):
            return []
        words = []
        by = lifecycle.get("stage_order")
        if isinstance(by, Mapping):
            words.append(f"stage order: {lifecycle.get('previous_stage')} allowed version "
                         f"{by.get('version')} in decision {by.get('decision_id')} "
                         f"(ledger #{by.get('seq')}, {by.get('at')})")
        restores = lifecycle.get("restores")
        if isinstance(restores, Mapping):
            words.append(f"restores version {restores.get('version')}, allowed in decision "
                         f"{restores.get('decision_id')} (ledger #{restores.get('seq')}, "
                         f"{restores.get('at')})")
        return words

    # -- checks ----------------------------------------------------------------------------
    def checks(self) -> list[Check]:
        required = self.decision.get("required")
        required = required if isinstance(required, Mapping) else {}
        violations = self.violations
        claimed: set[int] = set()

        def take(codes: Collection[Any], item: Any) -> tuple[Mapping[str, Any], ...]:
            """The violations not yet claimed with one of `codes` and (unless None) `item`."""
            found = []
            for i, v in enumerate(violations):
                if i not in claimed and v.get("code") in codes and (
                        item is None or v.get("item") == item):
                    claimed.add(i)
                    found.append(v)
            return tuple(found)

        waivers = {str(w.get("item")): w for w in self.waived}
        out: list[Check] = []
        items = _names(required.get("items")) or sorted(
            {str(v.get("item")) for v in violations if v.get("code") in ITEM_CODES}
            | {str(m) for m in self.decision.get("missing") or []} | set(waivers))
        for item in items:
            out.append(Check("item", item, f"evidence {item}", take(ITEM_CODES, item),
                             waivers.get(item)))
        approvals = _names(required.get("approvals")) or sorted(
            {str(v.get("item")) for v in violations if v.get("code") in APPROVAL_CODES})
        for role in approvals:
            out.append(Check("approval", role, f"approval by {role}", take(APPROVAL_CODES, role)))
        for criterion in required.get("criteria") or []:
            if not isinstance(criterion, Mapping):
                continue
            code, target = criterion.get("code"), criterion.get("item")
            waiver = next((w for w in self.waived if code in (w.get("suppressed") or [])
                           and (target is None or w.get("item") == target)), None)
            out.append(Check("criterion", f"{code}" + (f" {target}" if target else ""),
                             str(criterion.get("title") or code), take({code}, target), waiver))
        for i, v in enumerate(violations):
            if i not in claimed:
                name = f"{v.get('code')} {v.get('item') or ''}".strip()
                out.append(Check("other", name, name, (v,)))
        return out

    # -- warnings, folded --------------------------------------------------------------------
    def warning_groups(self) -> list[WarningGroup]:
        by_code: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for w in self.warnings:
            by_code[str(w.get("code"))].append(w)
        groups = []
        for code in sorted(by_code, key=lambda c: (-len(by_code[c]), c)):
            entries = tuple(by_code[code])
            groups.append(WarningGroup(code, _fold(code, entries), entries))
        return groups

    # -- where in the candidate file ---------------------------------------------------------
    def line_of(self, *needles: Any) -> int:
        """The first line of the candidate file that names one of the needles as a JSON
        string (an evidence type, a role, a finding id); 1 when none does."""
        if not self.candidate_text:
            return 1
        for needle in needles:
            if not needle:
                continue
            quoted = json.dumps(str(needle))
            for number, line in enumerate(self.candidate_text.splitlines(), start=1):
                if quoted in line:
                    return number
        return 1


def _names(values: Any) -> list[str]:
    return sorted({str(v) for v in values}) if isinstance(values, Sequence) and not isinstance(
        values, str) else []


def _fold(code: str, entries: Sequence[Mapping[str, Any]]) -> str:
    n = len(entries)
    if code == "upcoming_obligation":
        dates = Counter(str(w.get("applies_from") or "?") for w in entries)
        spread = ", ".join(f"{count} from {day}" for day, count in sorted(dates.items()))
        return (f"{n} obligation{_s(n)} upcoming that the evidence does not meet yet "
                f"({spread})")
    if code == "unsatisfied_requirement":
        return f"{n} applicable requirement{_s(n)} not covered by evidence (not blocking)"
    if code == "near_threshold":
        items = ", ".join(sorted({str(w.get("item")) for w in entries}))
        return f"{n} metric{_s(n)} within the near-miss margin of a limit ({items})"
    return f"{n} {code.replace('_', ' ')} warning{_s(n)}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
