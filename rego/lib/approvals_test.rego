package crossgate.gate.lib.approvals_test

import data.crossgate.gate.lib.approvals
import data.crossgate.gate.testing

test_required_roles_by_tier if {
	{r.role | some r in approvals.required} == {"ml_lead"} with input as testing.candidate("LOW")
	{r.role | some r in approvals.required} == {"ml_lead"} with input as testing.candidate("MEDIUM")
	{r.role | some r in approvals.required} == {"ml_lead", "product_lead"} with input as testing.candidate("HIGH")
	{r.role | some r in approvals.required} == {"ml_lead", "product_lead", "compliance"} with input as testing.candidate("CRITICAL")
}

test_approval_roles_are_data if {
	rules := [{"role": "security_lead", "scope": "security", "min_tier": "LOW"}]
	some v in approvals.violations with input as testing.candidate("LOW") with data.crossgate.profiles.deployment.approvals as rules
	v.code == "missing_approval"
	v.item == "security_lead"
}

test_self_approval_is_flagged_for_any_role if {
	inp := testing.with_approvals(testing.candidate("LOW"), [
		testing.approval("ml_lead"),
		object.union(testing.approval("ml_lead"), {"role": "observer", "approver": "Ci@Example.com"}),
	])
	some v in approvals.violations with input as inp
	v.code == "separation_of_duties"
	v.item == "observer"
}

test_one_person_may_not_fill_two_roles if {
	inp := testing.with_approvals(testing.candidate("HIGH"), [
		testing.approval("ml_lead"),
		object.union(testing.approval("product_lead"), {"approver": "J.Rivera@Example.com"}),
	])
	some v in approvals.violations with input as inp
	v.code == "separation_of_duties"
	v.item == "product_lead"
	contains(v.message, "ml_lead")
	some w in approvals.violations with input as inp
	w.code == "separation_of_duties"
	w.item == "ml_lead"
}

test_distinct_people_in_distinct_roles_pass if {
	count(approvals.violations) == 0 with input as testing.candidate("CRITICAL")
}

test_the_same_role_twice_by_one_person_is_not_two_roles if {
	inp := testing.with_approvals(testing.candidate("LOW"), [testing.approval("ml_lead"), testing.approval("ml_lead")])
	count(approvals.violations) == 0 with input as inp
}
