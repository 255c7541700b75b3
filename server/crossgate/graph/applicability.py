"""Which requirements apply to a system, as of a date (DESIGN.md: legal status and as-of).

The same rules are written in Rego for gate decisions (rego/, docs/policy-data.md); the
conformance of the two is tested in tests/test_coverage.py against the compiled data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from crossgate.graph.model import Applicability, Requirement

# The EU AI Act class of a system that has none: it is outside every class-bound obligation.
NO_RISK_CLASS = "none"
# EU law says provider, US state laws say developer: a system in one role is in the other.
ROLE_EQUIVALENTS = {"provider": {"provider", "developer"}, "developer": {"provider", "developer"}}


@dataclass(frozen=True)
class SystemProfile:
    """Attributes of a system. None means "not given": that attribute excludes nothing."""

    jurisdictions: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    risk_class: str | None = None
    use_cases: tuple[str, ...] | None = None
    tier: str | None = None
    personal_data: bool | None = None
    user_facing: bool | None = None


def profile_of_system(system: Mapping[str, Any]) -> SystemProfile:
    """A gate-contract `system` object as a profile. Every attribute is binding: a system with
    no EU AI Act class is outside every obligation bound to a risk class."""
    return SystemProfile(
        jurisdictions=tuple(system.get("jurisdictions") or ()),
        roles=tuple(system.get("roles") or ()),
        risk_class=system.get("eu_ai_act_class") or NO_RISK_CLASS,
        use_cases=tuple(system.get("use_cases") or ()),
        tier=system.get("risk_tier"),
        personal_data=bool(system.get("personal_data", False)),
        user_facing=bool(system.get("user_facing", False)),
    )


def effective_state(req: Requirement, as_of: date) -> str:
    """in_force | upcoming | repealed | superseded | proposed, as of the date."""
    day = as_of.isoformat()
    status = req.status
    if status == "proposed":
        return "proposed"
    if status in ("repealed", "superseded") and not (req.applies_to and day <= req.applies_to):
        return status
    if req.applies_to and day > req.applies_to:
        return "repealed"
    if req.applies_from and req.applies_from > day:
        return "upcoming"
    return "in_force"


def _expand_roles(roles: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLE_EQUIVALENTS.get(role, {role})
    return out


def applies_to(cond: Applicability, system: SystemProfile) -> bool:
    checks: list[tuple[list[str], set[str] | None]] = [
        (cond.jurisdictions, set(system.jurisdictions) if system.jurisdictions is not None
         else None),
        (cond.roles, _expand_roles(system.roles) if system.roles is not None else None),
        (cond.risk_classes, {system.risk_class} if system.risk_class else None),
        (cond.use_cases, set(system.use_cases) if system.use_cases is not None else None),
        (cond.tiers, {system.tier} if system.tier else None),
    ]
    for required, have in checks:
        if required and have is not None and not set(required) & have:
            return False
    if cond.personal_data and system.personal_data is False:
        return False
    return not (cond.user_facing and system.user_facing is False)
