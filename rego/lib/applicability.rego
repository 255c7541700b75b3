# METADATA
# title: Requirement applicability as of a date
# description: >-
#   Which requirements of data.crossgate.requirements apply to the system on the evaluation
#   date, following docs/policy-data.md: the as-of legal status (proposed never applies,
#   repealed and superseded apply only up to a known applies_to, anything past its applies_to
#   no longer applies, otherwise upcoming before applies_from and in force from it) and the
#   applicability restrictions (every non-empty list must share a value with the system's
#   attribute, a true flag needs the system's flag). Written as set rules over the
#   requirements, one pass each, because this is the one part of a decision that grows with
#   the size of the graph.
package crossgate.gate.lib.applicability

import data.crossgate.gate.lib.context.as_of
import data.crossgate.gate.lib.context.system
import data.crossgate.gate.lib.context.system_set
import data.crossgate.gate.lib.context.tier

# METADATA
# title: Requirements of the policy data
reqs := data.crossgate.requirements

# METADATA
# title: Every requirement id
all_ids := {id | some id; reqs[id]}

# METADATA
# title: Role aliases
# description: EU wording says provider, US state laws say developer; they count as one another.
role_aliases := {"provider": ["developer"], "developer": ["provider"]}

# METADATA
# title: The system's roles, aliases included
roles := system_set("roles") | {alias |
	some role in system_set("roles")
	some alias in object.get(role_aliases, role, [])
}

# METADATA
# title: The system's jurisdictions, use cases and tier as sets
jurisdictions := system_set("jurisdictions")

use_cases := system_set("use_cases")

tiers := {tier}

# METADATA
# title: The system's EU AI Act class as a set (empty when unknown)
classes := {c |
	c := system.eu_ai_act_class
	is_string(c)
}

# METADATA
# title: Some value of a list is in a set
any_in(list, values) if {
	some x in list
	x in values
}

# METADATA
# title: A restriction list admits a set of values
# description: Null, missing or empty means no restriction; otherwise they must share a value.
admits(restriction, _) if not is_array(restriction)

admits(restriction, _) if {
	is_array(restriction)
	count(restriction) == 0
}

admits(restriction, values) if any_in(restriction, values)

# METADATA
# title: A risk_classes restriction admits the system
# description: An unknown EU AI Act class excludes nothing (the attribute was not given), as in the graph's coverage.
admits_class(_) if count(classes) == 0

admits_class(restriction) if admits(restriction, classes)

# METADATA
# title: Requirements whose restrictions exclude the system
# description: >-
#   One rule per restriction. The loops run over every requirement on every decision, so
#   they use comparisons rather than builtins, which cost far more per call in regorus.
excluded contains id if {
	some id, req in reqs
	r := req.applicability.jurisdictions
	r != null
	r != []
	not any_in(r, jurisdictions)
}

excluded contains id if {
	some id, req in reqs
	r := req.applicability.roles
	r != null
	r != []
	not any_in(r, roles)
}

excluded contains id if {
	some id, req in reqs
	r := req.applicability.use_cases
	r != null
	r != []
	not any_in(r, use_cases)
}

excluded contains id if {
	some id, req in reqs
	r := req.applicability.tiers
	r != null
	r != []
	not any_in(r, tiers)
}

excluded contains id if {
	classes != set()
	some id, req in reqs
	r := req.applicability.risk_classes
	r != null
	r != []
	not any_in(r, classes)
}

excluded contains id if {
	some id, req in reqs
	req.applicability.personal_data == true
	not system.personal_data == true
}

excluded contains id if {
	some id, req in reqs
	req.applicability.user_facing == true
	not system.user_facing == true
}

# METADATA
# title: Requirements that do not apply on the evaluation date, whoever the system is
inoperative contains id if {
	some id, req in reqs
	req.status == "proposed"
}

inoperative contains id if {
	some id, req in reqs
	req.status == "repealed"
	object.get(req, "applies_to", null) == null
}

inoperative contains id if {
	some id, req in reqs
	req.status == "superseded"
	object.get(req, "applies_to", null) == null
}

inoperative contains id if {
	some id, req in reqs
	req.applies_to != null
	as_of > req.applies_to
}

# METADATA
# title: Requirements whose first day is after the evaluation date
not_started contains id if {
	some id, req in reqs
	req.applies_from != null
	req.applies_from > as_of
}

# METADATA
# title: As-of status of a requirement id
# description: One of in_force, upcoming, not_applicable (unknown ids are undefined).
status(id) := "not_applicable" if {
	reqs[id]
	id in inoperative
}

status(id) := "upcoming" if {
	reqs[id]
	not id in inoperative
	id in not_started
}

status(id) := "in_force" if {
	reqs[id]
	not id in inoperative
	not id in not_started
}

# METADATA
# title: Requirements that apply to this system, upcoming ones included
applicable := (all_ids - excluded) - inoperative

# METADATA
# title: Requirements in force for this system on the evaluation date
in_force := applicable - not_started

# METADATA
# title: Requirements that will apply to this system but are not in force yet
upcoming := applicable & not_started
