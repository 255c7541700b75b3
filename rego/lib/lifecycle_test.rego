package crossgate.gate.lib.lifecycle_test

import data.crossgate.gate.lib.evidence
import data.crossgate.gate.lib.lifecycle
import data.crossgate.gate.testing

# The lifecycle part of a profile, as graph/model.py compiles it (the shipped profile's shape).
stages := [
	{"name": "development", "position": 1, "title": "d", "items": ["ev:risk_classification", "ev:evaluation_results"]},
	{"name": "staging", "position": 2, "title": "s", "items": null},
	{"name": "production", "position": 3, "title": "p", "items": null},
]

change_types := {
	"model": {"title": "m", "items": null, "approvals": null},
	"prompt": {"title": "p", "items": ["ev:risk_classification", "ev:evaluation_results", "ev:logging_verified"], "approvals": null},
	"rollback": {"title": "r", "items": ["ev:rollback_tested"], "approvals": ["ml_lead"]},
}

minimums := [
	{"item": "ev:logging_verified", "metric": "retention_days", "min": 90, "min_tier": "LOW"},
	{"item": "ev:logging_verified", "metric": "retention_days", "min": 365, "min_tier": "MEDIUM"},
	{"item": "ev:logging_verified", "metric": "retention_days", "min": 1095, "min_tier": "HIGH"},
]

entry(id, tier, days_ago) := {
	"decision_id": id, "seq": 7, "at": "2026-11-01T00:00:00Z",
	"at_ns": testing.as_of_ns - (days_ago * testing.day_ns), "tier": tier, "change_type": "model",
}

# The test system's version 1.0.0 allowed at staging, and 0.9.0 allowed in production.
promoted := {"seq": 9, "systems": {"test-system": {
	"releases": {
		"1.0.0": {"staging": entry("d-staging", "HIGH", 3)},
		"0.9.0": {"production": entry("d-prod-090", "HIGH", 40)},
	},
	"latest": entry("d-staging", "HIGH", 3),
}}}

at(inp, stage) := object.union(inp, {"release": {"stage": stage}})

as_change(inp, kind) := object.union(inp, {"release": {"change_type": kind}})

rollback_to(inp, version) := object.union(inp, {"release": {"change_type": "rollback", "rollback_to": version, "version": "1.0.1"}})

decide(inp, history) := d if {
	d := data.crossgate.gate.deployment.decision with input as inp
		with data.crossgate.profiles.deployment.stages as stages
		with data.crossgate.profiles.deployment.change_types as change_types
		with data.crossgate.history as history
}

test_production_without_the_previous_stage_is_stage_order if {
	d := decide(testing.candidate("MEDIUM"), {"seq": 0, "systems": {}})
	not d.allow
	testing.has_violation(d, "stage_order", "production")
	d.lifecycle.previous_stage == "staging"
	d.lifecycle.stage_order == null
}

test_the_earlier_decision_that_satisfied_the_order_is_named if {
	d := decide(testing.candidate("HIGH"), promoted)
	d.allow
	d.lifecycle.stage_order.decision_id == "d-staging"
	d.lifecycle.stage_order.version == "1.0.0"
}

test_stage_order_starts_at_the_profiles_tier if {
	d := decide(testing.candidate("LOW"), {"seq": 0, "systems": {}})
	d.allow
	d2 := data.crossgate.gate.deployment.decision with input as testing.candidate("LOW")
		with data.crossgate.profiles.deployment.stages as stages
		with data.crossgate.profiles.deployment.stage_order_min_tier as "LOW"
	testing.has_violation(d2, "stage_order", "production")
}

test_another_version_does_not_satisfy_the_order if {
	inp := object.union(testing.candidate("HIGH"), {"release": {"version": "2.0.0"}})
	testing.has_violation(decide(inp, promoted), "stage_order", "production")
}

test_the_first_stage_needs_no_earlier_one if {
	d := decide(at(testing.candidate("CRITICAL"), "development"), {"seq": 0, "systems": {}})
	d.allow
	d.lifecycle.previous_stage == null
}

test_an_unknown_stage_is_refused_naming_the_stages if {
	d := decide(at(testing.candidate("LOW"), "prod"), {"seq": 0, "systems": {}})
	some v in d.violations
	v.code == "stage_order"
	v.item == "prod"
	contains(v.message, "development, staging, production")
}

test_an_earlier_stage_needs_only_its_items if {
	inp := at(testing.candidate("HIGH"), "development")
	evidence.required_items == {"ev:risk_classification", "ev:evaluation_results"} with input as inp
		with data.crossgate.profiles.deployment.stages as stages
}

test_a_prompt_change_needs_a_strict_subset_of_a_model_change if {
	model := evidence.required_items with input as testing.candidate("HIGH")
		with data.crossgate.profiles.deployment.change_types as change_types
	prompt := evidence.required_items with input as as_change(testing.candidate("HIGH"), "prompt")
		with data.crossgate.profiles.deployment.change_types as change_types
	prompt == {"ev:risk_classification", "ev:evaluation_results", "ev:logging_verified"}
	prompt & model == prompt
	count(model) > count(prompt)
}

test_a_change_type_the_profile_does_not_name_needs_every_item if {
	all := evidence.required_items with input as testing.candidate("HIGH")
	evidence.required_items == all with input as as_change(testing.candidate("HIGH"), "config")
		with data.crossgate.profiles.deployment.change_types as change_types
}

test_a_rollback_to_a_version_production_allowed_is_allowed if {
	inp := testing.with_approvals(rollback_to(testing.candidate("HIGH"), "0.9.0"), [testing.approval("ml_lead")])
	d := decide(testing.with_pieces(object.union(inp, {"evidence": []}), [testing.piece("ev:rollback_tested")]), promoted)
	d.allow
	d.lifecycle.restores.decision_id == "d-prod-090"
	d.lifecycle.restores.version == "0.9.0"
	d.required.items == ["ev:rollback_tested"]
	d.required.approvals == ["ml_lead"]
}

test_a_rollback_to_a_version_production_never_allowed_is_rollback_target if {
	# 1.0.0 was allowed at staging only.
	d := decide(rollback_to(testing.candidate("HIGH"), "1.0.0"), promoted)
	testing.has_violation(d, "rollback_target", "1.0.0")
	d.lifecycle.restores == null
}

test_a_rollback_needs_the_rollback_approval if {
	inp := testing.with_approvals(rollback_to(testing.candidate("HIGH"), "0.9.0"), [])
	d := decide(inp, promoted)
	testing.has_violation(d, "missing_approval", "ml_lead")
	some v in d.violations
	contains(v.message, "for a rollback change")
}

test_a_rollback_needs_no_jurisdiction_items if {
	inp := testing.with_system(rollback_to(testing.candidate("HIGH"), "0.9.0"), {"jurisdictions": ["US-NYC"], "use_cases": ["hiring"]})
	evidence.required_items == {"ev:rollback_tested"} with input as inp
		with data.crossgate.profiles.deployment.change_types as change_types
}

test_lowering_the_tier_soon_after_an_allowed_decision_is_tier_change if {
	inp := testing.with_system(at(testing.candidate("LOW"), "development"), {"risk_tier": "LOW"})
	d := decide(inp, promoted)
	testing.has_violation(d, "tier_change", "tier_change")
}

test_lowering_the_tier_after_the_window_is_allowed if {
	old := json.patch(promoted, [{"op": "replace", "path": "/systems/test-system/latest/at_ns", "value": testing.as_of_ns - (184 * testing.day_ns)}])
	d := decide(at(testing.candidate("LOW"), "development"), old)
	not "tier_change" in testing.codes(d)
}

test_an_exception_naming_tier_change_waives_it if {
	inp := testing.with_exceptions(at(testing.candidate("LOW"), "development"), [testing.exception("tier_change", "cro@example.com", testing.as_of_ns + (30 * testing.day_ns))])
	d := decide(inp, promoted)
	not "tier_change" in testing.codes(d)
	some w in d.waived
	w.item == "tier_change"
	w.suppressed == ["tier_change"]
}

test_retention_below_the_tiers_minimum_is_threshold_not_met if {
	inp := testing.patch_item(testing.candidate("HIGH"), "ev:logging_verified", {"metrics": {"retention_days": 400}})
	d := data.crossgate.gate.deployment.decision with input as inp
		with data.crossgate.profiles.deployment.minimums as minimums
	testing.has_violation(d, "threshold_not_met", "ev:logging_verified")
	some v in d.violations
	contains(v.message, "at least 1095")
}

test_retention_that_is_not_reported_is_threshold_not_met if {
	d := data.crossgate.gate.deployment.decision with input as testing.candidate("LOW")
		with data.crossgate.profiles.deployment.minimums as minimums
	testing.has_violation(d, "threshold_not_met", "ev:logging_verified")
}

test_retention_at_the_tiers_minimum_passes if {
	inp := testing.patch_item(testing.candidate("MEDIUM"), "ev:logging_verified", {"metrics": {"retention_days": 365}})
	d := data.crossgate.gate.deployment.decision with input as inp
		with data.crossgate.profiles.deployment.minimums as minimums
	d.allow
	some c in d.required.criteria
	c.code == "threshold_not_met"
}
