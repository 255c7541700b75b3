# METADATA
# title: Approvals and separation of duties
# description: >-
#   Each approval rule of the profile whose min_tier is at or below the system's tier needs
#   an approval with that role; an approval dated after the decision time does not count
#   (lib.dates reports it). Nobody may approve a release they deploy themselves, and one
#   person may fill one approval role of a decision (both compared case-insensitively).
package crossgate.gate.lib.approvals

import data.crossgate.gate.lib.context.after_horizon
import data.crossgate.gate.lib.context.approvals as input_approvals
import data.crossgate.gate.lib.context.deployer
import data.crossgate.gate.lib.context.gate
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.findings.context_requirements
import data.crossgate.gate.lib.lifecycle.change_approvals
import data.crossgate.gate.lib.lifecycle.change_type
import data.crossgate.gate.lib.tiers.applies

# METADATA
# title: Approval rules that apply to the system's tier
# description: >-
#   Or, when the release's change type names its own approval roles (a rollback: the ML
#   lead), those roles in place of the tier's rules.
required := [rule |
	some rule in object.get(profile, "approvals", [])
	applies(object.get(rule, "min_tier", null))
] if not change_approvals

required := [{"role": role, "scope": null, "min_tier": null, "change_type": change_type} |
	some role in change_approvals
] if change_approvals

# METADATA
# title: Roles that approved the release
given_roles := {lower(a.role) |
	some a in input_approvals
	is_string(a.role)
	not after_horizon(object.get(a, "approved_at_ns", null))
}

# METADATA
# title: A required approval nobody gave
# custom:
#   code: missing_approval
violations contains v if {
	some rule in required
	not lower(rule.role) in given_roles
	v := {
		"code": "missing_approval",
		"item": rule.role,
		"message": concat("", [
			"The ", gate, " gate needs an approval by role ", rule.role,
			scope_words(object.get(rule, "scope", null)), when_words(rule), "; none was given.",
		]),
		"remediation": object.get(rule, "remediation", concat("", ["Get an approval from someone in the ", rule.role, " role who does not deploy this release."])),
		"requirements": context_requirements,
	}
}

when_words(rule) := concat("", [" for a ", rule.change_type, " change"]) if {
	is_string(object.get(rule, "change_type", null))
} else := concat("", [" at tier ", object.get(rule, "min_tier", "?"), " and above"])

scope_words(s) := concat("", [" (", s, " sign-off)"]) if {
	is_string(s)
} else := ""

# METADATA
# title: An approval given by the release's deployer
# custom:
#   code: separation_of_duties
violations contains v if {
	some a in input_approvals
	is_string(a.approver)
	lower(a.approver) == deployer
	v := {
		"code": "separation_of_duties",
		"item": a.role,
		"message": concat("", ["The ", a.role, " approval was given by ", a.approver, ", who also deploys the release."]),
		"remediation": concat("", ["Have someone other than the deployer give the ", a.role, " approval."]),
		"requirements": context_requirements,
	}
}

# METADATA
# title: Every [approver, role] pair of the input, lower-cased
pairs := {[lower(a.approver), lower(a.role)] |
	some a in input_approvals
	is_string(a.approver)
	is_string(a.role)
}

# METADATA
# title: Someone fills more than one role
# description: >-
#   More distinct [approver, role] pairs than approvers: found by two counts, so the roles
#   of each approver are gathered only when someone does.
someone_in_two_roles if count(pairs) > count({pair[0] | some pair in pairs})

# METADATA
# title: The other roles an approver fills besides one role
other_roles(person, role) := {r | some [p, r] in pairs; p == person; r != role}

# METADATA
# title: One person filling two approval roles
# custom:
#   code: separation_of_duties
violations contains v if {
	someone_in_two_roles
	some a in input_approvals
	is_string(a.approver)
	is_string(a.role)
	others := other_roles(lower(a.approver), lower(a.role))
	count(others) > 0
	v := {
		"code": "separation_of_duties",
		"item": a.role,
		"message": concat("", [
			"The ", a.role, " approval was given by ", a.approver, ", who also gives the ",
			concat(", ", sort(others)), " approval; one person may fill one approval role.",
		]),
		"remediation": concat("", ["Have a different person give the ", a.role, " approval."]),
		"requirements": context_requirements,
	}
}
