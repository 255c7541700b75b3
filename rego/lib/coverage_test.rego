package crossgate.gate.lib.coverage_test

import data.crossgate.gate.lib.coverage
import data.crossgate.gate.testing

eu := testing.with_system(testing.candidate("HIGH"), {"jurisdictions": ["EU"], "roles": ["provider", "deployer"], "eu_ai_act_class": "high-risk"})

test_counts_add_up if {
	counts := coverage.counts with input as eu
	every _, c in counts {
		c.applicable == (c.satisfied + c.partial) + c.unsatisfied
		c.upcoming <= c.applicable
	}
	counts["fw:eu-ai-act"].upcoming > 0
	counts["fw:us-nyc-ll144"].applicable == 0
}

test_full_and_partial_coverage_levels if {
	coverage.satisfied_ids & {"euaia:art-14", "euaia:art-12"} == {"euaia:art-14", "euaia:art-12"} with input as eu
	"euaia:art-15" in coverage.partial_ids with input as eu
	"euaia:art-13" in coverage.unsatisfied_ids with input as eu
}

test_failed_evidence_reaches_nothing if {
	inp := testing.patch_item(eu, "ev:human_oversight_tested", {"result": "fail"})
	coverage.satisfied["e-ev:human_oversight_tested"] == [] with input as inp
	not "euaia:art-14" in coverage.satisfied_ids with input as inp
}

test_satisfied_leaves_out_requirements_that_do_not_apply if {
	# ev:bias_audit reaches NYC requirements, which do not apply to an EU system.
	inp := testing.with_items(eu, ["ev:bias_audit"])
	coverage.satisfied["e-ev:bias_audit"] == ["ctrl:GATE-BIAS-AUDIT"] with input as inp
}

test_requirements_without_a_framework_are_counted_apart if {
	reqs := {"x:orphan": {"title": "t", "kind": "obligation", "status": "in_force", "applies_from": null, "applies_to": null}}
	c := coverage.counts with input as eu
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
	c["(none)"].applicable == 1
}

test_requirements_with_a_null_framework_are_counted_apart_too if {
	reqs := {"x:orphan": {"title": "t", "framework": null, "kind": "obligation", "status": "in_force", "applies_from": null, "applies_to": null}}
	c := coverage.counts with input as eu
		with data.crossgate.requirements as reqs
		with data.crossgate.index as testing.index_for(reqs)
	c["(none)"].applicable == 1
}

test_counts_follow_the_index_sets if {
	counts := coverage.counts with input as eu
	every f, c in counts {
		members := object.get(coverage.members, f, set()) with input as eu
		c.applicable == count(members)
		c.satisfied == count(members & coverage.satisfied_ids) with input as eu
		c.partial == count(members & coverage.partial_ids) with input as eu
		c.unsatisfied == count(members & coverage.unsatisfied_ids) with input as eu
	}
}
