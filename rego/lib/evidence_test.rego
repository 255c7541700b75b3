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

test_digests_are_checked_one_by_one_when_any_is_malformed if {
	# 63 + 65 characters: as long as two good digests together, each of the wrong length.
	short := substring(testing.digest, 0, 63)
	long := concat("", [testing.digest, "a"])
	inp := testing.patch_item(testing.patch_item(testing.candidate("LOW"), "ev:model_provenance", {"sha256": short}), "ev:logging_verified", {"sha256": long})
	not evidence.digests_well_formed with input as inp
	bad := {v.item | some v in evidence.violations with input as inp; v.code == "integrity_mismatch"}
	bad == {"ev:model_provenance", "ev:logging_verified"}
	evidence.digests_well_formed with input as testing.candidate("LOW")
}

test_a_digest_that_is_not_a_string_is_malformed if {
	inp := testing.patch_item(testing.candidate("LOW"), "ev:model_provenance", {"sha256": 7})
	not evidence.digests_well_formed with input as inp
	some v in evidence.violations with input as inp
	v.code == "integrity_mismatch"
	v.item == "ev:model_provenance"
}

test_freshness_is_checked_need_by_need_only_for_old_evidence if {
	# Fresh for the shortest window of any need (30 days): not a suspect.
	evidence.stale_suspects == set() with input as testing.candidate("LOW")
	# 40 days old: a suspect, stale for its own 30-day window.
	old := testing.as_of_ns - (40 * testing.day_ns)
	inp := testing.patch_item(testing.candidate("LOW"), "ev:runtime_security_notified", {"collected_at_ns": old})
	evidence.stale_suspects == {"ev:runtime_security_notified"} with input as inp
	some v in evidence.violations with input as inp
	v.code == "stale_evidence"
	v.item == "ev:runtime_security_notified"
}

test_old_evidence_within_its_own_longer_window_is_fresh if {
	# ev:model_provenance has a window longer than the shortest one: a suspect, but not stale.
	old := testing.as_of_ns - (40 * testing.day_ns)
	inp := testing.patch_item(testing.candidate("LOW"), "ev:model_provenance", {"collected_at_ns": old})
	"ev:model_provenance" in evidence.stale_suspects with input as inp
	count(evidence.need_problems) == 0 with input as inp
}
