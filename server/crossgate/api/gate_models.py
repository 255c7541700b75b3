"""What the gate endpoints answer, as pydantic models: /openapi.json describes these shapes.

They describe the decision of the gate contract (DESIGN.md, "Gate decision") as the policies
and the engine-error path produce it; fields a policy adds beyond them are passed through
(extra="allow"), never dropped.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Issue(_Open):
    """A violation or a warning."""

    code: str
    item: str | None = None
    message: str
    remediation: str | None = None
    requirements: list[str] = Field(default_factory=list)
    applies_from: str | None = Field(default=None, description="Warnings: date it applies from")


class Waiver(_Open):
    item: str
    approved_by: str | None = None
    expires_at: str | None = None
    risk_acceptance: str | None = None
    suppressed: list[str] = Field(default_factory=list, description="Violation codes it waived")


class Revision(BaseModel):
    policy: str | None
    data: str | None
    history: int | None = Field(
        default=None, description="The ledger sequence of the decision history the policies read")


class HistoryRef(BaseModel):
    """An earlier recorded decision a lifecycle rule relied on."""

    decision_id: str
    seq: int
    version: str
    at: str = Field(description="When that decision was made (RFC 3339, UTC)")


class Lifecycle(BaseModel):
    """The release's place in the lifecycle (DESIGN.md, "Release lifecycle")."""

    stage: str | None
    change_type: str | None
    previous_stage: str | None = Field(description="The stage that must come before this one")
    stage_order: HistoryRef | None = Field(
        description="The allowed decision at the previous stage that satisfied the stage order")
    restores: HistoryRef | None = Field(
        description="For a rollback: the allowed production decision of the version restored")


class Recorded(BaseModel):
    seq: int
    hash: str


class Requester(BaseModel):
    """The token that asked for a decision."""

    name: str
    role: str


class Criterion(BaseModel):
    code: str = Field(description="The violation code that breaks it")
    item: str | None = Field(description="The evidence type it reads, if it reads one")
    title: str


class Required(BaseModel):
    """What the gate held the release to (every check a report shows, passed or not)."""

    items: list[str]
    approvals: list[str]
    criteria: list[Criterion]


class Outcome(_Open):
    """A decision as the policies give it."""

    allow: bool
    tier: str | None = None
    violations: list[Issue] = Field(default_factory=list)
    warnings: list[Issue] = Field(default_factory=list)
    waived: list[Waiver] = Field(default_factory=list)
    satisfied: dict[str, list[str]] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    coverage: dict[str, dict[str, int]] = Field(default_factory=dict)
    deployment_strategy: str | None = None
    required: Required | None = Field(default=None, description="Absent when no decision was made")
    lifecycle: Lifecycle | None = Field(default=None, description="Absent when no decision was made")


class Decision(Outcome):
    """The answer of POST /v1/gate/decide. decision_id is null when no decision could be made
    (policy data unavailable); recorded is null on a dry run or when recording failed."""

    decision_id: str | None
    revision: Revision | None = None
    recorded: Recorded | None = None
    what_if: bool = Field(description="true when the candidate's as_of (a dry run) set the time")
    requested_by: Requester | None = None
    elapsed_ms: float | None = None


class DecisionSummary(BaseModel):
    decision_id: str
    seq: int
    recorded_at: str
    system: str
    gate: str
    outcome: Literal["allow", "deny"]
    tier: str | None
    version: str | None
    violations: list[str | None]
    requested_by: Requester | None = None


class DecisionList(BaseModel):
    decisions: list[DecisionSummary]
    limit: int
    offset: int


class DecisionRecord(DecisionSummary):
    input: dict[str, Any]
    output: dict[str, Any]
    policy_revision: str | None
    data_revision: str | None
    hash: str
    prev_hash: str


class Verified(BaseModel):
    hash: bool = Field(description="The record's stored hash matches its content")
    chain: bool = Field(description="seq follows on, prev_hash names the previous record's hash "
                                    "and the next record names this one's")


class Replay(BaseModel):
    decision_id: str
    original_outcome: Literal["allow", "deny"]
    verified: Verified
    identical: bool
    differences: list[str]
    outcome: Outcome
    revision: Revision


class LedgerVerification(BaseModel):
    ok: bool
    count: int
    first_bad_seq: int | None
    reason: str | None
    head_hash: str | None
