# METADATA
# title: Test candidates
# description: >-
#   Normalised gate inputs for the policy unit tests, built from the shipped deployment
#   profile's item ids (spelled out here on purpose: a test must fail when the data loses an
#   item), and helpers that change one thing about a candidate. Not part of any bundle
#   (*_test.rego files are left out).
package crossgate.gate.testing

# The evaluation date of every test unless a test moves it.
as_of := "2026-11-15"

as_of_ns := 1794700800000000000

day_ns := 86400000000000

# Evidence is collected 14 days before the evaluation date: fresh for every shipped window.
collected_ns := as_of_ns - (14 * day_ns)

digest := "aa5110967ca8b38648c632591771c0f7ace6a03eae0df887f819ff7ed239b4ed"

deployer := "ci@example.com"

low_items := {
	"ev:risk_classification", "ev:model_provenance", "ev:adversarial_testing_basic",
	"ev:resilience_plan", "ev:logging_verified", "ev:rollback_tested",
	"ev:runtime_security_notified", "ev:evaluation_results",
}

medium_items := {
	"ev:adversarial_test_suite", "ev:data_governance_review", "ev:secrets_management_verified",
	"ev:guardrails_tested", "ev:monitoring_dashboards", "ev:oncall_rotation",
}

high_items := {
	"ev:red_team_exercise", "ev:regulatory_compliance_verified", "ev:domain_guardrail_testing",
	"ev:judge_evaluation_calibrated", "ev:human_oversight_tested", "ev:incident_response_runbook",
}

critical_items := {
	"ev:independent_adversarial_assessment", "ev:risk_acceptance_signoff",
	"ev:immutable_logging_verified", "ev:realtime_judge_operational",
	"ev:oversight_escalation_tested", "ev:board_briefing", "ev:staged_deployment_plan",
}

# Unconditional items each tier needs (lower tiers' items included).
items_for := {
	"LOW": low_items,
	"MEDIUM": low_items | medium_items,
	"HIGH": (low_items | medium_items) | high_items,
	"CRITICAL": ((low_items | medium_items) | high_items) | critical_items,
}

approvers := {
	"ml_lead": "j.rivera@example.com",
	"product_lead": "s.chen@example.com",
	"compliance": "m.okafor@example.com",
}

roles_for := {
	"LOW": ["ml_lead"],
	"MEDIUM": ["ml_lead"],
	"HIGH": ["ml_lead", "product_lead"],
	"CRITICAL": ["ml_lead", "product_lead", "compliance"],
}

# A passing piece of evidence of a type.
piece(t) := {
	"id": concat("", ["e-", t]),
	"type": t,
	"result": "pass",
	"collected_at": "2026-11-01T00:00:00+00:00",
	"collected_at_ns": collected_ns,
	"uri": null,
	"sha256": digest,
	"metrics": metrics_for(t),
}

metrics_for(t) := {"hallucination_rate": 0.02} if t == "ev:evaluation_results"

metrics_for(t) := {} if t != "ev:evaluation_results"

approval(role) := {
	"role": role,
	"approver": approvers[role],
	"approved_at": "2026-11-13T10:00:00+00:00",
	"approved_at_ns": as_of_ns - (2 * day_ns),
	"scope": null,
}

# A candidate of a tier that passes the gate: no jurisdiction rule triggers, no flag is set.
candidate(tier) := {
	"gate": "deployment",
	"system": {
		"id": "test-system",
		"risk_tier": tier,
		"jurisdictions": ["US"],
		"roles": ["deployer"],
		"eu_ai_act_class": null,
		"use_cases": ["internal-knowledge"],
		"personal_data": false,
		"user_facing": false,
		"regulatory_notifications_required": false,
	},
	"release": {
		"version": "1.0.0", "change_type": "model", "stage": "production",
		"deployer": deployer, "change_description": "",
	},
	"evidence": [piece(t) | some t in items_for[tier]],
	"findings": [],
	"approvals": [approval(role) | some role in roles_for[tier]],
	"exceptions": [],
	"as_of": as_of,
	"as_of_ns": as_of_ns,
}

# --- changing one thing -------------------------------------------------------------------

with_system(inp, patch) := object.union(inp, {"system": patch})

without_item(inp, t) := object.union(inp, {"evidence": [e | some e in inp.evidence; e.type != t]})

with_pieces(inp, pieces) := object.union(inp, {"evidence": array.concat(inp.evidence, pieces)})

with_items(inp, types) := with_pieces(inp, [piece(t) | some t in types])

# Merge patch into every piece of evidence of type t.
patch_item(inp, t, patch) := object.union(inp, {"evidence": [patched(e, t, patch) | some e in inp.evidence]})

patched(e, t, patch) := object.union(e, patch) if e.type == t

patched(e, t, _) := e if e.type != t

with_approvals(inp, list) := object.union(inp, {"approvals": list})

with_findings(inp, list) := object.union(inp, {"findings": list})

with_exceptions(inp, list) := object.union(inp, {"exceptions": list})

# Move the evaluation date (and instant, 00:00 UTC of that day); evidence keeps its age.
on(inp, date, ns) := object.union(inp, {
	"as_of": date,
	"as_of_ns": ns,
	"evidence": [object.union(e, {"collected_at_ns": e.collected_at_ns + (ns - inp.as_of_ns)}) | some e in inp.evidence],
})

exception(item, approver, expires_ns) := {
	"item": item,
	"approved_by": approver,
	"risk_acceptance": "Accepted until the next release; traffic limited meanwhile.",
	"expires_at": "2026-12-31T00:00:00+00:00",
	"expires_at_ns": expires_ns,
}

# --- reading a decision -------------------------------------------------------------------

decision(inp) := d if {
	d := data.crossgate.gate.deployment.decision with input as inp
}

codes(d) := {v.code | some v in d.violations}

has_violation(d, code, item) if {
	some v in d.violations
	v.code == code
	v.item == item
}

has_warning(d, code, item) if {
	some w in d.warnings
	w.code == code
	w.item == item
}

# The only violations are of this code and item.
only_violation(d, code, item) if {
	not d.allow
	count(d.violations) > 0
	every v in d.violations {
		v.code == code
		v.item == item
	}
}

# --- the compile step's index, for tests that replace the requirements ----------------------

# data.crossgate.index as crossgate.policy.compile.build_index computes it for a requirements
# object (docs/policy-data.md, "index"), keeping the data's reach. A test that replaces
# data.crossgate.requirements replaces data.crossgate.index with index_for(reqs) too:
#   ... with data.crossgate.requirements as reqs with data.crossgate.index as testing.index_for(reqs)
restriction_names := ["jurisdictions", "roles", "risk_classes", "use_cases", "tiers"]

flag_names := ["personal_data", "user_facing"]

restricted_ids(reqs, name) := {id: true |
	some id
	r := reqs[id].applicability[name]
	r != null
	r != []
}

admitting_ids(reqs, name, value) := {id: true |
	some id
	r := reqs[id].applicability[name]
	is_array(r)
	value in r
}

admitted_values(reqs, name) := {v |
	some id
	r := reqs[id].applicability[name]
	is_array(r)
	some v in r
	is_string(v)
}

never_ids(reqs) := {id |
	some id
	reqs[id].status == "proposed"
} | {id |
	some id
	reqs[id].status in {"repealed", "superseded"}
	object.get(reqs[id], "applies_to", null) == null
}

dated(reqs, key) := [{"date": d, "ids": {id: true | some id; reqs[id][key] == d}} |
	some d in sort({x | some id; x := reqs[id][key]; x != null})
]

framework_group(req) := req.framework if is_string(req.framework)

framework_group(req) := "(none)" if not is_string(req.framework)

title_or(req, id) := req.title if is_string(req.title)

title_or(req, id) := id if not is_string(req.title)

citation_or_empty(req) := req.citation if is_string(req.citation)

citation_or_empty(req) := "" if not is_string(req.citation)

index_for(reqs) := {
	"restricted": {name: restricted_ids(reqs, name) | some name in restriction_names},
	"admits": {name: {v: admitting_ids(reqs, name, v) | some v in admitted_values(reqs, name)} |
		some name in restriction_names
	},
	"requires": {name: {id: true | some id; reqs[id].applicability[name] == true} | some name in flag_names},
	"never": {id: true | some id in never_ids(reqs)},
	"starts": dated(reqs, "applies_from"),
	"ends": dated(reqs, "applies_to"),
	"by_framework": {f: {id: true | some id; framework_group(reqs[id]) == f} |
		some f in {framework_group(reqs[id]) | some id; reqs[id]}
	},
	"obligations": {id: concat("", [id, " (", title_or(reqs[id], id), ", ", citation_or_empty(reqs[id]), ")"]) |
		some id
		reqs[id].kind == "obligation"
	},
	"reach": data.crossgate.index.reach,
}

# The fixture's index is what the compile step makes of its requirements (and this helper agrees).
test_the_fixture_index_is_the_index_of_its_requirements if {
	index_for(data.crossgate.requirements) == data.crossgate.index
}
