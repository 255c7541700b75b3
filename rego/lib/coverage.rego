# METADATA
# title: Requirement coverage
# description: >-
#   Evidence whose result is not fail reaches requirements through data.crossgate.evidence_reach
#   (the crosswalk closure the compile step computed, grouped by coverage level in
#   data.crossgate.index.reach). A requirement is satisfied when some
#   piece reaches it with full coverage, partial when only partial coverage reaches it, and
#   unsatisfied otherwise. Legal obligations that apply and are left unsatisfied are reported
#   as warnings, not violations: the gate enforces the profile, coverage shows the legal picture.
package crossgate.gate.lib.coverage

import data.crossgate.gate.lib.applicability.applicable
import data.crossgate.gate.lib.applicability.not_started
import data.crossgate.gate.lib.applicability.reqs
import data.crossgate.gate.lib.context.evidence as input_evidence
import data.crossgate.gate.lib.evidence.usable_types
import data.crossgate.gate.lib.jurisdiction.named_requirements

# METADATA
# title: Coverage level of each requirement an evidence type reaches (data.crossgate.index.reach)
reach := data.crossgate.index.reach

# METADATA
# title: Requirements reached with full coverage
full := {r |
	some t in usable_types
	some r
	by_type[t][r] == "full"
} if by_type := reach

# METADATA
# title: Requirements reached with partial coverage
partial := {r |
	some t in usable_types
	some r
	by_type[t][r] == "partial"
} if by_type := reach

# METADATA
# title: Applicable requirements by coverage level
satisfied_ids := applicable & full

partial_ids := (applicable & partial) - full

unsatisfied_ids := (applicable - full) - partial

# METADATA
# title: Requirements each piece of evidence reaches
# description: >-
#   Evidence id -> sorted requirement ids reached (full or partial) that apply to this
#   system, upcoming ones included. Failed evidence, and evidence of a type that reaches
#   nothing, reaches []. Evidence ids are unique (the input contract rejects duplicates).
satisfied := object.union({e.id: [] | some e in input_evidence}, {e.id: sort(object.keys(links) & scope) |
	some e in input_evidence
	e.result != "fail"
	links := by_type[e.type]
}) if {
	by_type := reach
	scope := applicable
}

# METADATA
# title: Applicable requirements of each framework that has any ("(none)" for those without one)
members := {f: these |
	some f
	ids := by_framework[f]
	these := object.keys(ids) & scope
	count(these) > 0
} if {
	by_framework := data.crossgate.index.by_framework
	scope := applicable
}

# METADATA
# title: Frameworks of the applicable requirements
present := object.keys(members)

# METADATA
# title: Frameworks reported: the declared ones and those of applicable requirements
frameworks := present | object.keys(data.crossgate.frameworks)

# METADATA
# title: Counts per framework
# description: >-
#   As the graph's coverage report counts them: applicable includes upcoming requirements,
#   satisfied + partial + unsatisfied = applicable, and upcoming says how many of the
#   applicable ones are not in force yet (unsatisfied is therefore applicable minus the
#   other two). Declared frameworks with nothing applicable are listed with zeros. Each
#   framework's applicable requirements are intersected with the (smaller) reached sets
#   directly, rather than first intersecting those with every applicable requirement.
counts := object.union(
	{f: {"applicable": 0, "satisfied": 0, "partial": 0, "unsatisfied": 0, "upcoming": 0} | some f in frameworks - present},
	present_counts,
)

present_counts := {f: c |
	some f
	these := by_framework[f]
	n_applicable := count(these)
	n_satisfied := count(these & reached_full)
	n_partial := count((these & reached_partial) - reached_full)
	c := {
		"applicable": n_applicable,
		"satisfied": n_satisfied,
		"partial": n_partial,
		"unsatisfied": (n_applicable - n_satisfied) - n_partial,
		"upcoming": count(these & later),
	}
} if {
	by_framework := members
	reached_full := full
	reached_partial := partial
	later := not_started
}

# METADATA
# title: Obligations to report as warnings
# description: >-
#   Applicable legal obligations the evidence does not fully cover, except those a triggered
#   jurisdiction rule already reports.
to_report := ((applicable & object.keys(data.crossgate.index.obligations)) - full) - named_requirements

# METADATA
# title: Obligations to report, by coverage level and by whether they are in force
# description: >-
#   to_report holds no fully covered requirement, so partly covered ones are those reached
#   with partial coverage and the others are not covered at all; not_started splits them
#   into upcoming ones and those in force. Set operations on these few ids, not on every
#   applicable requirement.
report_partly := to_report & partial

report_uncovered := to_report - partial

in_force_partly := report_partly - not_started

in_force_uncovered := report_uncovered - not_started

upcoming_partly := report_partly & not_started

upcoming_uncovered := report_uncovered & not_started

# METADATA
# title: Warnings about obligations, each with the key the decision sorts it by
# description: >-
#   [key, warning]. The key is the one data.crossgate.gate.deployment.in_order builds (code,
#   item, message, remediation, requirements joined by spaces, then "~"), made here where the
#   parts are at hand. Messages name the obligation by its label
#   (data.crossgate.index.obligations: "<id> (<title>, <citation>)"). One rule per coverage
#   level keeps the words literal; lookups are bound before the loop because a rule
#   reference inside a loop costs a lookup per element.
# custom:
#   codes: [unsatisfied_requirement, upcoming_obligation]
keyed_warnings contains [key, w] if {
	labels := data.crossgate.index.obligations
	records := reqs
	some id in in_force_partly
	message := concat("", [labels[id], " applies to this system and is only partly covered by the evidence."])
	remediation := concat("", ["Attach evidence of a type that reaches ", id, ", or map a control you already evidence to it."])
	w := {
		"code": "unsatisfied_requirement",
		"item": id,
		"message": message,
		"remediation": remediation,
		"requirements": [id],
		"applies_from": object.get(records[id], "applies_from", null),
	}
	key := concat(" ", ["unsatisfied_requirement", id, message, remediation, id, "~"])
}

keyed_warnings contains [key, w] if {
	labels := data.crossgate.index.obligations
	records := reqs
	some id in in_force_uncovered
	message := concat("", [labels[id], " applies to this system and is not covered by any evidence."])
	remediation := concat("", ["Attach evidence of a type that reaches ", id, ", or map a control you already evidence to it."])
	w := {
		"code": "unsatisfied_requirement",
		"item": id,
		"message": message,
		"remediation": remediation,
		"requirements": [id],
		"applies_from": object.get(records[id], "applies_from", null),
	}
	key := concat(" ", ["unsatisfied_requirement", id, message, remediation, id, "~"])
}

keyed_warnings contains [key, w] if {
	labels := data.crossgate.index.obligations
	records := reqs
	some id in upcoming_partly
	date := records[id].applies_from
	message := concat("", ["Applies from ", date, ": ", labels[id], " will apply to this system and is only partly covered by the evidence."])
	remediation := concat("", ["Before ", date, ", attach evidence of a type that reaches ", id, "."])
	w := {
		"code": "upcoming_obligation",
		"item": id,
		"message": message,
		"remediation": remediation,
		"requirements": [id],
		"applies_from": date,
	}
	key := concat(" ", ["upcoming_obligation", id, message, remediation, id, "~"])
}

keyed_warnings contains [key, w] if {
	labels := data.crossgate.index.obligations
	records := reqs
	some id in upcoming_uncovered
	date := records[id].applies_from
	message := concat("", ["Applies from ", date, ": ", labels[id], " will apply to this system and is not covered by any evidence."])
	remediation := concat("", ["Before ", date, ", attach evidence of a type that reaches ", id, "."])
	w := {
		"code": "upcoming_obligation",
		"item": id,
		"message": message,
		"remediation": remediation,
		"requirements": [id],
		"applies_from": date,
	}
	key := concat(" ", ["upcoming_obligation", id, message, remediation, id, "~"])
}

# METADATA
# title: Obligations the evidence leaves unsatisfied, in force (unsatisfied_requirement) or not yet (upcoming_obligation)
warnings := {w | some pair in keyed_warnings; w := pair[1]}
