"""The gate input contract (DESIGN.md, "Gate decision") and its normalisation for Rego.

`GateInput` validates a candidate release: unknown fields are rejected everywhere (pydantic
reports the JSON path of the offender), timestamps must carry a time zone, the risk tier is one
of LOW, MEDIUM, HIGH, CRITICAL.

`normalise` turns a validated candidate into the exact JSON document the policies see as
`input`. It does what Rego engines disagree on, once, in Python:

- `as_of` (YYYY-MM-DD) and `as_of_ns` (00:00 UTC of that day, in nanoseconds since the epoch)
  are added; the as-of date is the explicit argument, else the candidate's `as_of`, else today
  in UTC. Everything time-dependent in the policies is a function of these two values, so a
  replay of the normalised input gives the same decision.
- every timestamp is re-rendered as RFC 3339 in UTC with a "+00:00" offset, and its instant is
  added as an integer: `collected_at_ns`, `approved_at_ns`, `expires_at_ns`;
- e-mail addresses (deployer, approvers, exception approvers) are trimmed and lower-cased, so
  comparisons for separation of duties are case-insensitive;
- finding severities and statuses, roles and use cases are lower-cased and jurisdictions
  upper-cased, matching the identifiers of the policy data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

NonEmpty = Annotated[str, Field(min_length=1, max_length=500)]
Metric = StrictInt | Annotated[StrictFloat, AllowInfNan(False)]


class RiskTier(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class System(_Strict):
    id: NonEmpty
    risk_tier: RiskTier
    jurisdictions: list[NonEmpty] = Field(default_factory=list)
    roles: list[NonEmpty] = Field(default_factory=list)
    eu_ai_act_class: NonEmpty | None = None
    use_cases: list[NonEmpty] = Field(default_factory=list)
    personal_data: bool = False
    user_facing: bool = False
    regulatory_notifications_required: bool = False


class Release(_Strict):
    version: NonEmpty
    change_type: NonEmpty
    stage: NonEmpty
    deployer: NonEmpty
    change_description: str = ""


class Evidence(_Strict):
    id: NonEmpty
    type: NonEmpty
    result: Literal["pass", "fail", "warn", "info"]
    collected_at: AwareDatetime
    uri: str | None = None
    # Not checked here: a malformed digest is a policy violation (integrity_mismatch), not bad input.
    sha256: str | None = None
    metrics: dict[NonEmpty, Metric] = Field(default_factory=dict)


class Finding(_Strict):
    id: NonEmpty
    severity: NonEmpty
    status: NonEmpty


class Approval(_Strict):
    role: NonEmpty
    approver: NonEmpty
    approved_at: AwareDatetime
    scope: str | None = None


class GateException(_Strict):
    item: NonEmpty
    approved_by: NonEmpty
    # Optional here on purpose: an exception without a risk acceptance is reported by the
    # policy as invalid_exception, which is a decision, not an input error.
    risk_acceptance: str | None = None
    expires_at: AwareDatetime


class GateInput(_Strict):
    gate: Literal["deployment", "vendor", "agent", "program"] = "deployment"
    system: System
    release: Release
    evidence: list[Evidence] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)
    exceptions: list[GateException] = Field(default_factory=list)
    as_of: date | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # "2026-11-15" only: a datetime string would silently lose its time and zone.
        if isinstance(value, str) and len(value) != 10:
            raise ValueError("as_of must be a date, YYYY-MM-DD")
        return value

    @model_validator(mode="after")
    def _unique_evidence_ids(self) -> GateInput:
        seen: set[str] = set()
        for piece in self.evidence:
            if piece.id in seen:
                raise ValueError(f"evidence id {piece.id!r} appears more than once")
            seen.add(piece.id)
        return self


def to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, exactly (datetime has microsecond resolution)."""
    return ((moment - EPOCH) // timedelta(microseconds=1)) * 1000


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def day_start_ns(day: date) -> int:
    return to_ns(datetime.combine(day, time(0), tzinfo=UTC))


def resolve_as_of(candidate: GateInput, as_of: date | None = None) -> date:
    if as_of is not None:
        return as_of
    if candidate.as_of is not None:
        return candidate.as_of
    return datetime.now(UTC).date()


def normalise(candidate: GateInput | dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    """The JSON document the policies see as `input` (see the module docstring)."""
    if not isinstance(candidate, GateInput):
        candidate = GateInput.model_validate(candidate)
    day = resolve_as_of(candidate, as_of)
    system = candidate.system.model_dump(mode="json")
    system["jurisdictions"] = [j.upper() for j in candidate.system.jurisdictions]
    system["roles"] = [r.lower() for r in candidate.system.roles]
    system["use_cases"] = [u.lower() for u in candidate.system.use_cases]
    if candidate.system.eu_ai_act_class is not None:
        system["eu_ai_act_class"] = candidate.system.eu_ai_act_class.lower()
    release = candidate.release.model_dump(mode="json")
    release["deployer"] = candidate.release.deployer.lower()
    return {
        "gate": candidate.gate,
        "system": system,
        "release": release,
        "evidence": [
            {
                **piece.model_dump(mode="json"),
                "collected_at": rfc3339(piece.collected_at),
                "collected_at_ns": to_ns(piece.collected_at),
            }
            for piece in candidate.evidence
        ],
        "findings": [
            {"id": f.id, "severity": f.severity.lower(), "status": f.status.lower()}
            for f in candidate.findings
        ],
        "approvals": [
            {
                "role": a.role,
                "approver": a.approver.lower(),
                "approved_at": rfc3339(a.approved_at),
                "approved_at_ns": to_ns(a.approved_at),
                "scope": a.scope,
            }
            for a in candidate.approvals
        ],
        "exceptions": [
            {
                "item": x.item,
                "approved_by": x.approved_by.lower(),
                "risk_acceptance": x.risk_acceptance,
                "expires_at": rfc3339(x.expires_at),
                "expires_at_ns": to_ns(x.expires_at),
            }
            for x in candidate.exceptions
        ],
        "as_of": day.isoformat(),
        "as_of_ns": day_start_ns(day),
    }
