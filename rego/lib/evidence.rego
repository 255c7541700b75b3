# METADATA
# title: Evidence checks
# description: >-
#   Required items come from the profile (min_tier at or below the system's tier, condition
#   null or a true system flag) and from triggered jurisdiction rules. Each need is checked
#   for presence and freshness; every piece of evidence is checked for a failed result, its
#   metrics against the profile's thresholds and the form of its sha256. Needs of upcoming
#   jurisdiction rules produce warnings carrying the date from which they apply.
package crossgate.gate.lib.evidence

import data.crossgate.gate.lib.applicability.applicable
import data.crossgate.gate.lib.context.as_of_ns
import data.crossgate.gate.lib.context.day_ns
import data.crossgate.gate.lib.context.evidence as input_evidence
import data.crossgate.gate.lib.context.gate
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.context.system
import data.crossgate.gate.lib.jurisdiction.active as active_rules
import data.crossgate.gate.lib.jurisdiction.start as rule_start
import data.crossgate.gate.lib.jurisdiction.upcoming as upcoming_rules
import data.crossgate.gate.lib.tiers.applies


# METADATA
# title: Profile items
items := object.get(profile, "items", [])

# METADATA
# title: A profile item's condition holds
# description: Null means always; otherwise it names a system flag that must be true.
condition_holds(c) if c == null

condition_holds(c) if {
	is_string(c)
	object.get(system, c, false) == true
}

# METADATA
# title: Controls the profile gives for an evidence type
controls_of(t) := {c |
	some spec in items
	spec.item == t
	c := spec.control
	c != null
}

# METADATA
# title: Requirements applicable to the system that evidence of a type reaches
# description: >-
#   The lookup is bound outside the comprehension: rego-cpp (regopy) treats a function
#   argument used as a key inside a comprehension as unbound and iterates every key.
reached(t) := {r |
	some r
	links[r]
	r in applicable
} if {
	links := object.get(data.crossgate.evidence_reach, t, {})
}

# METADATA
# title: Requirement ids reported with a problem about an evidence type
requirements_of(t) := sort(reached(t) | controls_of(t))

# METADATA
# title: Why a profile item is required, in words
profile_reason(spec) := concat("", [
	"the ", gate, " gate requires it at tier ", object.get(spec, "min_tier", "?"), " and above",
	condition_words(object.get(spec, "condition", null)),
])

condition_words(c) := concat("", [" when system.", c, " is true"]) if {
	is_string(c)
} else := ""

# METADATA
# title: Items required by the profile for this system
profile_needs contains need if {
	some spec in items
	applies(object.get(spec, "min_tier", null))
	condition_holds(object.get(spec, "condition", null))
	need := {
		"item": spec.item,
		"state": "active",
		"applies_from": null,
		"max_age_days": object.get(spec, "max_age_days", null),
		"title": object.get(spec, "title", spec.item),
		"reason": profile_reason(spec),
		"remediation": object.get(spec, "remediation", concat("", ["Attach passing, current evidence of type ", spec.item, "."])),
		"requirements": requirements_of(spec.item),
	}
}

# METADATA
# title: Items required by triggered jurisdiction rules (active or upcoming)
rule_needs contains need if {
	some rule in active_rules | upcoming_rules
	state := rule_state(rule)
	need := {
		"item": rule.item,
		"state": state,
		"applies_from": rule_start(rule),
		"max_age_days": object.get(rule, "max_age_days", null),
		"title": object.get(rule, "title", rule.item),
		"reason": concat("", ["jurisdiction rule ", rule.id, " (", rule.requirement, ") requires it"]),
		"remediation": object.get(rule, "remediation", concat("", ["Attach passing, current evidence of type ", rule.item, "."])),
		"requirements": sort(reached(rule.item) | controls_of(rule.item) | {rule.requirement}),
	}
}

rule_state(rule) := "active" if rule in active_rules

rule_state(rule) := "upcoming" if rule in upcoming_rules

# METADATA
# title: Every need, active and upcoming
needs := profile_needs | rule_needs

# METADATA
# title: Items the gate requires now
required_items := {n.item | some n in needs; n.state == "active"}

# METADATA
# title: Evidence types present in the input
types_present := {e.type | some e in input_evidence}

# METADATA
# title: Evidence grouped by type
by_type := {t: pieces |
	some t in types_present
	pieces := [e |
		some e in input_evidence
		e.type == t
	]
}

# METADATA
# title: Evidence of a type ([] when there is none)
of_type(t) := by_type[t]

of_type(t) := [] if not t in types_present

# METADATA
# title: Evidence of a type that did not fail
usable(t) := [e |
	some e in of_type(t)
	e.result != "fail"
]

# METADATA
# title: A piece of evidence is no older than max_days on the evaluation date
fresh(e, max_days) if {
	is_number(e.collected_at_ns)
	as_of_ns - e.collected_at_ns <= max_days * day_ns
}

# METADATA
# title: Problems with needs, before they are split into violations and warnings
# custom:
#   codes: [missing_evidence, stale_evidence]
need_problems contains p if {
	some need in needs
	not need.item in types_present
	p := problem(need, "missing_evidence", concat("", ["No evidence of type ", need.item, " (", need.title, ") was supplied; ", need.reason, "."]))
}

need_problems contains p if {
	some need in needs
	is_number(need.max_age_days)
	pieces := usable(need.item)
	count(pieces) > 0
	not any_fresh(pieces, need.max_age_days)
	p := problem(need, "stale_evidence", concat("", [staleness_words(pieces), "; at most ", format_int(need.max_age_days, 10), " days are allowed because ", need.reason, "."]))
}

problem(need, code, message) := {
	"code": code,
	"item": need.item,
	"message": message,
	"remediation": need.remediation,
	"requirements": need.requirements,
	"state": need.state,
	"applies_from": need.applies_from,
}

any_fresh(pieces, max_days) if {
	some e in pieces
	fresh(e, max_days)
}

# METADATA
# title: Describes the newest piece of evidence and its age
staleness_words(pieces) := concat("", [
	"The newest evidence of type ", e.type, " (", e.id, ", collected ", e.collected_at, ") is ",
	format_int(floor((as_of_ns - e.collected_at_ns) / day_ns), 10), " days old",
]) if {
	stamps := {p.collected_at_ns | some p in pieces; is_number(p.collected_at_ns)}
	count(stamps) > 0
	newest := max(stamps)
	first := min({p.id | some p in pieces; p.collected_at_ns == newest})
	some e in pieces
	e.id == first
} else := concat("", ["No evidence of type ", pieces[0].type, " has a collection time, so its age cannot be checked"])

# METADATA
# title: Missing or stale evidence the gate enforces now
# custom:
#   codes: [missing_evidence, stale_evidence]
violations contains v if {
	some p in need_problems
	p.state == "active"
	v := {
		"code": p.code,
		"item": p.item,
		"message": p.message,
		"remediation": p.remediation,
		"requirements": p.requirements,
	}
}

# METADATA
# title: Evidence whose result is fail
# custom:
#   code: failed_evidence
violations contains v if {
	some e in input_evidence
	e.result == "fail"
	v := {
		"code": "failed_evidence",
		"item": e.type,
		"message": concat("", ["Evidence ", e.id, " (", e.type, ") reports the result fail."]),
		"remediation": concat("", ["Fix what made ", e.type, " fail and attach a passing run."]),
		"requirements": requirements_of(e.type),
	}
}

# METADATA
# title: Thresholds of the profile
thresholds := object.get(profile, "thresholds", [])

# METADATA
# title: A metric above its maximum
# custom:
#   code: threshold_exceeded
violations contains v if {
	some t in thresholds
	some e in of_type(t.item)
	value := object.get(object.get(e, "metrics", {}), t.metric, null)
	is_number(value)
	value > t.max
	v := {
		"code": "threshold_exceeded",
		"item": t.item,
		"message": concat("", ["Metric ", t.metric, " reported by evidence ", e.id, " (", t.item, ") is above the maximum the gate allows."]),
		"remediation": concat("", ["Bring ", t.metric, " within the gate's limit and attach the new ", t.item, " evidence."]),
		"requirements": requirements_of(t.item),
	}
}

# METADATA
# title: A thresholded metric nobody reported
# description: >-
#   When evidence of a thresholded type is present but no piece reports the metric as a
#   number, the gate cannot show the limit is met, so it fails closed.
# custom:
#   code: threshold_exceeded
violations contains v if {
	some t in thresholds
	pieces := of_type(t.item)
	count(pieces) > 0
	not metric_reported(pieces, t.metric)
	v := {
		"code": "threshold_exceeded",
		"item": t.item,
		"message": concat("", ["No ", t.item, " evidence reports the metric ", t.metric, ", so its limit cannot be checked."]),
		"remediation": concat("", ["Report ", t.metric, " as a number in the metrics of the ", t.item, " evidence."]),
		"requirements": requirements_of(t.item),
	}
}

metric_reported(pieces, metric) if {
	some e in pieces
	is_number(object.get(object.get(e, "metrics", {}), metric, null))
}

# METADATA
# title: A sha256 of the right form
# description: 64 lowercase hexadecimal characters. The artifact itself is not fetched.
sha256_well_formed(s) if {
	is_string(s)
	count(s) == 64
	trim(s, "0123456789abcdef") == ""
}

# METADATA
# title: Evidence with a malformed sha256
# custom:
#   code: integrity_mismatch
violations contains v if {
	some e in input_evidence
	digest := e.sha256
	digest != null
	not sha256_well_formed(digest)
	v := {
		"code": "integrity_mismatch",
		"item": e.type,
		"message": concat("", ["Evidence ", e.id, " (", e.type, ") carries a sha256 that is not 64 lowercase hexadecimal characters, so it cannot identify the artifact."]),
		"remediation": "Recompute the artifact's SHA-256 digest and send it as 64 lowercase hexadecimal characters.",
		"requirements": requirements_of(e.type),
	}
}

# METADATA
# title: Needs of upcoming rules that the evidence would not meet
# custom:
#   code: upcoming_obligation
warnings contains w if {
	some p in need_problems
	p.state == "upcoming"
	w := {
		"code": "upcoming_obligation",
		"item": p.item,
		"message": concat("", ["Applies from ", p.applies_from, ": ", p.message]),
		"remediation": p.remediation,
		"requirements": p.requirements,
		"applies_from": p.applies_from,
	}
}

# METADATA
# title: Metrics within the near-miss margin below their maximum
# custom:
#   code: near_threshold
warnings contains w if {
	ratio := object.get(profile, "near_miss_ratio", 0)
	some t in thresholds
	some e in of_type(t.item)
	value := object.get(object.get(e, "metrics", {}), t.metric, null)
	is_number(value)
	value <= t.max
	value >= t.max * (1 - ratio)
	w := {
		"code": "near_threshold",
		"item": t.item,
		"message": concat("", ["Metric ", t.metric, " reported by evidence ", e.id, " (", t.item, ") is within the near-miss margin of its maximum."]),
		"remediation": concat("", ["Watch ", t.metric, "; the next release may exceed the limit."]),
		"requirements": requirements_of(t.item),
		"applies_from": null,
	}
}

# METADATA
# title: Required items with no evidence at all (before exceptions)
unevidenced := {n.item |
	some n in needs
	n.state == "active"
	not n.item in types_present
}

