# METADATA
# title: Requirement coverage
# description: >-
#   Evidence whose result is not fail reaches requirements through data.crossgate.evidence_reach
#   (the crosswalk closure the compile step computed). A requirement is satisfied when some
#   piece reaches it with full coverage, partial when only partial coverage reaches it, and
#   unsatisfied otherwise. Legal obligations that apply and are left unsatisfied are reported
#   as warnings, not violations: the gate enforces the profile, coverage shows the legal picture.
package crossgate.gate.lib.coverage

import data.crossgate.gate.lib.applicability.applicable
import data.crossgate.gate.lib.applicability.in_force
import data.crossgate.gate.lib.applicability.reqs
import data.crossgate.gate.lib.applicability.upcoming
import data.crossgate.gate.lib.context.evidence as input_evidence
import data.crossgate.gate.lib.jurisdiction.named_requirements

# METADATA
# title: Evidence that can reach requirements (result not fail)
reaching := [e |
	some e in input_evidence
	e.result != "fail"
]

# METADATA
# title: Requirements reached with full coverage
full contains r if {
	some e in reaching
	some r, link in data.crossgate.evidence_reach[e.type]
	link.coverage == "full"
}

# METADATA
# title: Requirements reached with partial coverage
partial contains r if {
	some e in reaching
	some r, link in data.crossgate.evidence_reach[e.type]
	link.coverage == "partial"
}

# METADATA
# title: Applicable requirements by coverage level
satisfied_ids := applicable & full

partial_ids := (applicable & partial) - full

unsatisfied_ids := (applicable - full) - partial

# METADATA
# title: Requirements each piece of evidence reaches
# description: >-
#   Evidence id -> sorted requirement ids reached (full or partial) that apply to this
#   system, upcoming ones included. Failed evidence reaches nothing. Evidence ids are unique
#   (the input contract rejects duplicates; a duplicate here is an evaluation error, a deny).
satisfied := {e.id: sort(reached) |
	some e in input_evidence
	reached := {r |
		e.result != "fail"
		some r
		link := data.crossgate.evidence_reach[e.type][r]
		link.coverage in {"full", "partial"}
		r in applicable
	}
}

# METADATA
# title: Frameworks of the applicable requirements ("(none)" for those without one)
present := {f |
	some id in applicable
	f := reqs[id].framework
	f != null
} | {"(none)" | some id in applicable; not reqs[id].framework}

# METADATA
# title: Applicable requirements of a framework
members(f) := {id | some id in applicable; reqs[id].framework == f} if f != "(none)"

members(f) := {id | some id in applicable; not reqs[id].framework} if f == "(none)"

# METADATA
# title: Counts per framework
# description: >-
#   As the graph's coverage report counts them: applicable includes upcoming requirements,
#   satisfied + partial + unsatisfied = applicable, and upcoming says how many of the
#   applicable ones are not in force yet. Declared frameworks with nothing applicable are
#   listed with zeros.
counts := {f: framework_counts(f) | some f in frameworks}

# METADATA
# title: Frameworks reported: the declared ones and those of applicable requirements
frameworks := present | {f | some f; data.crossgate.frameworks[f]}

framework_counts(f) := c if {
	f in present
	these := members(f)
	c := {
		"applicable": count(these),
		"satisfied": count(these & satisfied_ids),
		"partial": count(these & partial_ids),
		"unsatisfied": count(these & unsatisfied_ids),
		"upcoming": count(these & upcoming),
	}
}

framework_counts(f) := {"applicable": 0, "satisfied": 0, "partial": 0, "unsatisfied": 0, "upcoming": 0} if {
	not f in present
}

# METADATA
# title: Obligations to report as warnings
# description: >-
#   Applicable legal obligations the evidence does not fully cover, except those a triggered
#   jurisdiction rule already reports.
to_report := ({id |
	some id in applicable
	reqs[id].kind == "obligation"
} - satisfied_ids) - named_requirements

describe(id) := concat("", [
	id, " (", object.get(req, "title", id), ", ", object.get(req, "citation", ""), ")",
]) if {
	req := reqs[id]
}

coverage_words(id) := "only partly covered by the evidence" if id in partial_ids

coverage_words(id) := "not covered by any evidence" if id in unsatisfied_ids

# METADATA
# title: Obligations in force that the evidence leaves unsatisfied
# custom:
#   code: unsatisfied_requirement
warnings contains w if {
	some id in to_report & in_force
	w := {
		"code": "unsatisfied_requirement",
		"item": id,
		"message": concat("", [describe(id), " applies to this system and is ", coverage_words(id), "."]),
		"remediation": concat("", ["Attach evidence of a type that reaches ", id, ", or map a control you already evidence to it."]),
		"requirements": [id],
		"applies_from": object.get(reqs[id], "applies_from", null),
	}
}

# METADATA
# title: Obligations not in force yet that the evidence would leave unsatisfied
# custom:
#   code: upcoming_obligation
warnings contains w if {
	some id in to_report & upcoming
	date := reqs[id].applies_from
	w := {
		"code": "upcoming_obligation",
		"item": id,
		"message": concat("", ["Applies from ", date, ": ", describe(id), " will apply to this system and is ", coverage_words(id), "."]),
		"remediation": concat("", ["Before ", date, ", attach evidence of a type that reaches ", id, "."]),
		"requirements": [id],
		"applies_from": date,
	}
}
