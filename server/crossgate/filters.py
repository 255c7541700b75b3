"""Filter values a caller names (coverage, requirement lists, exports, dashboard, CLI), checked
against where each value set is defined.

A misspelt filter must not read as an all-clear: `role=povider` would exclude every role-bound
obligation and report "0 gaps". So every value is first spelt the way the importer spells it
(sheets/aliases.py: "high risk" -> high-risk, "Provider" -> provider) and then checked against
its set: the closed vocabularies the graph's shapes accept (roles, risk classes, tiers), the
coverage statuses, and for open vocabularies (jurisdictions, use cases, frameworks, kinds) the
values the head revision's graph names. Anything else raises UnknownValue, which the API answers
with 422 (path = the parameter), the dashboard with a 422 page and the CLI with exit 2.

This module sits above graph and sheets (it reads both) so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from crossgate.gate.input import EARLIEST, LATEST
from crossgate.graph.applicability import NO_RISK_CLASS, SystemProfile
from crossgate.graph.coverage import STATUSES
from crossgate.graph.model import KINDS, GraphModel
from crossgate.graph.vocab import TIERS
from crossgate.sheets import aliases

# How many allowed values an error message spells out before "..." (jurisdictions can be many).
_LISTED = 40


class UnknownValue(ValueError):
    """A filter value outside its set; `path` is the parameter (or JSON path) that carried it."""

    def __init__(self, path: str, label: str, value: str, allowed: Iterable[str]) -> None:
        self.path, self.value, self.allowed = path, value, sorted(allowed)
        shown = ", ".join(self.allowed[:_LISTED])
        if len(self.allowed) > _LISTED:
            shown += f", ... ({len(self.allowed)} in all)"
        self.detail = f"unknown {label} {value!r}; allowed: {shown or '(none in the graph)'}"
        super().__init__(f"{path}: {self.detail}")

    def as_error(self) -> dict[str, str]:
        return {"path": self.path, "message": self.detail}


@dataclass(frozen=True)
class ValueSet:
    label: str
    canonical: Callable[[str], str | None]  # the importer's spelling, None when it has none
    allowed: Callable[[GraphModel], Iterable[str]]


def _applicability(model: GraphModel, attribute: str) -> set[str]:
    """Every value the graph's requirements and gate jurisdiction rules name for an attribute
    ("jurisdictions", "use_cases")."""
    out: set[str] = set()
    for req in model.requirements.values():
        out.update(getattr(req.applicability, attribute))
    for profile in model.profiles.values():
        for rule in profile.get("jurisdiction_rules") or []:  # type: ignore[attr-defined]
            if attribute == "jurisdictions":
                out.add(str(rule["jurisdiction"]))
            else:
                out.update(rule.get(attribute) or [])
    return out


def _jurisdictions(model: GraphModel) -> set[str]:
    known = {str(fw["jurisdiction"]) for fw in model.frameworks.values() if fw.get("jurisdiction")}
    return known | _applicability(model, "jurisdictions")


def _same(value: str) -> str:
    return value.strip()


def _kind(value: str) -> str | None:
    kind = aliases.canonical_kind(value)
    return kind if kind in KINDS.values() else None


ROLE = ValueSet("role", aliases.canonical_role, lambda _m: aliases.ROLES)
RISK_CLASS = ValueSet("risk class",
                      lambda v: NO_RISK_CLASS if v.strip().lower() == NO_RISK_CLASS
                      else aliases.canonical_risk_class(v),
                      lambda _m: (*aliases.RISK_CLASSES, NO_RISK_CLASS))
TIER = ValueSet("tier", aliases.canonical_tier, lambda _m: TIERS)
STATUS = ValueSet("status", lambda v: v.strip().lower().replace(" ", "_"), lambda _m: STATUSES)
JURISDICTION = ValueSet("jurisdiction", aliases.canonical_jurisdiction, _jurisdictions)
USE_CASE = ValueSet("use case", aliases.canonical_use_case,
                    lambda m: _applicability(m, "use_cases"))
FRAMEWORK = ValueSet("framework", _same, lambda m: m.frameworks)
KIND = ValueSet("kind", _kind, lambda _m: sorted(set(KINDS.values())))


def check(values: Iterable[str], value_set: ValueSet, model: GraphModel, path: str,
          *, indexed: bool = False) -> list[str]:
    """The values in their canonical spelling; UnknownValue for the first one outside the set.
    indexed: name each value by position (`$.system.roles[1]`) rather than by `path` alone."""
    allowed = set(value_set.allowed(model))
    out: list[str] = []
    for i, value in enumerate(values):
        canonical = value_set.canonical(value)
        if canonical is None or canonical not in allowed:
            raise UnknownValue(f"{path}[{i}]" if indexed else path, value_set.label, value,
                               allowed)
        if canonical not in out:
            out.append(canonical)
    return out


def check_one(value: str | None, value_set: ValueSet, model: GraphModel, path: str) -> str | None:
    return check([value], value_set, model, path)[0] if value is not None else None


def profile(model: GraphModel, *, jurisdiction: list[str] | None = None,
            role: list[str] | None = None, risk_class: str | None = None,
            use_case: list[str] | None = None, tier: str | None = None) -> SystemProfile:
    """The system profile a coverage question names by filters (GET /v1/coverage, the CLI);
    an attribute not given excludes nothing."""
    def many(values: list[str] | None, value_set: ValueSet, name: str) -> tuple[str, ...] | None:
        return tuple(check(values, value_set, model, name)) if values else None

    return SystemProfile(
        jurisdictions=many(jurisdiction, JURISDICTION, "jurisdiction"),
        roles=many(role, ROLE, "role"),
        risk_class=check_one(risk_class, RISK_CLASS, model, "risk_class"),
        use_cases=many(use_case, USE_CASE, "use_case"),
        tier=check_one(tier, TIER, model, "tier"),
    )


def well_formed(values: Iterable[str], value_set: ValueSet, path: str) -> list[str]:
    """For a system's own description (POST /v1/coverage): an open vocabulary only has to be
    spelt as the importer accepts it (a system may be in a jurisdiction no framework names)."""
    out: list[str] = []
    for i, value in enumerate(values):
        canonical = value_set.canonical(value)
        if canonical is None:
            raise UnknownValue(f"{path}[{i}]", value_set.label, value,
                               [f"a value matching {_PATTERNS[value_set.label]}"])
        out.append(canonical)
    return out


_PATTERNS = {JURISDICTION.label: aliases.JURISDICTION_PATTERN,
             USE_CASE.label: aliases.USE_CASE_PATTERN}


# Every timestamp of the product lies in the range the gate input accepts (Rego's nanosecond
# time, DESIGN.md "Time is the server's"); a time filter outside it matches nothing the ledger
# can hold, and converting it to UTC could overflow.
RANGE_TEXT = "between 1678-01-01 and 2262-01-01 (UTC)"


class OutOfRange(ValueError):
    def __init__(self, path: str, detail: str) -> None:
        self.path, self.detail = path, detail
        super().__init__(f"{path}: {detail}")

    def as_error(self) -> dict[str, str]:
        return {"path": self.path, "message": self.detail}


def time_bound(value: datetime | None, path: str) -> datetime | None:
    """A since/until instant in the product's range, in UTC (naive is read as UTC, as the
    ledger does)."""
    if value is None:
        return None
    # compare the wall time first: astimezone() overflows for 9999-12-31T23:00-05:00
    if not EARLIEST.year - 1 <= value.year <= LATEST.year:
        raise OutOfRange(path, f"{value.isoformat()} is not {RANGE_TEXT}")
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if not EARLIEST <= moment < LATEST:
        raise OutOfRange(path, f"{value.isoformat()} is not {RANGE_TEXT}")
    return moment


def day_bound(value: date | None, path: str) -> date | None:
    if value is not None and not EARLIEST.date() <= value < LATEST.date():
        raise OutOfRange(path, f"{value.isoformat()} is not {RANGE_TEXT}")
    return value


def page_number(text: str | None, path: str, largest: int) -> int:
    """A 1-based page number: a positive integer no larger than `largest`."""
    if not text:
        return 1
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 19
            and 1 <= int(digits) <= largest):
        raise OutOfRange(path, f"{text[:40]!r} is not a page number (1 to {largest:,})")
    return int(digits)
