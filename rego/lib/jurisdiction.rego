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

import data.crossgate.gate.lib.applicability.classes
import data.crossgate.gate.lib.applicability.inoperative
import data.crossgate.gate.lib.applicability.jurisdictions
import data.crossgate.gate.lib.applicability.roles
import data.crossgate.gate.lib.applicability.use_cases
import data.crossgate.gate.lib.context.as_of
import data.crossgate.gate.lib.context.profile

# METADATA
# title: Jurisdiction rules of the profile
rules := object.get(profile, "jurisdiction_rules", [])

# METADATA
# title: Rules of the system's jurisdictions
in_jurisdiction := {rule |
	some rule in rules
	rule.jurisdiction in js
} if js := jurisdictions

# METADATA
# title: Rules of the system's jurisdictions that a restriction list rules out
# description: >-
#   A restriction that is a non-empty list must share a value with the system (roles with
#   their aliases); risk_classes only when the system's EU AI Act class is known.
ruled_out contains rule if {
	values := use_cases
	some rule in in_jurisdiction
	restriction := object.get(rule, "use_cases", null)
	is_array(restriction)
	count(restriction) > 0
	count({x | some x in values; x in restriction}) == 0
}

ruled_out contains rule if {
	values := roles
	some rule in in_jurisdiction
	restriction := object.get(rule, "roles", null)
	is_array(restriction)
	count(restriction) > 0
	count({x | some x in values; x in restriction}) == 0
}

ruled_out contains rule if {
	count(classes) > 0
	values := classes
	some rule in in_jurisdiction
	restriction := object.get(rule, "risk_classes", null)
	is_array(restriction)
	count(restriction) > 0
	count({x | some x in values; x in restriction}) == 0
}

# METADATA
# title: Rules whose trigger holds, whatever their state
triggered := in_jurisdiction - ruled_out

# METADATA
# title: First day a rule applies
# description: The later of the rule's own applies_from and its requirement's; null when neither has one.
start(rule) := first_day(rule, data.crossgate.requirements)

first_day(rule, records) := d if {
	requirement := object.get(records, object.get(rule, "requirement", ""), {})
	dates := {x |
		some x in [object.get(rule, "applies_from", null), object.get(requirement, "applies_from", null)]
		is_string(x)
	}
	count(dates) > 0
	d := max(dates)
} else := null

# METADATA
# title: Triggered rules that do something on the evaluation date
# description: >-
#   Not past the rule's own last day (applies_to; one body for a rule without one, one for
#   a rule whose last day is not past), and its requirement applies on the date (not
#   inoperative: proposed, repealed, superseded, past its applies_to).
live contains rule if {
	off := inoperative
	some rule in triggered
	not is_string(rule.applies_to)
	not rule.requirement in off
}

live contains rule if {
	off := inoperative
	some rule in triggered
	is_string(rule.applies_to)
	as_of <= rule.applies_to
	not rule.requirement in off
}

# METADATA
# title: State of a rule on the evaluation date, from its first day
state_from(first) := "upcoming" if {
	is_string(first)
	first > as_of
} else := "active"

# METADATA
# title: Live rules as [rule, state, first day]
# description: >-
#   State "active" (enforced by the gate) or "upcoming" (not in force yet: warnings, never
#   violations); the first day is start(rule).
states contains [rule, state_from(first), first] if {
	records := data.crossgate.requirements
	some rule in live
	first := first_day(rule, records)
}

# METADATA
# title: Triggered rules the gate enforces on the evaluation date
active contains rule if {
	some [rule, state, _] in states
	state == "active"
}

# METADATA
# title: Triggered rules that will apply later (warnings, never violations)
upcoming contains rule if {
	some [rule, state, _] in states
	state == "upcoming"
}

# METADATA
# title: Requirements the gate already reports through a triggered rule
named_requirements := {rule.requirement | some rule in triggered}
