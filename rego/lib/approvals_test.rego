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
