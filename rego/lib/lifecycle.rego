# METADATA
# title: Release lifecycle
# description: >-
#   Stages, change types, rollbacks and tier history (DESIGN.md, "Release lifecycle"). The
#   profile's stages are ordered; at its stage_order_min_tier and above, a stage needs an
#   allowed recorded decision for the same system and version at the previous stage. A stage
#   or change type that lists items narrows the tier's items to them (null: every item). A
#   rollback restores a version production allowed, needs only the rollback change type's
#   items and approvals, no earlier stage and no jurisdiction items. Lowering a system's tier
#   within tier_change_window_days of its latest allowed decision is a tier_change. History
#   comes from data.crossgate.history (crossgate.gate.history): per system, the latest allowed
#   decision per version and stage, and the latest allowed decision at all.
package crossgate.gate.lib.lifecycle

import data.crossgate.gate.lib.context.as_of_ns
import data.crossgate.gate.lib.context.day_ns
import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.context.release
import data.crossgate.gate.lib.context.system
import data.crossgate.gate.lib.findings.context_requirements
import data.crossgate.gate.lib.tiers.applies
import data.crossgate.gate.lib.tiers.rank
import data.crossgate.gate.lib.tiers.system_rank

# METADATA
# title: The release's change type and stage
change_type := object.get(release, "change_type", null)

stage := object.get(release, "stage", null)

# METADATA
# title: The release restores an earlier version
rollback if change_type == "rollback"

# METADATA
# title: The profile's stages, in order
stages := object.get(profile, "stages", [])

stage_names := [s.name | some s in stages]

# METADATA
# title: Position of the release's stage (undefined when the profile has no such stage)
stage_index := i if {
	some i, s in stages
	s.name == stage
}

# METADATA
# title: The stage before the release's (undefined for the first stage or an unknown one)
previous_stage := stages[stage_index - 1].name if stage_index > 0

# METADATA
# title: The last stage (the one rollbacks restore from)
last_stage := stages[count(stages) - 1].name if count(stages) > 0

default last_stage := "production"

# METADATA
# title: The profile's rule for the release's change type ({}: every item, the tier's approvals)
change_rule := object.get(object.get(profile, "change_types", {}), change_type, {})

# METADATA
# title: Items the release's stage narrows the tier's items to (null: every item)
default stage_items := null

stage_items := object.get(stages[stage_index], "items", null)

# METADATA
# title: Items the change type narrows the tier's items to (null: every item)
change_items := object.get(change_rule, "items", null)

narrowed_to(items, _) if not is_array(items)

narrowed_to(items, item) if {
	is_array(items)
	item in items
}

# METADATA
# title: A profile item applies to this stage and change type
profile_item_applies(item) if {
	narrowed_to(change_items, item)
	narrowed_to(stage_items, item)
}

# METADATA
# title: A jurisdiction rule's item applies to this stage and change type
# description: At every change type but a rollback, as far as the stage allows it.
rule_item_applies(item) if {
	not rollback
	narrowed_to(stage_items, item)
}

# METADATA
# title: Approval roles the change type needs instead of the tier's rules (undefined: the tier's)
change_approvals := change_rule.approvals if is_array(change_rule.approvals)

# METADATA
# title: The history document (empty when the data has none)
# description: Read by its own path: data.crossgate as a whole would include the policies.
default history := {}

history := data.crossgate.history

# METADATA
# title: The system's history
mine := object.get(object.get(history, "systems", {}), object.get(system, "id", ""), {})

# METADATA
# title: The latest allowed decision for a version at a stage (null when there is none)
released(version, at_stage) := object.get(object.get(object.get(mine, "releases", {}), version, {}), at_stage, null)

# METADATA
# title: A reference to a history entry, as the decision reports it
ref(entry, version) := {"decision_id": entry.decision_id, "seq": entry.seq, "version": version, "at": entry.at}

# METADATA
# title: Stage order is enforced for this release
stage_order_enforced if {
	not rollback
	applies(object.get(profile, "stage_order_min_tier", "MEDIUM"))
}

# METADATA
# title: The earlier decision that satisfies the stage order (null when none is needed or found)
default stage_order_by := null

stage_order_by := ref(entry, release.version) if {
	stage_order_enforced
	entry := released(release.version, previous_stage)
	is_object(entry)
}

# METADATA
# title: The allowed production decision a rollback restores (null when none)
default restores := null

restores := ref(entry, release.rollback_to) if {
	rollback
	is_string(release.rollback_to)
	entry := released(release.rollback_to, last_stage)
	is_object(entry)
}

# METADATA
# title: A stage the profile does not know
# custom:
#   code: stage_order
violations contains v if {
	count(stages) > 0
	not stage_index
	v := {
		"code": "stage_order",
		"item": stage,
		"message": concat("", ["Stage ", stage, " is not one of the stages of the gate's profile (", concat(", ", stage_names), ")."]),
		"remediation": concat("", ["Send release.stage as one of: ", concat(", ", stage_names), "."]),
		"requirements": context_requirements,
	}
}

# METADATA
# title: No allowed decision at the previous stage
# custom:
#   code: stage_order
violations contains v if {
	stage_order_enforced
	previous_stage
	stage_order_by == null
	v := {
		"code": "stage_order",
		"item": stage,
		"message": concat("", [
			"Version ", release.version, " of ", system.id, " has no allowed, recorded decision at stage ",
			previous_stage, ", which must come before ", stage, " at tier ", system.risk_tier, ".",
		]),
		"remediation": concat("", ["Promote version ", release.version, " through ", previous_stage, " first (a recorded decision, not a dry run)."]),
		"requirements": context_requirements,
	}
}

# METADATA
# title: A rollback to a version production never allowed
# custom:
#   code: rollback_target
violations contains v if {
	rollback
	restores == null
	target := object.get(release, "rollback_to", null)
	v := {
		"code": "rollback_target",
		"item": target_words(target),
		"message": concat("", [
			"A rollback must restore a version that was allowed at ", last_stage, "; ", system.id,
			" has no allowed ", last_stage, " decision for version ", target_words(target), ".",
		]),
		"remediation": concat("", ["Roll back to a version that passed the ", last_stage, " gate (GET /v1/releases?system=", system.id, " lists them)."]),
		"requirements": context_requirements,
	}
}

target_words(t) := t if {
	is_string(t)
} else := "(none given)"

# METADATA
# title: The system's latest allowed decision
latest := object.get(mine, "latest", null)

# METADATA
# title: The tier is lower than at the latest allowed decision, within the window
tier_lowered if {
	is_object(latest)
	rank[latest.tier] > system_rank
	as_of_ns - latest.at_ns <= object.get(profile, "tier_change_window_days", 183) * day_ns
}

# METADATA
# title: A tier lowered too soon
# custom:
#   code: tier_change
violations contains v if {
	tier_lowered
	v := {
		"code": "tier_change",
		"item": "tier_change",
		"message": concat("", [
			system.id, " is sent as tier ", system.risk_tier, " but decision ", latest.decision_id, " allowed it at tier ",
			latest.tier, " on ", latest.at, "; a tier may be lowered only ", format_int(object.get(profile, "tier_change_window_days", 183), 10),
			" days after the latest allowed decision.",
		]),
		"remediation": "Keep the earlier tier, or attach an exception naming tier_change with the risk acceptance of the reclassification.",
		"requirements": context_requirements,
	}
}

# METADATA
# title: What the decision says about the release's place in the lifecycle
summary := {
	"stage": stage,
	"change_type": change_type,
	"previous_stage": object.get({"p": p | p := previous_stage}, "p", null),
	"stage_order": stage_order_by,
	"restores": restores,
}
