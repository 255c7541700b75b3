package crossgate.gate.lib.jurisdiction_test

import data.crossgate.gate.lib.jurisdiction
import data.crossgate.gate.testing

ids(rules) := {r.id | some r in rules}

nyc := testing.with_system(testing.candidate("MEDIUM"), {"jurisdictions": ["US-NYC"], "use_cases": ["employment"]})

co := testing.with_system(testing.candidate("HIGH"), {"jurisdictions": ["US-CO"], "roles": ["deployer"], "use_cases": ["lending"]})

test_a_rule_triggers_on_jurisdiction_and_use_case if {
	ids(jurisdiction.triggered) == {"gate:rule-nyc-aedt-bias-audit"} with input as nyc
	count(jurisdiction.triggered) == 0 with input as testing.with_system(nyc, {"jurisdictions": ["US"]})
	count(jurisdiction.triggered) == 0 with input as testing.with_system(nyc, {"use_cases": ["marketing"]})
}

test_a_rule_with_roles_needs_one_of_them if {
	"gate:rule-co-admt-notice" in ids(jurisdiction.triggered) with input as co
	not "gate:rule-co-admt-notice" in ids(jurisdiction.triggered) with input as testing.with_system(co, {"roles": ["provider"]})
}

test_state_follows_the_evaluation_date if {
	ids(jurisdiction.upcoming) == {"gate:rule-co-admt-notice"} with input as testing.on(co, "2026-12-31", 1798675200000000000)
	ids(jurisdiction.active) == {"gate:rule-co-admt-notice"} with input as testing.on(co, "2027-01-01", 1798761600000000000)
}

test_a_rule_on_a_repealed_requirement_never_applies if {
	every inp in [co, testing.on(co, "2027-06-01", 1811808000000000000)] {
		"gate:rule-co-impact-assessment" in ids(jurisdiction.triggered) with input as inp
		not "gate:rule-co-impact-assessment" in ids(jurisdiction.active | jurisdiction.upcoming) with input as inp
	}
}

test_a_rule_past_its_own_last_day_does_nothing if {
	rules := [object.union(r, {"applies_to": "2026-01-31"}) | some r in data.crossgate.profiles.deployment.jurisdiction_rules]
	count(jurisdiction.active) == 0 with input as nyc with data.crossgate.profiles.deployment.jurisdiction_rules as rules
}

test_start_is_the_later_of_rule_and_requirement if {
	rule := {"id": "r", "item": "ev:x", "requirement": "euaia:art-27", "applies_from": "2026-01-01"}
	jurisdiction.start(rule) == "2027-12-02" with input as co
	jurisdiction.start(object.union(rule, {"applies_from": "2028-01-01"})) == "2028-01-01" with input as co
	jurisdiction.start({"id": "r", "requirement": "x:unknown", "applies_from": null}) == null with input as co
}

test_a_rule_before_its_own_last_day_applies if {
	rules := [object.union(r, {"applies_to": "2026-11-15"}) | some r in data.crossgate.profiles.deployment.jurisdiction_rules]
	ids(jurisdiction.active) == {"gate:rule-nyc-aedt-bias-audit"} with input as nyc with data.crossgate.profiles.deployment.jurisdiction_rules as rules
}
