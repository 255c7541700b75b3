# METADATA
# title: Deployment gate decision tests
# description: >-
#   Pins every rule of the shipped deployment profile (tests/fixtures/policy_data.json): each
#   test fails if the rule it names disappears from the data or from the policies.
package crossgate.gate.deployment_test

import data.crossgate.gate.testing

# --- shape and passing candidates -------------------------------------------------------------

test_decision_has_the_contract_fields if {
	d := testing.decision(testing.candidate("HIGH"))
	object.keys(d) == {
		"allow", "tier", "violations", "warnings", "waived", "satisfied", "missing",
		"coverage", "deployment_strategy", "required", "lifecycle",
	}
}

test_required_lists_what_the_gate_checked if {
	r := testing.decision(testing.candidate("HIGH")).required
	"ev:red_team_exercise" in r.items
	not "ev:board_briefing" in r.items
	r.approvals == ["ml_lead", "product_lead"]
	{c.code | some c in r.criteria} == {"threshold_exceeded", "failed_evidence", "open_finding"}
}

test_required_at_low_needs_only_the_technical_approval if {
	r := testing.decision(testing.candidate("LOW")).required
	r.approvals == ["ml_lead"]
	not "ev:red_team_exercise" in r.items
}

test_complete_candidates_pass_at_every_tier if {
	every tier in ["LOW", "MEDIUM", "HIGH", "CRITICAL"] {
		d := testing.decision(testing.candidate(tier))
		d.allow == true
		d.violations == []
		d.missing == []
		d.tier == tier
	}
}

test_allow_defaults_to_false_without_a_decision if {
	not data.crossgate.gate.deployment.allow with input as {}
	not data.crossgate.gate.deployment.decision with input as {}
}

test_unnormalised_input_gives_no_decision if {
	inp := json.remove(testing.candidate("LOW"), ["as_of_ns"])
	not data.crossgate.gate.deployment.decision with input as inp
	data.crossgate.gate.deployment.allow == false with input as inp
}

test_other_gates_are_not_decided_here if {
	inp := object.union(testing.candidate("LOW"), {"gate": "vendor"})
	not data.crossgate.gate.deployment.decision with input as inp
}

test_missing_profile_gives_no_decision if {
	not data.crossgate.gate.deployment.decision with input as testing.candidate("LOW")
		with data.crossgate.profiles as {}
}

# --- items by tier ----------------------------------------------------------------------------

test_every_low_item_is_required_at_low if {
	every t in testing.items_for.LOW {
		testing.only_violation(testing.decision(testing.without_item(testing.candidate("LOW"), t)), "missing_evidence", t)
	}
}

test_every_medium_item_is_required_at_medium if {
	every t in testing.items_for.MEDIUM {
		testing.only_violation(testing.decision(testing.without_item(testing.candidate("MEDIUM"), t)), "missing_evidence", t)
	}
}

test_every_high_item_is_required_at_high if {
	every t in testing.items_for.HIGH {
		testing.only_violation(testing.decision(testing.without_item(testing.candidate("HIGH"), t)), "missing_evidence", t)
	}
}

test_every_critical_item_is_required_at_critical if {
	every t in testing.items_for.CRITICAL {
		testing.only_violation(testing.decision(testing.without_item(testing.candidate("CRITICAL"), t)), "missing_evidence", t)
	}
}

test_higher_tier_items_are_not_required_below_their_tier if {
	d := testing.decision(testing.candidate("LOW"))
	every t in testing.items_for.CRITICAL - testing.items_for.LOW {
		not t in data.crossgate.gate.lib.evidence.required_items with input as testing.candidate("LOW")
	}
	d.allow
}

test_missing_lists_unevidenced_items if {
	d := testing.decision(testing.without_item(testing.candidate("HIGH"), "ev:red_team_exercise"))
	d.missing == ["ev:red_team_exercise"]
}

# --- conditional items ------------------------------------------------------------------------

test_personal_data_requires_a_privacy_impact_assessment_at_high if {
	inp := testing.with_system(testing.candidate("HIGH"), {"personal_data": true})
	testing.only_violation(testing.decision(inp), "missing_evidence", "ev:privacy_impact_assessment")
	testing.decision(testing.with_items(inp, ["ev:privacy_impact_assessment"])).allow
}

test_personal_data_does_not_require_a_pia_below_high if {
	inp := testing.with_system(testing.candidate("MEDIUM"), {"personal_data": true})
	testing.decision(inp).allow
}

test_user_facing_requires_a_bias_check_at_every_tier if {
	every tier in ["LOW", "MEDIUM", "HIGH", "CRITICAL"] {
		inp := testing.with_system(testing.candidate(tier), {"user_facing": true})
		testing.only_violation(testing.decision(inp), "missing_evidence", "ev:bias_fairness_check")
		testing.decision(testing.with_items(inp, ["ev:bias_fairness_check"])).allow
	}
}

test_regulatory_notifications_are_required_only_when_flagged if {
	inp := testing.with_system(testing.candidate("CRITICAL"), {"regulatory_notifications_required": true})
	testing.only_violation(testing.decision(inp), "missing_evidence", "ev:regulatory_notifications_filed")
	testing.decision(testing.with_items(inp, ["ev:regulatory_notifications_filed"])).allow
	testing.decision(testing.candidate("CRITICAL")).allow
}

# --- approvals --------------------------------------------------------------------------------

test_ml_lead_approval_is_required_at_every_tier if {
	every tier in ["LOW", "MEDIUM", "HIGH", "CRITICAL"] {
		inp := testing.candidate(tier)
		rest := [a | some a in inp.approvals; a.role != "ml_lead"]
		testing.only_violation(testing.decision(testing.with_approvals(inp, rest)), "missing_approval", "ml_lead")
	}
}

test_product_lead_approval_is_required_from_high if {
	every tier in ["HIGH", "CRITICAL"] {
		inp := testing.candidate(tier)
		rest := [a | some a in inp.approvals; a.role != "product_lead"]
		testing.only_violation(testing.decision(testing.with_approvals(inp, rest)), "missing_approval", "product_lead")
	}
	testing.decision(testing.candidate("MEDIUM")).allow
}

test_compliance_approval_is_required_at_critical_only if {
	inp := testing.candidate("CRITICAL")
	rest := [a | some a in inp.approvals; a.role != "compliance"]
	testing.only_violation(testing.decision(testing.with_approvals(inp, rest)), "missing_approval", "compliance")
	testing.decision(testing.candidate("HIGH")).allow
}

test_an_approver_may_not_deploy_the_release if {
	inp := testing.candidate("LOW")
	self := [object.union(a, {"approver": "CI@Example.com"}) | some a in inp.approvals]
	testing.only_violation(testing.decision(testing.with_approvals(inp, self)), "separation_of_duties", "ml_lead")
}

# --- blocking criteria ------------------------------------------------------------------------

test_hallucination_rate_above_five_percent_blocks if {
	inp := testing.patch_item(testing.candidate("LOW"), "ev:evaluation_results", {"metrics": {"hallucination_rate": 0.051}})
	testing.only_violation(testing.decision(inp), "threshold_exceeded", "ev:evaluation_results")
}

test_hallucination_rate_at_five_percent_passes_with_a_near_miss_warning if {
	d := testing.decision(testing.patch_item(testing.candidate("LOW"), "ev:evaluation_results", {"metrics": {"hallucination_rate": 0.05}}))
	d.allow
	testing.has_warning(d, "near_threshold", "ev:evaluation_results")
}

test_no_near_miss_warning_far_below_the_limit if {
	d := testing.decision(testing.candidate("LOW"))
	not testing.has_warning(d, "near_threshold", "ev:evaluation_results")
}

test_an_unreported_thresholded_metric_blocks if {
	unreported := object.union(testing.piece("ev:evaluation_results"), {"metrics": {"hallucination_rate": "low", "rouge_l": 0.4}})
	inp := testing.with_pieces(testing.without_item(testing.candidate("LOW"), "ev:evaluation_results"), [unreported])
	testing.only_violation(testing.decision(inp), "threshold_exceeded", "ev:evaluation_results")
}

test_an_open_critical_finding_blocks if {
	inp := testing.with_findings(testing.candidate("LOW"), [{"id": "SEC-12", "severity": "critical", "status": "open"}])
	testing.only_violation(testing.decision(inp), "open_finding", "SEC-12")
}

test_other_findings_do_not_block if {
	inp := testing.with_findings(testing.candidate("LOW"), [
		{"id": "SEC-1", "severity": "critical", "status": "closed"},
		{"id": "SEC-2", "severity": "high", "status": "open"},
	])
	testing.decision(inp).allow
}

test_failed_evidence_blocks if {
	inp := testing.patch_item(testing.candidate("MEDIUM"), "ev:guardrails_tested", {"result": "fail"})
	testing.only_violation(testing.decision(inp), "failed_evidence", "ev:guardrails_tested")
}

test_failed_evidence_blocks_even_when_not_required if {
	inp := testing.with_pieces(testing.candidate("LOW"), [object.union(testing.piece("ev:red_team_exercise"), {"result": "fail"})])
	testing.only_violation(testing.decision(inp), "failed_evidence", "ev:red_team_exercise")
}

test_a_malformed_digest_is_an_integrity_mismatch if {
	every digest in [upper(testing.digest), substring(testing.digest, 0, 63), "not-a-digest"] {
		inp := testing.patch_item(testing.candidate("LOW"), "ev:model_provenance", {"sha256": digest})
		testing.only_violation(testing.decision(inp), "integrity_mismatch", "ev:model_provenance")
	}
}

test_evidence_without_a_digest_passes if {
	testing.decision(testing.patch_item(testing.candidate("LOW"), "ev:model_provenance", {"sha256": null})).allow
}

# --- freshness --------------------------------------------------------------------------------

test_evidence_older_than_its_window_is_stale if {
	# ev:runtime_security_notified has a 30-day window in the shipped profile.
	old := testing.as_of_ns - (31 * testing.day_ns)
	inp := testing.patch_item(testing.candidate("LOW"), "ev:runtime_security_notified", {"collected_at_ns": old})
	d := testing.decision(inp)
	testing.only_violation(d, "stale_evidence", "ev:runtime_security_notified")
	some v in d.violations
	contains(v.message, "31 days old")
	contains(v.message, "at most 30 days")
}

test_evidence_exactly_as_old_as_its_window_is_fresh if {
	edge := testing.as_of_ns - (30 * testing.day_ns)
	testing.decision(testing.patch_item(testing.candidate("LOW"), "ev:runtime_security_notified", {"collected_at_ns": edge})).allow
}

test_a_fresh_piece_among_old_ones_is_enough if {
	old := object.union(testing.piece("ev:runtime_security_notified"), {"id": "old", "collected_at_ns": testing.as_of_ns - (90 * testing.day_ns)})
	testing.decision(testing.with_pieces(testing.candidate("LOW"), [old])).allow
}

test_evidence_without_a_collection_instant_is_stale if {
	inp := testing.patch_item(testing.candidate("LOW"), "ev:rollback_tested", {"collected_at_ns": null})
	testing.only_violation(testing.decision(inp), "stale_evidence", "ev:rollback_tested")
}

# --- exceptions -------------------------------------------------------------------------------

high_without_red_team := testing.without_item(testing.candidate("HIGH"), "ev:red_team_exercise")

test_a_valid_exception_waives_the_item_it_names if {
	valid := testing.exception("ev:red_team_exercise", "cro@example.com", testing.as_of_ns + testing.day_ns)
	d := testing.decision(testing.with_exceptions(high_without_red_team, [valid]))
	d.allow
	d.missing == []
	[w.item | some w in d.waived] == ["ev:red_team_exercise"]
	d.waived[0].suppressed == ["missing_evidence"]
}

test_a_valid_exception_waives_only_its_item if {
	valid := testing.exception("ev:board_briefing", "cro@example.com", testing.as_of_ns + testing.day_ns)
	d := testing.decision(testing.with_exceptions(high_without_red_team, [valid]))
	testing.only_violation(d, "missing_evidence", "ev:red_team_exercise")
}

test_an_expired_exception_is_invalid_and_waives_nothing if {
	expired := testing.exception("ev:red_team_exercise", "cro@example.com", testing.as_of_ns - testing.day_ns)
	d := testing.decision(testing.with_exceptions(high_without_red_team, [expired]))
	testing.codes(d) == {"invalid_exception", "missing_evidence"}
	d.waived == []
}

test_an_exception_expiring_at_the_evaluation_instant_is_expired if {
	edge := testing.exception("ev:red_team_exercise", "cro@example.com", testing.as_of_ns)
	testing.has_violation(testing.decision(testing.with_exceptions(high_without_red_team, [edge])), "invalid_exception", "ev:red_team_exercise")
}

test_a_self_approved_exception_is_invalid if {
	mine := testing.exception("ev:red_team_exercise", "CI@example.COM", testing.as_of_ns + testing.day_ns)
	d := testing.decision(testing.with_exceptions(high_without_red_team, [mine]))
	testing.codes(d) == {"invalid_exception", "missing_evidence"}
}

test_an_exception_without_risk_acceptance_is_invalid if {
	every text in [null, "", "   "] {
		bare := object.union(testing.exception("ev:red_team_exercise", "cro@example.com", testing.as_of_ns + testing.day_ns), {"risk_acceptance": text})
		d := testing.decision(testing.with_exceptions(high_without_red_team, [bare]))
		testing.codes(d) == {"invalid_exception", "missing_evidence"}
	}
}

test_an_exception_cannot_waive_an_approval if {
	inp := testing.candidate("HIGH")
	rest := [a | some a in inp.approvals; a.role != "product_lead"]
	waiver := testing.exception("product_lead", "cro@example.com", testing.as_of_ns + testing.day_ns)
	d := testing.decision(testing.with_exceptions(testing.with_approvals(inp, rest), [waiver]))
	testing.only_violation(d, "missing_approval", "product_lead")
}

test_an_exception_waives_a_blocking_finding_only_where_the_profile_allows_and_compliance_signs if {
	inp := testing.with_findings(testing.candidate("CRITICAL"), [{"id": "SEC-12", "severity": "critical", "status": "open"}])
	by_cro := testing.with_exceptions(inp, [testing.exception("SEC-12", "cro@example.com", testing.as_of_ns + testing.day_ns)])
	by_compliance := testing.with_exceptions(inp, [testing.exception("SEC-12", "m.okafor@example.com", testing.as_of_ns + testing.day_ns)])
	testing.has_violation(testing.decision(by_compliance), "invalid_exception", "SEC-12")
	testing.has_violation(testing.decision(by_compliance), "open_finding", "SEC-12")
	not testing.decision(by_cro).allow with data.crossgate.profiles.deployment.allow_blocking_waivers as true
	testing.decision(by_compliance).allow with data.crossgate.profiles.deployment.allow_blocking_waivers as true
}

# --- jurisdiction rules -----------------------------------------------------------------------

nyc_hiring := testing.with_system(testing.candidate("MEDIUM"), {"jurisdictions": ["US-NYC"], "use_cases": ["employment"]})

audit(age_days) := object.union(testing.piece("ev:bias_audit"), {"collected_at_ns": testing.as_of_ns - (age_days * testing.day_ns)})

test_nyc_employment_tools_need_a_bias_audit if {
	testing.only_violation(testing.decision(nyc_hiring), "missing_evidence", "ev:bias_audit")
	testing.decision(testing.with_pieces(nyc_hiring, [audit(200)])).allow
}

test_nyc_bias_audit_older_than_a_year_is_stale if {
	d := testing.decision(testing.with_pieces(nyc_hiring, [audit(366)]))
	testing.only_violation(d, "stale_evidence", "ev:bias_audit")
	testing.decision(testing.with_pieces(nyc_hiring, [audit(365)])).allow
}

test_nyc_rule_needs_an_employment_use_case if {
	testing.decision(testing.with_system(nyc_hiring, {"use_cases": ["customer-support"]})).allow
}

co_lending := testing.with_system(testing.candidate("HIGH"), {"jurisdictions": ["US-CO"], "use_cases": ["lending"], "roles": ["deployer"]})

test_colorado_notice_is_a_warning_before_2027 if {
	d := testing.decision(testing.on(co_lending, "2026-12-31", 1798675200000000000))
	d.allow
	some w in d.warnings
	w.code == "upcoming_obligation"
	w.item == "ev:admt_notice_tested"
	w.applies_from == "2027-01-01"
	contains(w.message, "2027-01-01")
}

test_colorado_notice_blocks_from_2027 if {
	inp := testing.on(co_lending, "2027-01-01", 1798761600000000000)
	d := testing.decision(inp)
	testing.only_violation(d, "missing_evidence", "ev:admt_notice_tested")
	testing.decision(testing.with_items(inp, ["ev:admt_notice_tested"])).allow
}

test_colorado_repealed_sb24_205_rule_does_nothing if {
	every date_ns in [["2026-11-15", testing.as_of_ns], ["2027-06-01", 1811808000000000000]] {
		inp := testing.on(testing.with_items(co_lending, ["ev:admt_notice_tested"]), date_ns[0], date_ns[1])
		not "ev:algorithmic_impact_assessment" in data.crossgate.gate.lib.evidence.required_items with input as inp
	}
}

eu_high_risk := testing.with_system(testing.candidate("HIGH"), {
	"jurisdictions": ["EU"], "roles": ["provider", "deployer"],
	"eu_ai_act_class": "high-risk", "use_cases": ["claims-triage"],
})

test_eu_high_risk_duties_are_upcoming_warnings_before_december_2027 if {
	d := testing.decision(eu_high_risk)
	d.allow
	every item in ["ev:fundamental_rights_impact_assessment", "ev:eu_database_registration"] {
		some w in d.warnings
		w.code == "upcoming_obligation"
		w.item == item
		w.applies_from == "2027-12-02"
		startswith(w.message, "Applies from 2027-12-02")
	}
	testing.has_warning(d, "upcoming_obligation", "euaia:art-9")
}

test_eu_high_risk_duties_block_from_december_2027 if {
	d := testing.decision(testing.on(eu_high_risk, "2027-12-02", 1827705600000000000))
	testing.has_violation(d, "missing_evidence", "ev:fundamental_rights_impact_assessment")
	testing.has_violation(d, "missing_evidence", "ev:eu_database_registration")
	not testing.has_warning(d, "upcoming_obligation", "euaia:art-9")
}

test_eu_ai_interaction_disclosure_applies_now_to_chat_providers if {
	inp := testing.with_system(eu_high_risk, {"use_cases": ["customer-support"]})
	testing.only_violation(testing.decision(inp), "missing_evidence", "ev:ai_interaction_disclosure")
}

test_in_force_obligations_left_uncovered_are_warnings if {
	d := testing.decision(eu_high_risk)
	d.allow
	testing.has_warning(d, "unsatisfied_requirement", "euaia:art-4")
	some w in d.warnings
	w.item == "euaia:art-4"
	w.applies_from == "2025-02-02"
}

# --- strategies and outputs -------------------------------------------------------------------

test_deployment_strategy_follows_the_tier if {
	testing.decision(testing.candidate("LOW")).deployment_strategy == "direct"
	testing.decision(testing.candidate("MEDIUM")).deployment_strategy == "limited"
	testing.decision(testing.candidate("HIGH")).deployment_strategy == "canary"
	testing.decision(testing.candidate("CRITICAL")).deployment_strategy == "shadow-then-canary"
}

test_violations_and_warnings_are_sorted if {
	inp := testing.with_findings(testing.without_item(testing.without_item(testing.candidate("HIGH"), "ev:red_team_exercise"), "ev:board_briefing"), [{"id": "A-1", "severity": "critical", "status": "open"}])
	d := testing.decision(testing.with_system(inp, {"jurisdictions": ["EU"], "roles": ["provider"], "eu_ai_act_class": "high-risk"}))
	keys := [concat(" ", [v.code, v.item]) | some v in d.violations]
	keys == sort(keys)
	wkeys := [concat(" ", [w.code, w.item]) | some w in d.warnings]
	wkeys == sort(wkeys)
}

test_satisfied_lists_requirements_each_piece_reaches if {
	d := testing.decision(eu_high_risk)
	d.satisfied["e-ev:human_oversight_tested"] == ["ctrl:GATE-HUMAN-OVERSIGHT", "euaia:art-14", "euaia:art-26"]
}

test_violations_name_their_requirements if {
	d := testing.decision(testing.without_item(eu_high_risk, "ev:human_oversight_tested"))
	some v in d.violations
	v.item == "ev:human_oversight_tested"
	v.requirements == ["ctrl:GATE-HUMAN-OVERSIGHT", "euaia:art-14", "euaia:art-26"]
}
