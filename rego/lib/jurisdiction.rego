# METADATA
# title: Jurisdiction rules of a gate profile
# description: >-
#   A jurisdiction rule adds a required item when its trigger holds: its jurisdiction is one
#   of the system's, and each of its use_cases, roles and risk_classes lists is empty or
#   shares a value with the system. Its state on the evaluation date comes from its own
#   dates and from the as-of status of the requirement it implements: inactive (repealed,
#   superseded, proposed or past its last day), upcoming (not in force yet: reported as a
#   warning with the date) or active (enforced by the gate).
package crossgate.gate.lib.jurisdiction

import data.crossgate.gate.lib.applicability.admits
import data.crossgate.gate.lib.applicability.admits_class
import data.crossgate.gate.lib.applicability.jurisdictions
import data.crossgate.gate.lib.applicability.roles
import data.crossgate.gate.lib.applicability.status
import data.crossgate.gate.lib.applicability.use_cases
import data.crossgate.gate.lib.context.as_of
import data.crossgate.gate.lib.context.profile

# METADATA
# title: Jurisdiction rules of the profile
rules := object.get(profile, "jurisdiction_rules", [])

# METADATA
# title: The rule's trigger holds for this system
triggers(rule) if {
	rule.jurisdiction in jurisdictions
	admits(object.get(rule, "use_cases", null), use_cases)
	admits(object.get(rule, "roles", null), roles)
	admits_class(object.get(rule, "risk_classes", null))
}

# METADATA
# title: Rules whose trigger holds, whatever their state
triggered contains rule if {
	some rule in rules
	triggers(rule)
}

# METADATA
# title: The requirement record a rule implements ({} when the data has none)
requirement_of(rule) := object.get(data.crossgate.requirements, object.get(rule, "requirement", ""), {})

# METADATA
# title: A rule does nothing on the evaluation date
inactive(rule) if {
	is_string(rule.applies_to)
	as_of > rule.applies_to
}

inactive(rule) if status(rule.requirement) == "not_applicable"

# METADATA
# title: First day a rule applies
# description: The later of the rule's own applies_from and its requirement's; null when neither has one.
start(rule) := d if {
	dates := {x |
		some x in [object.get(rule, "applies_from", null), object.get(requirement_of(rule), "applies_from", null)]
		is_string(x)
	}
	count(dates) > 0
	d := max(dates)
} else := null

# METADATA
# title: A rule that is not in force yet on the evaluation date
pending(rule) if {
	not inactive(rule)
	is_string(start(rule))
	start(rule) > as_of
}

# METADATA
# title: Triggered rules the gate enforces on the evaluation date
active contains rule if {
	some rule in triggered
	not inactive(rule)
	not pending(rule)
}

# METADATA
# title: Triggered rules that will apply later (warnings, never violations)
upcoming contains rule if {
	some rule in triggered
	pending(rule)
}

# METADATA
# title: Requirements the gate already reports through a triggered rule
named_requirements := {rule.requirement | some rule in triggered}
