"""The decide use case: validated candidate -> normalised input -> engine -> ledger.

A decision is a pure function of (normalised input, policy revision, data revision, history);
the normalised input, both revisions and the ledger sequence of the history it read are
recorded, so `replay` can re-evaluate it later with the history as it stood then. Every
failure on this path is a deny naming the reason (fail closed), never an allow.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from crossgate.gate.history import HistoryBook, for_system, history_upto
from crossgate.gate.input import GateInput, decision_time, normalise
from crossgate.ledger import Ledger, LedgerEntry
from crossgate.policy.engines import engine_error_decision, evaluate_decision
from crossgate.policy.snapshot import PolicyRuntime, PolicySnapshot

# Fields that identify one evaluation (and who asked for it) rather than its outcome: left out
# when replays compare.
VOLATILE = ("decision_id", "recorded", "revision", "elapsed_ms", "requested_by", "what_if")


class WhatIfNotRecordable(ValueError):
    """A candidate carrying a what-if `as_of` was sent to be recorded (DESIGN.md, "Time is the
    server's"): only the server's clock decides a recorded release."""

    path = "$.as_of"

    def __init__(self) -> None:
        super().__init__("as_of is a what-if date and is accepted only on a dry run "
                         "(dry_run=true); a recorded decision is made at the server's clock")


def check_recordable(candidate: GateInput, recording: bool) -> None:
    """Raise WhatIfNotRecordable when a what-if candidate is to be recorded."""
    if recording and candidate.as_of is not None:
        raise WhatIfNotRecordable()


def evaluate(policies: PolicyRuntime, snapshot: PolicySnapshot, gate: str,
             normalised: dict[str, Any], history: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        engine = policies.engine(snapshot)
    except Exception as exc:
        return engine_error_decision(f"the policy engine could not start: {exc}", normalised)
    return evaluate_decision(engine, normalised, gate, policies.settings.engine_timeout_s,
                             history)


def decide(
    candidate: GateInput,
    policies: PolicyRuntime,
    snapshot: PolicySnapshot,
    ledger: Ledger | None,
    history: HistoryBook,
    requested_by: dict[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Decide and (unless ledger is None: a dry run) record. Returns the contract's output.

    The policies see the candidate's system's part of `history` (dry runs too, so a dry run
    answers what the recorded decision would). `requested_by` ({"name", "role"} of the token
    that asked) goes into the output and so into the ledger record. Raises WhatIfNotRecordable
    for a what-if candidate that is to be recorded.
    """
    started = time.perf_counter()
    check_recordable(candidate, ledger is not None)
    at, what_if = decision_time(candidate, now)
    normalised = normalise(candidate, at)
    try:
        seen = history.for_system(candidate.system.id)
    except Exception as exc:  # an unreadable ledger must deny, not decide without history
        result = engine_error_decision(f"the decision history could not be read: {exc}", normalised)
        seen = None
    else:
        result = evaluate(policies, snapshot, candidate.gate, normalised, seen)
    output: dict[str, Any] = {
        "decision_id": str(uuid.uuid4()),
        **result,
        "revision": {"policy": snapshot.policy_revision, "data": snapshot.data_revision,
                     "history": seen["seq"] if seen is not None else None},
        "what_if": what_if,
        "requested_by": dict(requested_by) if requested_by else None,
    }
    output["allow"] = output.get("allow") is True  # anything but a literal true is a deny
    if ledger is not None:
        stored = {k: v for k, v in output.items() if k != "recorded"}
        try:
            appended = ledger.append(LedgerEntry(
                decision_id=output["decision_id"], system_id=candidate.system.id,
                gate=candidate.gate, outcome="allow" if output["allow"] else "deny",
                policy_revision=snapshot.policy_revision, data_revision=snapshot.data_revision,
                input=normalised, output=stored,
            ))
            output["recorded"] = {"seq": appended.seq, "hash": appended.hash}
        except Exception as exc:
            failed = engine_error_decision(f"the decision could not be recorded in the ledger: {exc}")
            output.update({k: v for k, v in failed.items() if k in ("allow", "violations")})
            output["recorded"] = None
    else:
        output["recorded"] = None
    output["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return output


def replay(record_input: dict[str, Any], record_output: dict[str, Any], gate: str,
           policies: PolicyRuntime, policy_revision: str, data_revision: str,
           ledger: Ledger) -> dict[str, Any]:
    """Re-evaluate a recorded decision with its recorded revisions and the history it read (the
    ledger up to the sequence it names; decisions from before the history existed read none);
    say if it is identical."""
    snapshot = policies.recorded(policy_revision, data_revision)
    revision = record_output.get("revision")
    seq = revision.get("history") if isinstance(revision, dict) else None
    system = record_input.get("system")
    history = None
    if isinstance(seq, int) and isinstance(system, dict):
        history = for_system(history_upto(ledger, seq), str(system.get("id")))
    result = evaluate(policies, snapshot, gate, record_input, history)
    result["allow"] = result.get("allow") is True
    original = {k: v for k, v in record_output.items() if k not in VOLATILE}
    again = {k: v for k, v in result.items() if k not in VOLATILE}
    differences = sorted(k for k in set(original) | set(again) if original.get(k) != again.get(k))
    return {"identical": not differences, "differences": differences, "outcome": again,
            "revision": {"policy": policy_revision, "data": data_revision,
                         "history": seq if isinstance(seq, int) else None}}
