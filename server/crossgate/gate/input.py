"""The gate input contract (DESIGN.md, "Gate decision") and its normalisation for Rego.

`GateInput` validates a candidate release strictly: unknown fields are rejected everywhere
(pydantic reports the JSON path of the offender), booleans must be JSON booleans, strings JSON
strings without NUL, numbers JSON numbers, and timestamps RFC 3339 strings with a time zone between
1678-01-01 and 2262-01-01 UTC (the range of Rego's nanosecond time); the risk tier is one of
LOW, MEDIUM, HIGH, CRITICAL.

The decision time is the server's clock (`decision_time`, the one place it is computed). A
candidate's `as_of` (YYYY-MM-DD) is a what-if: the decision is then made at 00:00 UTC of that
day, and only a dry run may carry it (`crossgate.gate.decide`).

`normalise` turns a validated candidate into the exact JSON document the policies see as
`input`. It does what Rego engines disagree on, once, in Python:

- `as_of` (the UTC date of the decision time, YYYY-MM-DD) and `as_of_ns` (the decision instant
  in nanoseconds since the epoch) are added. Everything time-dependent in the policies is a
  function of these two values, so a replay of the normalised input gives the same decision.
- every timestamp is re-rendered as RFC 3339 in UTC with a "+00:00" offset, and its instant is
  added as an integer: `collected_at_ns`, `approved_at_ns`, `expires_at_ns`;
- e-mail addresses (deployer, approvers, exception approvers) are trimmed and lower-cased, so
  comparisons for separation of duties are case-insensitive;
- finding severities and statuses, roles and use cases are lower-cased and jurisdictions
  upper-cased, matching the identifiers of the policy data.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rego's time builtins hold nanoseconds in a signed 64-bit integer: 1677-09-21 .. 2262-04-11.
# The accepted range is the whole years inside it, so adding a clock skew or an exception's
# maximum validity to any accepted instant still fits.
EARLIEST = datetime(1678, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 1, 1, tzinfo=UTC)  # exclusive



def _no_nul(value: str) -> str:
    # NUL is never part of an identifier or a text, and a PostgreSQL ledger cannot store it.
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000)")
    return value


MAX_APPROVALS = 100
MAX_EXCEPTIONS = 200

NonEmpty = Annotated[StrictStr, Field(min_length=1, max_length=500), AfterValidator(_no_nul)]
Text = Annotated[StrictStr, Field(max_length=100_000), AfterValidator(_no_nul)]


def _finite_number(value: Any) -> Any:
    # One check instead of an int | float union, whose errors name the union's branches in
    # the path ($.evidence[0].metrics.x.int); the value is kept as sent (an int stays an int).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Metric = Annotated[int | float, PlainValidator(_finite_number), WithJsonSchema({"type": "number"})]


def _string_only(what: str) -> BeforeValidator:
    """Refuse anything but a JSON string before lax pydantic converts it (it would read a
    number as a unix timestamp, or as an enum member)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be {what}")
        return value

    return BeforeValidator(check)


def in_range(moment: datetime) -> datetime:
    """Refuse instants outside Rego's nanosecond range (checked before any UTC conversion,
    which would overflow for year 9999 with a negative offset)."""
    if not EARLIEST.year - 1 <= moment.year <= LATEST.year or not EARLIEST <= moment < LATEST:
        raise ValueError("must lie between 1678-01-01T00:00:00Z and 2262-01-01T00:00:00Z")
    return moment


Timestamp = Annotated[AwareDatetime, _string_only("an RFC 3339 date-time string with a time zone"),
                      AfterValidator(in_range)]


class RiskTier(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class ChangeType(StrEnum):
    """The kinds of change the lifecycle rules tell apart (DESIGN.md, "Release lifecycle")."""

    model = "model"
    prompt = "prompt"
    config = "config"
    data = "data"
    rollback = "rollback"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class System(_Strict):
    id: NonEmpty
    risk_tier: Annotated[RiskTier, _string_only("a string")]
    jurisdictions: list[NonEmpty] = Field(default_factory=list)
    roles: list[NonEmpty] = Field(default_factory=list)
    eu_ai_act_class: NonEmpty | None = None
    use_cases: list[NonEmpty] = Field(default_factory=list)
    personal_data: StrictBool = False
    user_facing: StrictBool = False
    regulatory_notifications_required: StrictBool = False


class Release(_Strict):
    version: NonEmpty
    change_type: Annotated[ChangeType, _string_only("a string")]
    # The profile's stages decide which names exist: an unknown one is a stage_order violation.
    stage: NonEmpty
    deployer: NonEmpty
    change_description: Text = ""
    rollback_to: NonEmpty | None = Field(
        default=None, description="The version a rollback restores (change_type rollback only)")

    @model_validator(mode="after")
    def _rollback_names_its_target(self) -> Release:
        if self.change_type == ChangeType.rollback and self.rollback_to is None:
            raise ValueError("a rollback must name the version it restores in rollback_to")
        if self.change_type != ChangeType.rollback and self.rollback_to is not None:
            raise ValueError("rollback_to is only for change_type rollback")
        return self


class Evidence(_Strict):
    id: NonEmpty
    type: NonEmpty
    result: Literal["pass", "fail", "warn", "info"]
    collected_at: Timestamp
    uri: Text | None = None
    # Not checked here: a malformed digest is a policy violation (integrity_mismatch), not bad input.
    sha256: Text | None = None
    metrics: dict[NonEmpty, Metric] = Field(default_factory=dict)


class Finding(_Strict):
    id: NonEmpty
    severity: NonEmpty
    status: NonEmpty


class Approval(_Strict):
    role: NonEmpty
    approver: NonEmpty
    approved_at: Timestamp
    scope: Text | None = None


class GateException(_Strict):
    item: NonEmpty
    approved_by: NonEmpty
    # Optional here on purpose: an exception without a risk acceptance is reported by the
    # policy as invalid_exception, which is a decision, not an input error.
    risk_acceptance: Text | None = None
    expires_at: Timestamp
    # Optional: without it the profile's maximum validity counts from the decision time.
    approved_at: Timestamp | None = None


class GateInput(_Strict):
    gate: Literal["deployment", "vendor", "agent", "program"] = "deployment"
    system: System
    release: Release
    evidence: list[Evidence] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    # Bounded: a release has a handful of sign-offs, and the policies compare them pairwise.
    approvals: list[Approval] = Field(default_factory=list, max_length=MAX_APPROVALS)
    exceptions: list[GateException] = Field(default_factory=list, max_length=MAX_EXCEPTIONS)
    as_of: date | None = Field(
        default=None, description="What-if date (dry runs only): decide at 00:00 UTC of this day")

    @field_validator("as_of", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # "2026-11-15" only: a datetime string would silently lose its time and zone, and a
        # number would be read as a unix timestamp.
        if value is not None and (not isinstance(value, str) or len(value) != 10):
            raise ValueError("as_of must be a date, YYYY-MM-DD")
        return value

    @field_validator("as_of")
    @classmethod
    def _date_in_range(cls, value: date | None) -> date | None:
        if value is not None:
            in_range(datetime.combine(value, time(0), tzinfo=UTC))
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


def decision_time(candidate: GateInput, now: datetime | None = None) -> tuple[datetime, bool]:
    """The instant a decision is made at, and whether it is a what-if.

    The server's clock (`now`, default the current time) unless the candidate carries a
    what-if `as_of` date, which means 00:00 UTC of that day: the instant the day begins
    everywhere the ledger's UTC timestamps are read, and the instant every earlier release
    of crossgate evaluated an as-of date at, so captured what-if decisions still compare.
    """
    if candidate.as_of is not None:
        return datetime.combine(candidate.as_of, time(0), tzinfo=UTC), True
    return (now if now is not None else datetime.now(UTC)), False


def normalise(candidate: GateInput | dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The JSON document the policies see as `input` (see the module docstring)."""
    if not isinstance(candidate, GateInput):
        candidate = GateInput.model_validate(candidate)
    at, _ = decision_time(candidate, now)
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
        "exceptions": [_exception(x) for x in candidate.exceptions],
        "as_of": at.astimezone(UTC).date().isoformat(),
        "as_of_ns": to_ns(at),
    }


def _exception(x: GateException) -> dict[str, Any]:
    out: dict[str, Any] = {
        "item": x.item,
        "approved_by": x.approved_by.lower(),
        "risk_acceptance": x.risk_acceptance,
        "expires_at": rfc3339(x.expires_at),
        "expires_at_ns": to_ns(x.expires_at),
    }
    # Only when given: the inputs of decisions recorded before approved_at existed stay as they were.
    if x.approved_at is not None:
        out["approved_at"] = rfc3339(x.approved_at)
        out["approved_at_ns"] = to_ns(x.approved_at)
    return out
