package crossgate.gate.lib.dates_test

import data.crossgate.gate.lib.context
import data.crossgate.gate.lib.dates
import data.crossgate.gate.lib.evidence
import data.crossgate.gate.testing

# One second past the default five-minute skew, and exactly at its end.
late := (testing.as_of_ns + (300 * 1000000000)) + 1000000000

edge := testing.as_of_ns + (300 * 1000000000)

later(inp) := testing.patch_item(inp, "ev:red_team_exercise", {"collected_at": "2026-11-15T00:05:01+00:00", "collected_at_ns": late})

test_future_dated_evidence_is_named if {
	some v in dates.violations with input as later(testing.candidate("HIGH"))
	v.code == "future_dated"
	v.item == "ev:red_team_exercise"
	contains(v.message, "e-ev:red_team_exercise")
}

test_future_dated_evidence_counts_for_nothing if {
	inp := later(testing.candidate("HIGH"))
	d := testing.decision(inp)
	not d.allow
	testing.has_violation(d, "future_dated", "ev:red_team_exercise")
	testing.has_violation(d, "missing_evidence", "ev:red_team_exercise")
	not "e-ev:red_team_exercise" in object.keys(d.satisfied)
	not "ev:red_team_exercise" in evidence.types_present with input as inp
}

test_evidence_within_the_skew_is_not_future_dated if {
	inp := testing.patch_item(testing.candidate("HIGH"), "ev:red_team_exercise", {"collected_at_ns": edge})
	count(dates.violations) == 0 with input as inp
	testing.decision(inp).allow
}

test_the_skew_is_profile_data if {
	inp := later(testing.candidate("HIGH"))
	count(dates.violations) == 0 with input as inp with data.crossgate.profiles.deployment.clock_skew_s as 3600
	context.skew_ns == 300000000000 with input as inp with data.crossgate.profiles.deployment as object.remove(data.crossgate.profiles.deployment, ["clock_skew_s"])
}

test_future_dated_approval_is_named_and_does_not_count if {
	inp := testing.with_approvals(testing.candidate("LOW"), [object.union(testing.approval("ml_lead"), {"approved_at_ns": late})])
	d := testing.decision(inp)
	testing.has_violation(d, "future_dated", "ml_lead")
	testing.has_violation(d, "missing_approval", "ml_lead")
}

test_future_dated_exception_is_named_and_cannot_be_waived if {
	x := object.union(testing.exception("ev:board_briefing", "cro@example.com", testing.as_of_ns + testing.day_ns), {
		"approved_at": "2026-11-16T00:00:00+00:00",
		"approved_at_ns": testing.as_of_ns + testing.day_ns,
	})
	inp := testing.with_exceptions(testing.without_item(testing.candidate("CRITICAL"), "ev:board_briefing"), [x])
	d := testing.decision(inp)
	testing.has_violation(d, "future_dated", "ev:board_briefing")
	testing.has_violation(d, "invalid_exception", "ev:board_briefing")
	testing.has_violation(d, "missing_evidence", "ev:board_briefing")
}

test_future_dated_is_not_waivable if {
	not "future_dated" in data.crossgate.gate.lib.exceptions.waivable
	x := testing.exception("ev:red_team_exercise", "cro@example.com", testing.as_of_ns + testing.day_ns)
	d := testing.decision(testing.with_exceptions(later(testing.candidate("HIGH")), [x]))
	testing.has_violation(d, "future_dated", "ev:red_team_exercise")
	not d.allow
}
