"""What each violation and warning code means and how it is usually fixed: the help text of a
SARIF rule and of the GitHub job summary. tests/test_reports.py checks that every code the
policies and the decide path can produce (DESIGN.md's list, the Rego sources) has an entry."""

from __future__ import annotations

from typing import NamedTuple


class CodeHelp(NamedTuple):
    name: str  # a short title
    help: str  # what it means and what to do


VIOLATIONS: dict[str, CodeHelp] = {
    "missing_evidence": CodeHelp(
        "Required evidence missing",
        "The gate profile (or a jurisdiction rule that applies to the system) requires evidence of "
        "this type and the candidate carries none. Attach passing evidence of the type, or record "
        "an exception with a risk acceptance."),
    "failed_evidence": CodeHelp(
        "Evidence reports a failure",
        "A piece of evidence has the result fail. Fix what failed and attach a passing run."),
    "stale_evidence": CodeHelp(
        "Evidence too old",
        "The newest usable evidence of this type is older than the profile allows. Collect it "
        "again for this release."),
    "threshold_exceeded": CodeHelp(
        "Metric above its limit",
        "A metric of the evidence is above the gate's maximum, or is not reported at all. Bring "
        "it within the limit and attach the new evidence."),
    "threshold_not_met": CodeHelp(
        "Minimum not met",
        "A value the profile sets a minimum for (for example log retention days) is below it or "
        "absent. Raise it and attach evidence that shows the new value."),
    "open_finding": CodeHelp(
        "Blocking finding open",
        "A finding matching the profile's blocking patterns (by default critical and open) is "
        "attached. Resolve it, or have compliance sign an exception where the profile allows."),
    "missing_approval": CodeHelp(
        "Approval missing",
        "The tier needs an approval by this role and none was given. Ask someone in the role who "
        "does not deploy the release."),
    "separation_of_duties": CodeHelp(
        "Separation of duties",
        "One person approved in two roles, or approved a release they deploy. Have a different "
        "person give each approval."),
    "invalid_exception": CodeHelp(
        "Exception not valid",
        "An exception lacks a risk acceptance or an independent approver, has expired, runs past "
        "the profile's maximum, or tries to waive what it may not. It waives nothing until fixed."),
    "integrity_mismatch": CodeHelp(
        "Artifact digest malformed",
        "The evidence's sha256 is not 64 lowercase hexadecimal characters, so it cannot identify "
        "the artifact. Recompute and send the digest."),
    "future_dated": CodeHelp(
        "Dated in the future",
        "A timestamp lies after the server's decision time plus the allowed clock skew. Send the "
        "real collection or approval time; check the clock of the system that produced it."),
    "stage_order": CodeHelp(
        "Earlier stage not passed",
        "The release has no allowed decision at the previous stage. Pass that stage first."),
    "rollback_target": CodeHelp(
        "Rollback target never allowed",
        "A rollback may only restore a version that production allowed before."),
    "tier_change": CodeHelp(
        "Tier lowered too soon",
        "The system's tier is lower than at its latest allowed decision within the profile's "
        "window. Keep the tier, or record an exception naming tier_change."),
    "profile_mismatch": CodeHelp(
        "Contradicts the registry",
        "The candidate's system attributes disagree with the AI system registry. Fix the "
        "candidate or update the registry entry."),
    "unregistered_system": CodeHelp(
        "System not registered",
        "At this tier the system must be in the AI system registry. Register it first."),
    "invalid_bom": CodeHelp(
        "AI-BOM invalid",
        "The vendor's CycloneDX BOM does not validate against the schema at the named place."),
    "bom_incomplete": CodeHelp(
        "AI-BOM incomplete",
        "A model or data component of the BOM lacks a field the vendor gate needs."),
    "unattested_policy": CodeHelp(
        "Policy not attested",
        "An applicable policy is unpublished or lacks the attestations its roles owe."),
    "criterion_unmet": CodeHelp(
        "Program gate criterion unmet",
        "A Gate P criterion does not hold; the message names what is missing and where from."),
    "engine_error": CodeHelp(
        "No decision could be made",
        "The policy engine, its data or the ledger failed, so the gate denied (it fails closed). "
        "Retry; if it persists, the server's operators should check its logs."),
}

WARNINGS: dict[str, CodeHelp] = {
    "upcoming_obligation": CodeHelp(
        "Obligation upcoming",
        "An obligation that applies to the system from a later date is not met by the evidence "
        "yet. It does not block now; it will once it applies."),
    "unsatisfied_requirement": CodeHelp(
        "Requirement not covered",
        "An applicable legal requirement is not reached by any evidence through the crosswalk. "
        "Coverage reports it; the gate does not block on it."),
    "near_threshold": CodeHelp(
        "Close to a limit",
        "A metric is within the near-miss margin below its maximum."),
}


def help_for(code: str) -> CodeHelp:
    return VIOLATIONS.get(code) or WARNINGS.get(code) or CodeHelp(
        code.replace("_", " ").capitalize(), "See docs/ci.md for the gate's violation codes.")
