# METADATA
# title: Future-dated input
# description: >-
#   The decision time is the server's (DESIGN.md, "Time is the server's"). Evidence collected,
#   approvals given and exceptions approved after the decision time plus the profile's clock
#   skew are violations: such evidence counts for nothing (lib.context leaves it out of every
#   check), and no exception can waive this code.
package crossgate.gate.lib.dates

import data.crossgate.gate.lib.context.after_horizon
import data.crossgate.gate.lib.context.all_evidence
import data.crossgate.gate.lib.context.approvals
import data.crossgate.gate.lib.context.exceptions
import data.crossgate.gate.lib.context.skew_ns
import data.crossgate.gate.lib.findings.context_requirements

skew_words := concat("", [format_int(skew_ns / 1000000000, 10), " s"])

remediation := "Check the clock of the system that produced the date, or send the record once it has happened; a date after the decision time cannot count."

# METADATA
# title: Evidence collected after the decision time
# custom:
#   code: future_dated
violations contains v if {
	some e in all_evidence
	after_horizon(object.get(e, "collected_at_ns", null))
	v := {
		"code": "future_dated",
		"item": e.type,
		"message": concat("", [
			"Evidence ", e.id, " (", e.type, ") says it was collected at ", e.collected_at,
			", later than the decision time plus the allowed clock skew of ", skew_words,
			"; it counts for nothing.",
		]),
		"remediation": remediation,
		"requirements": context_requirements,
	}
}

# METADATA
# title: Approvals given after the decision time
# custom:
#   code: future_dated
violations contains v if {
	some a in approvals
	after_horizon(object.get(a, "approved_at_ns", null))
	v := {
		"code": "future_dated",
		"item": a.role,
		"message": concat("", [
			"The ", a.role, " approval by ", a.approver, " is dated ", a.approved_at,
			", later than the decision time plus the allowed clock skew of ", skew_words, ".",
		]),
		"remediation": remediation,
		"requirements": context_requirements,
	}
}

# METADATA
# title: Exceptions approved after the decision time
# custom:
#   code: future_dated
violations contains v if {
	some x in exceptions
	after_horizon(object.get(x, "approved_at_ns", null))
	v := {
		"code": "future_dated",
		"item": x.item,
		"message": concat("", [
			"The exception for ", x.item, " says it was approved at ", x.approved_at,
			", later than the decision time plus the allowed clock skew of ", skew_words, ".",
		]),
		"remediation": remediation,
		"requirements": context_requirements,
	}
}
