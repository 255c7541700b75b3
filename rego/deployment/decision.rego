# METADATA
# title: Deployment gate decision
# description: >-
#   May this release go to production? Assembles the checks of crossgate.gate.lib.* for the
#   deployment profile into the decision of the gate contract (DESIGN.md, "Gate decision").
#   Every list is sorted so that engines and replays produce the same JSON. The decision is
#   undefined when the input is not normalised or the profile is missing: clients treat an
#   undefined decision as a deny.
# entrypoint: true
package crossgate.gate.deployment

import data.crossgate.gate.lib.approvals.required as required_approvals
import data.crossgate.gate.lib.approvals.violations as approval_violations
import data.crossgate.gate.lib.context.gate
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.context.ready
import data.crossgate.gate.lib.context.tier
import data.crossgate.gate.lib.coverage.counts as coverage_counts
import data.crossgate.gate.lib.coverage.satisfied
import data.crossgate.gate.lib.coverage.keyed_warnings as coverage_warnings
import data.crossgate.gate.lib.dates.violations as date_violations
import data.crossgate.gate.lib.evidence.required_items
import data.crossgate.gate.lib.evidence.thresholds
import data.crossgate.gate.lib.evidence.unevidenced
import data.crossgate.gate.lib.evidence.violations as evidence_violations
import data.crossgate.gate.lib.evidence.warnings as evidence_warnings
import data.crossgate.gate.lib.exceptions.valid as valid_exceptions
import data.crossgate.gate.lib.exceptions.violations as exception_violations
import data.crossgate.gate.lib.exceptions.waivable
import data.crossgate.gate.lib.exceptions.waived_items
import data.crossgate.gate.lib.findings.patterns as blocking_patterns
import data.crossgate.gate.lib.findings.violations as finding_violations
import data.crossgate.gate.lib.lifecycle.summary as lifecycle_summary
import data.crossgate.gate.lib.lifecycle.violations as lifecycle_violations
import data.crossgate.gate.lib.evidence.minimums

# METADATA
# title: Everything the checks found, before exceptions
raw_violations := ((((evidence_violations | finding_violations) | approval_violations) | exception_violations) | date_violations) | lifecycle_violations

# METADATA
# title: A violation a valid exception waives
waived_violation(v) if {
	v.code in waivable
	v.item in waived_items
}

# METADATA
# title: Violations that stand
violation_set := {v |
	some v in raw_violations
	not waived_violation(v)
}

# METADATA
# title: A set of violations or warnings as a list sorted by code, item and message
# description: >-
#   The sort key joins code, item, message, remediation and requirements, and ends in a
#   sentinel so that no key is a prefix of another: rego-cpp orders a string after a longer
#   one it is a prefix of when the next character sorts below a quote. keyed(s) is the set of
#   [key, element] pairs.
in_order(s) := [pair[1] | some pair in sort(keyed(s))]

keyed(s) := {[concat(" ", [v.code, v.item, v.message, v.remediation, concat(",", v.requirements), "~"]), v] | some v in s}

# METADATA
# title: Violations, sorted
violations := in_order(violation_set)

# METADATA
# title: Warnings, sorted
# description: The coverage warnings come with their sort key (coverage.keyed_warnings).
warnings := [pair[1] | some pair in sort(keyed(evidence_warnings) | coverage_warnings)]

# METADATA
# title: Valid exceptions with the violation codes each one suppressed
# description: Sorted by item, approver and expiry ([key, exception] pairs: one sort, no search).
waived := [w |
	some pair in sort({[concat(" ", [x.item, x.approved_by, x.expires_at]), x] | some x in valid_exceptions})
	x := pair[1]
	w := {
		"item": x.item,
		"approved_by": x.approved_by,
		"expires_at": x.expires_at,
		"risk_acceptance": x.risk_acceptance,
		"suppressed": sort({v.code | some v in raw_violations; v.item == x.item; v.code in waivable}),
	}
]

# METADATA
# title: Required items with no evidence that no exception waives
missing := sort({item |
	some item in unevidenced
	not item in waived_items
})

# METADATA
# title: Release allowed
# description: Only when the input is ready and no violation stands; anything else denies.
default allow := false

allow if {
	ready
	count(violations) == 0
}

# METADATA
# title: Deployment strategy for the system's tier
deployment_strategy := object.get(object.get(profile, "strategies", {}), tier, null)

# METADATA
# title: What the gate checked
# description: >-
#   The evidence items, approval roles and blocking criteria this release was held to, so a
#   report can show every check (passed, failed or waived), not only the failures. A criterion
#   names the violation code that breaks it and, for a threshold, the evidence type it reads.
required := {
	"items": sort(required_items),
	"approvals": sort({lower(rule.role) | some rule in required_approvals}),
	"criteria": array.concat(array.concat(threshold_criteria, minimum_criteria), array.concat(evidence_criteria, finding_criteria)),
}

minimum_criteria := [c |
	some key in sort({concat(" ", [m.item, m.metric]) | some m in minimums; m.item in required_items})
	some m in minimums
	concat(" ", [m.item, m.metric]) == key
	c := {
		"code": "threshold_not_met",
		"item": m.item,
		"title": concat("", ["metric ", m.metric, " of ", m.item, " at least the tier's minimum"]),
	}
]

threshold_criteria := [c |
	some key in sort({concat(" ", [t.item, t.metric]) | some t in thresholds})
	some t in thresholds
	concat(" ", [t.item, t.metric]) == key
	c := {
		"code": "threshold_exceeded",
		"item": t.item,
		"title": concat("", ["metric ", t.metric, " of ", t.item, " within the gate's limit"]),
	}
]

evidence_criteria := [{"code": "failed_evidence", "item": null, "title": "no evidence reports the result fail"}]

finding_criteria := [{"code": "open_finding", "item": null, "title": "no finding matches the profile's blocking patterns"} |
	count(blocking_patterns) > 0
]

# METADATA
# title: The gate decision
# description: The object clients query at data.crossgate.gate.deployment.decision.
decision := {
	"allow": allow,
	"tier": tier,
	"violations": violations,
	"warnings": warnings,
	"waived": waived,
	"satisfied": satisfied,
	"missing": missing,
	"coverage": coverage_counts,
	"deployment_strategy": deployment_strategy,
	"required": required,
	"lifecycle": lifecycle_summary,
} if {
	ready
	gate == "deployment"
}
