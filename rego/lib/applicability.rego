# METADATA
# title: Requirement applicability as of a date
# description: >-
#   Which requirements of data.crossgate.requirements apply to the system on the evaluation
#   date, following docs/policy-data.md: the as-of legal status (proposed never applies,
#   repealed and superseded apply only up to a known applies_to, anything past its applies_to
#   no longer applies, otherwise upcoming before applies_from and in force from it) and the
#   applicability restrictions (every non-empty list must share a value with the system's
#   attribute, a true flag needs the system's flag). The per-requirement tests are made once
#   per graph revision by the compile step (data.crossgate.index); a decision only looks up
#   the system's values and combines the resulting sets, because this is the part of a
#   decision that grows with the size of the graph.
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
all_ids := object.keys(reqs)

# METADATA
# title: Role aliases
# description: EU wording says provider, US state laws say developer; they count as one another.
role_aliases := {"provider": ["developer"], "developer": ["provider"]}

# METADATA
# title: The system's roles, aliases included
roles := given | {alias |
	some role in given
	some alias in object.get(role_aliases, role, [])
} if given := system_set("roles")

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
# title: Precomputed lookups over the requirements
# description: >-
#   data.crossgate.index (docs/policy-data.md), computed once per graph revision. Its sets of
#   requirement ids are objects {id: true}; object.keys turns one into a set natively, so a
#   decision combines a few sets instead of testing every requirement.
index := data.crossgate.index

# METADATA
# title: Requirements a list restriction excludes
# description: >-
#   Those restricted on the dimension (a non-empty list) minus those whose list holds one of
#   the system's values.
shut_out(dimension, values) := object.keys(restricted) - union({object.keys(ids) |
	some value in values
	ids := by_value[value]
}) if {
	restricted := object.get(index.restricted, dimension, {})
	by_value := object.get(index.admits, dimension, {})
}

# METADATA
# title: Requirements a true flag excludes (the system's flag is not true)
flag_shut_out(flag) := set() if system[flag] == true

flag_shut_out(flag) := object.keys(object.get(index.requires, flag, {})) if not system[flag] == true

# METADATA
# title: Requirements excluded by their risk_classes (none when the system's class is unknown)
class_shut_out := shut_out("risk_classes", classes) if count(classes) > 0

class_shut_out := set() if count(classes) == 0

# METADATA
# title: Requirements whose restrictions exclude the system
excluded := (((((shut_out("jurisdictions", jurisdictions) | shut_out("roles", roles)) | shut_out("use_cases", use_cases)) | shut_out("tiers", tiers)) | class_shut_out) | flag_shut_out("personal_data")) | flag_shut_out("user_facing")

# METADATA
# title: Requirements that do not apply on the evaluation date, whoever the system is
# description: >-
#   Those whose status never applies (proposed; repealed or superseded with no applies_to)
#   and those past their applies_to.
inoperative := object.keys(index.never) | union({object.keys(group.ids) |
	some group in ends
	day > group.date
}) if {
	ends := index.ends
	day := as_of
}

# METADATA
# title: Requirements whose first day is after the evaluation date
not_started := union({object.keys(group.ids) |
	some group in starts
	group.date > day
}) if {
	starts := index.starts
	day := as_of
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
