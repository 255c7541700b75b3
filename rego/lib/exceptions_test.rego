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
