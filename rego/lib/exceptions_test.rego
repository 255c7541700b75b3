package crossgate.gate.lib.exceptions_test

import data.crossgate.gate.lib.exceptions
import data.crossgate.gate.testing

future := testing.as_of_ns + testing.day_ns

with_exception(x) := testing.with_exceptions(testing.candidate("LOW"), [x])

test_a_complete_exception_is_valid if {
	exceptions.waived_items == {"ev:board_briefing"} with input as with_exception(testing.exception("ev:board_briefing", "cro@example.com", future))
}

test_each_flaw_is_named if {
	x := object.union(testing.exception("ev:board_briefing", "CI@example.com", testing.as_of_ns), {"risk_acceptance": ""})
	some v in exceptions.violations with input as with_exception(x)
	contains(v.message, "no risk acceptance")
	contains(v.message, "approved by the release's deployer")
	contains(v.message, "expired")
	exceptions.waived_items == set() with input as with_exception(x)
}

test_an_exception_without_expiry_is_invalid if {
	x := {k: v | some k, v in testing.exception("ev:board_briefing", "cro@example.com", future); k != "expires_at_ns"}
	some v in exceptions.violations with input as with_exception(x)
	contains(v.message, "no expiry")
}

test_waivable_codes_exclude_approvals_and_integrity if {
	not "missing_approval" in exceptions.waivable
	not "separation_of_duties" in exceptions.waivable
	not "integrity_mismatch" in exceptions.waivable
	not "invalid_exception" in exceptions.waivable
	"missing_evidence" in exceptions.waivable
}

test_an_exception_without_an_approver_is_invalid if {
	every who in [null, "", "  "] {
		x := object.union(testing.exception("ev:board_briefing", "cro@example.com", future), {"approved_by": who})
		some v in exceptions.violations with input as with_exception(x)
		contains(v.message, "names no approver")
	}
}

failed_guardrails := testing.patch_item(testing.candidate("CRITICAL"), "ev:guardrails_tested", {"result": "fail"})

waiver(approver) := testing.exception("ev:guardrails_tested", approver, future)

test_a_blocking_criterion_cannot_be_waived_by_default if {
	inp := testing.with_exceptions(failed_guardrails, [waiver("m.okafor@example.com")])
	exceptions.waived_items == set() with input as inp
	some v in exceptions.violations with input as inp
	contains(v.message, "does not allow")
	d := testing.decision(inp)
	testing.has_violation(d, "failed_evidence", "ev:guardrails_tested")
	testing.has_violation(d, "invalid_exception", "ev:guardrails_tested")
}

test_a_blocking_waiver_needs_the_compliance_approver if {
	inp := testing.with_exceptions(failed_guardrails, [waiver("cro@example.com")])
	some v in exceptions.violations with input as inp with data.crossgate.profiles.deployment.allow_blocking_waivers as true
	contains(v.message, "compliance approver")
	exceptions.waived_items == set() with input as inp with data.crossgate.profiles.deployment.allow_blocking_waivers as true
}

test_a_blocking_waiver_where_allowed_and_signed_by_compliance if {
	inp := testing.with_exceptions(failed_guardrails, [waiver("M.Okafor@example.com")])
	d := testing.decision(inp) with data.crossgate.profiles.deployment.allow_blocking_waivers as true
	d.allow
	d.waived[0].suppressed == ["failed_evidence"]
}

test_open_finding_waiver_follows_the_same_rule if {
	inp := testing.with_exceptions(
		testing.with_findings(testing.candidate("CRITICAL"), [{"id": "SEC-1", "severity": "critical", "status": "open"}]),
		[testing.exception("SEC-1", "m.okafor@example.com", future)],
	)
	not testing.decision(inp).allow
	testing.decision(inp).allow with data.crossgate.profiles.deployment.allow_blocking_waivers as true
}

test_expiry_at_most_the_maximum_after_the_decision_time if {
	ok := testing.exception("ev:board_briefing", "cro@example.com", testing.as_of_ns + (90 * testing.day_ns))
	exceptions.waived_items == {"ev:board_briefing"} with input as with_exception(ok)
	long := testing.exception("ev:board_briefing", "cro@example.com", (testing.as_of_ns + (90 * testing.day_ns)) + 1)
	some v in exceptions.violations with input as with_exception(long)
	contains(v.message, "more than the 90 days")
	contains(v.message, "after the decision time")
	exceptions.waived_items == {"ev:board_briefing"} with input as with_exception(long) with data.crossgate.profiles.deployment.max_exception_days as 91
}

approved_ns := testing.as_of_ns - (10 * testing.day_ns)

approved_exception(days) := object.union(testing.exception("ev:board_briefing", "cro@example.com", approved_ns + (days * testing.day_ns)), {
	"approved_at": "2026-11-05T00:00:00+00:00",
	"approved_at_ns": approved_ns,
})

test_expiry_counts_from_approved_at_when_given if {
	some v in exceptions.violations with input as with_exception(approved_exception(91))
	contains(v.message, "after its approval (2026-11-05T00:00:00+00:00)")
	exceptions.waived_items == {"ev:board_briefing"} with input as with_exception(approved_exception(85))
}
