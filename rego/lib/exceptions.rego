# METADATA
# title: Exceptions
# description: >-
#   An exception waives the one item it names while it has a risk acceptance text, an
#   approver other than the release's deployer, and an expiry after the decision instant but
#   at most the profile's max_exception_days after its approved_at (after the decision time
#   when it has none); an approved_at after the decision time plus the clock skew is a flaw.
#   An item with a blocking problem (failed evidence, a threshold exceeded, a blocking
#   finding) may be waived only where the profile allows it (allow_blocking_waivers) and by
#   the approver of the release's approval in the profile's blocking_waiver_role. An
#   exception without an expiry cannot be shown to be current and is invalid. An invalid
#   exception is a violation and waives nothing.
package crossgate.gate.lib.exceptions

import data.crossgate.gate.lib.context.after_horizon
import data.crossgate.gate.lib.context.approvals as input_approvals
import data.crossgate.gate.lib.context.as_of_ns
import data.crossgate.gate.lib.context.day_ns
import data.crossgate.gate.lib.context.deployer
import data.crossgate.gate.lib.context.exceptions as input_exceptions
import data.crossgate.gate.lib.context.has_text
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.evidence.violations as evidence_violations
import data.crossgate.gate.lib.findings.context_requirements
import data.crossgate.gate.lib.findings.violations as finding_violations

# METADATA
# title: Violation codes an exception can waive
# description: >-
#   Evidence problems, blocking findings and a lowered tier (an exception naming
#   tier_change: the reclassification's risk acceptance). Approvals, separation of duties, integrity and
#   exceptions themselves cannot be waived: an exception is itself one person's sign-off and
#   must not stand in for another's.
waivable := {"missing_evidence", "stale_evidence", "tier_change"} | blocking_codes

# METADATA
# title: Violation codes of the blocking criteria
# description: Waivable only where the profile allows it, and only with the right signature.
blocking_codes := {"failed_evidence", "threshold_exceeded", "threshold_not_met", "open_finding"}

# METADATA
# title: Items with a blocking problem
blocking_items := {v.item | some v in evidence_violations | finding_violations; v.code in blocking_codes}

# METADATA
# title: The profile lets an exception waive a blocking criterion
# description: allow_blocking_waivers (graph: cg:allowsBlockingWaivers); not allowed when the profile does not say.
blocking_waivers_allowed if object.get(profile, "allow_blocking_waivers", false) == true

# METADATA
# title: The approval role whose approver may sign a blocking waiver
# description: blocking_waiver_role (graph: cg:blockingWaiverRole); "compliance" is a documented fallback.
waiver_role := lower(object.get(profile, "blocking_waiver_role", "compliance"))

# METADATA
# title: Who gave the release's approval in the waiver role (lower-cased)
waiver_signers := {lower(a.approver) |
	some a in input_approvals
	is_string(a.role)
	lower(a.role) == waiver_role
	is_string(a.approver)
	not after_horizon(object.get(a, "approved_at_ns", null))
}

# METADATA
# title: The longest an exception may run, in days
# description: max_exception_days (graph: cg:maxExceptionDays); 90 is a documented fallback.
max_days := object.get(profile, "max_exception_days", 90)

# METADATA
# title: The instant an exception's validity counts from
# description: Its approved_at, else the decision time.
start_ns(x) := x.approved_at_ns if {
	is_number(object.get(x, "approved_at_ns", null))
} else := as_of_ns

# METADATA
# title: Why each exception is invalid, as [index, reason] pairs
flaws contains [i, "it has no risk acceptance text"] if {
	some i, x in input_exceptions
	not has_text(object.get(x, "risk_acceptance", null))
}

flaws contains [i, "it names no approver"] if {
	some i, x in input_exceptions
	not has_text(object.get(x, "approved_by", null))
}

flaws contains [i, "it was approved by the release's deployer"] if {
	some i, x in input_exceptions
	is_string(x.approved_by)
	lower(x.approved_by) == deployer
}

flaws contains [i, concat("", ["it expired at ", object.get(x, "expires_at", "?")])] if {
	some i, x in input_exceptions
	is_number(x.expires_at_ns)
	x.expires_at_ns <= as_of_ns
}

flaws contains [i, "it has no expiry time"] if {
	some i, x in input_exceptions
	not is_number(object.get(x, "expires_at_ns", null))
}

flaws contains [i, concat("", ["it is dated ", x.approved_at, ", after the decision time"])] if {
	some i, x in input_exceptions
	after_horizon(object.get(x, "approved_at_ns", null))
}

flaws contains [i, concat("", [
	"it runs until ", object.get(x, "expires_at", "?"), ", more than the ", format_int(max_days, 10),
	" days the profile allows after ", start_words(x),
])] if {
	some i, x in input_exceptions
	is_number(x.expires_at_ns)
	x.expires_at_ns - start_ns(x) > max_days * day_ns
}

start_words(x) := concat("", ["its approval (", x.approved_at, ")"]) if {
	is_number(object.get(x, "approved_at_ns", null))
} else := "the decision time"

flaws contains [i, "it would waive a blocking criterion, which this gate's profile does not allow"] if {
	some i, x in input_exceptions
	x.item in blocking_items
	not blocking_waivers_allowed
}

flaws contains [i, concat("", [
	"it would waive a blocking criterion, so it must be approved by the release's ", waiver_role,
	" approver",
])] if {
	some i, x in input_exceptions
	x.item in blocking_items
	blocking_waivers_allowed
	not signed_by_waiver_role(x)
}

signed_by_waiver_role(x) if {
	is_string(x.approved_by)
	lower(x.approved_by) in waiver_signers
}

reasons(i) := sort({f[1] | some f in flaws; f[0] == i})

# METADATA
# title: An exception that waives nothing
# custom:
#   code: invalid_exception
violations contains v if {
	some i, x in input_exceptions
	count(reasons(i)) > 0
	v := {
		"code": "invalid_exception",
		"item": object.get(x, "item", ""),
		"message": concat("", [
			"The exception for ", object.get(x, "item", "?"), " is invalid: ",
			concat("; ", reasons(i)), ".",
		]),
		"remediation": "Record the exception again with a risk acceptance, an approver other than the deployer and a future expiry, or remove it.",
		"requirements": context_requirements,
	}
}

# METADATA
# title: Exceptions that hold on the evaluation date
valid contains x if {
	some i, x in input_exceptions
	count(reasons(i)) == 0
}

# METADATA
# title: Items named by a valid exception
waived_items := {x.item | some x in valid}
