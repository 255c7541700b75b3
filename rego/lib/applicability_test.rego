package crossgate.gate.lib.applicability_test

import data.crossgate.gate.lib.applicability
import data.crossgate.gate.testing

req(status, from, to) := {
	"title": "t", "framework": "fw:x", "kind": "obligation", "citation": "c",
	"status": status, "applies_from": from, "applies_to": to, "superseded_by": null,
	"applicability": {"jurisdictions": [], "roles": [], "risk_classes": [], "use_cases": [], "tiers": [], "personal_data": null, "user_facing": null},
}

reqs := {
	"x:in-force": req("in_force", "2025-01-01", null),
	"x:upcoming": req("upcoming", "2027-01-01", null),
	"x:dated-upcoming-but-started": req("upcoming", "2026-01-01", null),
	"x:no-dates": req("in_force", null, null),
	"x:proposed": req("proposed", null, null),
	"x:repealed": req("repealed", "2024-01-01", null),
	"x:repealed-later": req("repealed", "2024-01-01", "2026-12-31"),
	"x:repealed-earlier": req("repealed", "2024-01-01", "2026-01-01"),
	"x:superseded": req("superseded", "2024-01-01", null),
	"x:ended": req("in_force", "2024-01-01", "2026-11-14"),
	"x:last-day": req("in_force", "2024-01-01", "2026-11-15"),
}

# The requirements replaced, with the index the compile step would make of them.
status(id) := s if {
	s := applicability.status(id) with input as testing.candidate("LOW")
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
}

test_as_of_status_follows_the_documented_rules if {
	status("x:in-force") == "in_force"
	status("x:upcoming") == "upcoming"
	status("x:dated-upcoming-but-started") == "in_force"
	status("x:no-dates") == "in_force"
	status("x:proposed") == "not_applicable"
	status("x:repealed") == "not_applicable"
	status("x:repealed-later") == "in_force"
	status("x:repealed-earlier") == "not_applicable"
	status("x:superseded") == "not_applicable"
	status("x:ended") == "not_applicable"
	status("x:last-day") == "in_force"
}

test_applicable_includes_upcoming if {
	a := applicability.applicable with input as testing.candidate("LOW")
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
	a == {"x:in-force", "x:upcoming", "x:dated-upcoming-but-started", "x:no-dates", "x:repealed-later", "x:last-day"}
	u := applicability.upcoming with input as testing.candidate("LOW")
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
	u == {"x:upcoming"}
}

restricted(field, values) := {"r": object.union(req("in_force", null, null), {"applicability": {field: values}})}

admitted(field, values, inp) if {
	reqs := restricted(field, values)
	"r" in applicability.applicable with input as inp
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
}

eu_provider := testing.with_system(testing.candidate("HIGH"), {"jurisdictions": ["EU"], "roles": ["provider"], "eu_ai_act_class": "high-risk", "use_cases": ["hiring"], "personal_data": true})

test_list_restrictions_must_meet_the_system if {
	admitted("jurisdictions", ["EU", "US-CO"], eu_provider)
	not admitted("jurisdictions", ["US-CO"], eu_provider)
	admitted("risk_classes", ["high-risk"], eu_provider)
	not admitted("risk_classes", ["limited"], eu_provider)
	admitted("use_cases", ["hiring"], eu_provider)
	not admitted("use_cases", ["lending"], eu_provider)
	admitted("tiers", ["HIGH", "CRITICAL"], eu_provider)
	not admitted("tiers", ["LOW"], eu_provider)
	admitted("jurisdictions", [], eu_provider)
	admitted("jurisdictions", null, eu_provider)
}

test_provider_and_developer_count_as_one_another if {
	admitted("roles", ["developer"], eu_provider)
	admitted("roles", ["provider"], testing.with_system(eu_provider, {"roles": ["developer"]}))
	not admitted("roles", ["deployer"], eu_provider)
}

test_an_unknown_eu_class_excludes_nothing if {
	admitted("risk_classes", ["high-risk"], testing.with_system(eu_provider, {"eu_ai_act_class": null}))
}

test_true_flags_need_the_system_flag if {
	admitted("personal_data", true, eu_provider)
	not admitted("personal_data", true, testing.with_system(eu_provider, {"personal_data": false}))
	not admitted("user_facing", true, eu_provider)
	admitted("user_facing", null, eu_provider)
	admitted("user_facing", false, eu_provider)
}
