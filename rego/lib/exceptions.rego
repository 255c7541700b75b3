# METADATA
# title: Exceptions
# description: >-
#   An exception waives the one item it names while it has a risk acceptance text, an
#   approver other than the release's deployer, and an expiry after the evaluation instant.
#   An exception without an expiry cannot be shown to be current and is invalid. An invalid
#   exception is a violation and waives nothing.
package crossgate.gate.lib.exceptions

import data.crossgate.gate.lib.context.as_of_ns
import data.crossgate.gate.lib.context.deployer
import data.crossgate.gate.lib.context.exceptions as input_exceptions
import data.crossgate.gate.lib.context.has_text
import data.crossgate.gate.lib.findings.context_requirements

# METADATA
# title: Violation codes an exception can waive
# description: >-
#   Evidence problems and blocking findings. Approvals, separation of duties, integrity and
#   exceptions themselves cannot be waived: an exception is itself one person's sign-off and
#   must not stand in for another's.
waivable := {"missing_evidence", "failed_evidence", "stale_evidence", "threshold_exceeded", "open_finding"}

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
