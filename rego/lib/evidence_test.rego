package crossgate.gate.lib.evidence_test

import data.crossgate.gate.lib.evidence
import data.crossgate.gate.testing

required(inp) := r if {
	r := evidence.required_items with input as inp
}

test_required_items_by_tier if {
	required(testing.candidate("LOW")) == testing.items_for.LOW
	required(testing.candidate("MEDIUM")) == testing.items_for.MEDIUM
	required(testing.candidate("HIGH")) == testing.items_for.HIGH
	required(testing.candidate("CRITICAL")) == testing.items_for.CRITICAL
}

test_conditions_add_items if {
	flags := {"personal_data": true, "user_facing": true, "regulatory_notifications_required": true}
	required(testing.with_system(testing.candidate("LOW"), flags)) == testing.items_for.LOW | {"ev:bias_fairness_check"}
	required(testing.with_system(testing.candidate("HIGH"), flags)) == (testing.items_for.HIGH | {"ev:bias_fairness_check", "ev:privacy_impact_assessment"})
	required(testing.with_system(testing.candidate("CRITICAL"), flags)) == (testing.items_for.CRITICAL | {"ev:bias_fairness_check", "ev:privacy_impact_assessment", "ev:regulatory_notifications_filed"})
}

test_windows_thresholds_and_items_are_data if {
	items := [{"item": "ev:x", "min_tier": "LOW", "condition": null, "max_age_days": 1, "control": null, "title": "X", "remediation": "Do X."}]
	inp := testing.with_items(testing.candidate("LOW"), ["ev:x"])
	some v in evidence.violations with input as inp with data.crossgate.profiles.deployment.items as items
	v.code == "stale_evidence"
	v.item == "ev:x"
	v.remediation == "Do X."
}

test_threshold_values_are_data if {
	t := [{"item": "ev:evaluation_results", "metric": "hallucination_rate", "max": 0.01}]
	some v in evidence.violations with input as testing.candidate("LOW") with data.crossgate.profiles.deployment.thresholds as t
	v.code == "threshold_exceeded"
}

test_sha256_form if {
	evidence.sha256_well_formed(testing.digest)
	not evidence.sha256_well_formed(upper(testing.digest))
	not evidence.sha256_well_formed("abc")
	not evidence.sha256_well_formed(7)
}
