# METADATA
# title: Evidence checks
# description: >-
#   Required items come from the profile (min_tier at or below the system's tier, condition
#   null or a true system flag) and from triggered jurisdiction rules. Each need is checked
#   for presence and freshness; every piece of evidence is checked for a failed result, its
#   metrics against the profile's thresholds and the form of its sha256. Needs of upcoming
#   jurisdiction rules produce warnings carrying the date from which they apply. Presence and
#   freshness are checked on sets of item ids (items needed minus types present; types whose
#   evidence is older than the shortest window); need objects, messages and requirement lists
#   are built only for the needs that have a problem.
package crossgate.gate.lib.evidence

import data.crossgate.gate.lib.applicability.applicable
import data.crossgate.gate.lib.context.as_of_ns
import data.crossgate.gate.lib.context.day_ns
import data.crossgate.gate.lib.context.evidence as input_evidence
import data.crossgate.gate.lib.context.gate
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.context.system
import data.crossgate.gate.lib.jurisdiction.states as rule_states
import data.crossgate.gate.lib.lifecycle.profile_item_applies
import data.crossgate.gate.lib.lifecycle.rule_item_applies
import data.crossgate.gate.lib.tiers.above as tiers_above
import data.crossgate.gate.lib.tiers.applies as tier_applies

# METADATA
# title: Profile items
items := object.get(profile, "items", [])

# METADATA
# title: Conditions that hold
# description: Null (always) and the name of every system flag that is true.
conditions_met := {null} | {name | some name; system[name] == true}

# METADATA
# title: Profile items that apply to this system
# description: >-
#   min_tier at or below the system's tier (not one of the tiers above it), the condition
#   null or a true system flag, and the item kept by the release's stage and change type
#   (lib.lifecycle).
profile_specs := [spec |
	some spec in items
	not object.get(spec, "min_tier", null) in higher
	object.get(spec, "condition", null) in met
	profile_item_applies(spec.item)
] if {
	higher := tiers_above
	met := conditions_met
}

# METADATA
# title: The need a profile item makes
profile_need(spec) := {
	"item": spec.item,
	"state": "active",
	"applies_from": null,
	"max_age_days": object.get(spec, "max_age_days", null),
	"kind": "profile",
	"origin": spec,
}

# METADATA
# title: Items required by the profile for this system
profile_needs := {profile_need(spec) | some spec in profile_specs}

# METADATA
# title: Items required by triggered jurisdiction rules (active or upcoming)
rule_needs contains need if {
	some [rule, state, first] in rule_states
	rule_item_applies(rule.item)
	need := {
		"item": rule.item,
		"state": state,
		"applies_from": first,
		"max_age_days": object.get(rule, "max_age_days", null),
		"kind": "rule",
		"origin": rule,
	}
}

# METADATA
# title: Every need, active and upcoming
# description: Not used by the checks (they build need objects only for problems); for queries and tests.
needs := profile_needs | rule_needs

# METADATA
# title: Items the gate requires now
required_items := {spec.item | some spec in profile_specs} | {n.item | some n in rule_needs; n.state == "active"}

# METADATA
# title: Items of every need, active and upcoming
need_items := required_items | {n.item | some n in rule_needs}

# METADATA
# title: [item, max_age_days] of every need with a freshness window
aged := {[spec.item, d] |
	some spec in profile_specs
	d := object.get(spec, "max_age_days", null)
	is_number(d)
} | {[n.item, d] | some n in rule_needs; d := n.max_age_days; is_number(d)}

# METADATA
# title: Evidence types present in the input
types_present := {e.type | some e in input_evidence}

# METADATA
# title: Evidence types with a piece that did not fail
usable_types := {e.type | some e in input_evidence; e.result != "fail"}

# METADATA
# title: Pieces of evidence of a type
pieces_of(t) := [e |
	some e in input_evidence
	e.type == t
]

# METADATA
# title: Pieces of evidence of a type that did not fail
usable(t) := [e |
	some e in input_evidence
	e.type == t
	e.result != "fail"
]

# METADATA
# title: A piece of evidence is no older than max_days on the evaluation date
fresh(e, max_days) if as_of_ns - e.collected_at_ns <= max_days * day_ns

any_fresh(pieces, max_days) if {
	some e in pieces
	is_number(e.collected_at_ns)
	fresh(e, max_days)
}

# METADATA
# title: Evidence types with a usable piece fresh for the shortest window of any need
# description: >-
#   Such a type is fresh for every need; only the others are checked need by need.
#   Undefined when no need has a window (then nothing can be stale).
fresh_types := {e.type |
	some e in input_evidence
	e.result != "fail"
	is_number(e.collected_at_ns)
	now - e.collected_at_ns <= shortest
} if {
	now := as_of_ns
	some d in shortest_window
	shortest := d * day_ns
}

# METADATA
# title: The shortest freshness window of any need, in days (a set of one, or empty)
# description: >-
#   Found by comparisons rather than min(): rego-cpp's min of a set of numbers compares them
#   as text (min({30, 180}) is 180 there).
shortest_window := {d |
	some d in windows
	count({x | some x in windows; x < d}) == 0
}

windows := {pair[1] | some pair in aged}

# METADATA
# title: Types with a usable piece that may be too old for some need
stale_suspects := ({pair[0] | some pair in aged} & usable_types) - fresh_types

# METADATA
# title: Needs with no evidence, and needs whose newest usable evidence is too old
# custom:
#   codes: [missing_evidence, stale_evidence]
need_problems contains [need, "missing_evidence", message] if {
	some need in missing_needs
	message := concat("", ["No evidence of type ", need.item, " (", title(need), ") was supplied; ", reason(need), "."])
}

need_problems contains [need, "stale_evidence", message] if {
	some need in suspect_needs
	is_number(need.max_age_days)
	pieces := usable(need.item)
	not any_fresh(pieces, need.max_age_days)
	message := concat("", [
		staleness_words(pieces), "; at most ", format_int(need.max_age_days, 10),
		" days are allowed because ", reason(need), ".",
	])
}

# METADATA
# title: Needs whose item has no evidence at all
# description: Need objects are built only for these (and for the stale suspects), not for every item.
missing_needs contains need if {
	missing := need_items - types_present
	count(missing) > 0
	some spec in profile_specs
	spec.item in missing
	need := profile_need(spec)
}

missing_needs contains need if {
	missing := need_items - types_present
	count(missing) > 0
	some need in rule_needs
	need.item in missing
}

# METADATA
# title: Needs whose item has usable evidence that may be too old
suspect_needs contains need if {
	suspects := stale_suspects
	count(suspects) > 0
	some spec in profile_specs
	spec.item in suspects
	need := profile_need(spec)
}

suspect_needs contains need if {
	suspects := stale_suspects
	count(suspects) > 0
	some need in rule_needs
	need.item in suspects
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
# title: Title of a need's item
title(need) := object.get(need.origin, "title", need.item)

# METADATA
# title: Why an item is required, in words
reason(need) := concat("", [
	"the ", gate, " gate requires it at tier ", object.get(need.origin, "min_tier", "?"), " and above",
	condition_words(object.get(need.origin, "condition", null)),
]) if need.kind == "profile"

reason(need) := concat("", ["jurisdiction rule ", need.origin.id, " (", need.origin.requirement, ") requires it"]) if {
	need.kind == "rule"
}

condition_words(c) := concat("", [" when system.", c, " is true"]) if {
	is_string(c)
} else := ""

# METADATA
# title: How to fix a problem with a need
remediation(need) := object.get(need.origin, "remediation", concat("", ["Attach passing, current evidence of type ", need.item, "."]))

# METADATA
# title: Requirement ids reported with a need's problem
# description: >-
#   What the item's evidence reaches (applicable requirements only), plus the item's control
#   for a profile item or the rule's requirement for a jurisdiction rule.
need_requirements(need) := sort(reached(need.item) | {c |
	need.kind == "profile"
	c := need.origin.control
	c != null
}) if need.kind == "profile"

need_requirements(need) := sort(reached(need.item) | {need.origin.requirement}) if need.kind == "rule"

# METADATA
# title: Requirements applicable to the system that evidence of a type reaches
reached(t) := object.keys(links) & applicable if {
	links := object.get(data.crossgate.evidence_reach, t, {})
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
# title: Requirement ids reported with a problem about a piece of evidence
requirements_of(t) := sort(reached(t) | controls_of(t))

# METADATA
# title: Missing or stale evidence the gate enforces now
# custom:
#   codes: [missing_evidence, stale_evidence]
violations contains v if {
	some [need, code, message] in need_problems
	need.state == "active"
	v := {
		"code": code,
		"item": need.item,
		"message": message,
		"remediation": remediation(need),
		"requirements": need_requirements(need),
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
# title: Pieces of evidence of each thresholded type
metered := {item: pieces_of(item) | some item in {t.item | some t in thresholds}}

# METADATA
# title: A reported metric value (undefined when absent or not a number)
metric(e, name) := value if {
	value := e.metrics[name]
	is_number(value)
}

# METADATA
# title: A metric above its maximum
# custom:
#   code: threshold_exceeded
violations contains v if {
	some t in thresholds
	some e in metered[t.item]
	metric(e, t.metric) > t.max
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
	t.item in types_present
	not metric_reported(metered[t.item], t.metric)
	v := {
		"code": "threshold_exceeded",
		"item": t.item,
		"message": concat("", ["No ", t.item, " evidence reports the metric ", t.metric, ", so its limit cannot be checked."]),
		"remediation": concat("", ["Report ", t.metric, " as a number in the metrics of the ", t.item, " evidence."]),
		"requirements": requirements_of(t.item),
	}
}

metric_reported(pieces, name) if {
	some e in pieces
	metric(e, name)
}

# METADATA
# title: Minimums of the profile that apply at the system's tier, the strictest per metric
# description: >-
#   A minimum applies from its min_tier up; of several for one item and metric only the
#   highest counts (found by comparisons: rego-cpp's max of numbers compares them as text).
minimums := {m |
	some m in applicable_minimums
	count({x | some x in applicable_minimums; x.item == m.item; x.metric == m.metric; x.min > m.min}) == 0
}

applicable_minimums := {m |
	some m in object.get(profile, "minimums", [])
	tier_applies(object.get(m, "min_tier", null))
}

minimum_met(m) if {
	some e in usable(m.item)
	metric(e, m.metric) >= m.min
}

# METADATA
# title: A required item whose evidence does not reach the tier's minimum
# description: >-
#   Checked where the item is required here and evidence of it is present (absent evidence
#   is missing_evidence); a piece that reports no such metric does not reach it.
# custom:
#   code: threshold_not_met
violations contains v if {
	some m in minimums
	m.item in required_items
	m.item in types_present
	not minimum_met(m)
	v := {
		"code": "threshold_not_met",
		"item": m.item,
		"message": concat("", [
			"No passing ", m.item, " evidence reports ", m.metric, " of at least ", format_number(m.min),
			", the minimum at tier ", object.get(m, "min_tier", "?"), " and above.",
		]),
		"remediation": concat("", ["Raise ", m.metric, " to at least ", format_number(m.min), " and report it in the metrics of the ", m.item, " evidence."]),
		"requirements": requirements_of(m.item),
	}
}

# METADATA
# title: A number in words (whole numbers without a decimal point)
format_number(n) := format_int(n, 10) if {
	n == floor(n)
} else := sprintf("%v", [n])

# METADATA
# title: A sha256 of the right form
# description: 64 lowercase hexadecimal characters. The artifact itself is not fetched.
sha256_well_formed(s) if {
	is_string(s)
	count(s) == 64
	trim(s, "0123456789abcdef") == ""
}

# METADATA
# title: Every sha256 given is of the right form (checked all at once)
# description: >-
#   Every non-null sha256 is a string, each 64 characters long, and all of them joined are
#   lowercase hexadecimal: the same test as sha256_well_formed, made with a few builtin calls
#   for the whole input rather than a few per piece.
digests_well_formed if {
	digests := [d | some e in input_evidence; d := e.sha256; d != null]
	strings := [d | some d in digests; is_string(d)]
	count(strings) == count(digests)
	lengths := {count(d) | some d in strings}
	lengths - {64} == set()
	trim(concat("", strings), "0123456789abcdef") == ""
}

# METADATA
# title: Evidence with a malformed sha256
# description: Piece by piece only when the check of all of them fails.
# custom:
#   code: integrity_mismatch
violations contains v if {
	not digests_well_formed
	some e in input_evidence
	e.sha256 != null
	not sha256_well_formed(e.sha256)
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
	some [need, _, message] in need_problems
	need.state == "upcoming"
	w := {
		"code": "upcoming_obligation",
		"item": need.item,
		"message": concat("", ["Applies from ", need.applies_from, ": ", message]),
		"remediation": remediation(need),
		"requirements": need_requirements(need),
		"applies_from": need.applies_from,
	}
}

# METADATA
# title: Metrics within the near-miss margin below their maximum
# custom:
#   code: near_threshold
warnings contains w if {
	ratio := object.get(profile, "near_miss_ratio", 0)
	some t in thresholds
	some e in metered[t.item]
	value := metric(e, t.metric)
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
unevidenced := required_items - types_present
