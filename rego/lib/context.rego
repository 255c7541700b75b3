# METADATA
# title: Gate evaluation context
# description: >-
#   What every gate check reads: the gate profile named by the input, the system, the
#   release's deployer and the evaluation date. The input is the normalised gate input
#   (crossgate.gate.input.normalise); dates are compared as YYYY-MM-DD strings and times
#   as integer nanoseconds, so no time builtin is needed.
package crossgate.gate.lib.context

# METADATA
# title: Gate name
# description: The profile to evaluate; the contract's "gate" field.
gate := object.get(input, "gate", "deployment")

# METADATA
# title: Gate profile
# description: The profile of data.crossgate.profiles named by the gate; undefined when absent.
profile := data.crossgate.profiles[gate]

# METADATA
# title: System under evaluation
system := object.get(input, "system", {})

# METADATA
# title: Release under evaluation
release := object.get(input, "release", {})

# METADATA
# title: System tier as given in the input
tier := object.get(system, "risk_tier", null)

# METADATA
# title: Evaluation date (YYYY-MM-DD)
as_of := input.as_of

# METADATA
# title: Decision instant in nanoseconds since the epoch
# description: >-
#   The server's clock when the decision was asked for, or 00:00 UTC of a what-if as_of
#   (crossgate.gate.input.decision_time).
as_of_ns := input.as_of_ns

# METADATA
# title: Allowed clock skew, in nanoseconds
# description: >-
#   The profile's clock_skew_s (graph: cg:clockSkewSeconds). 300 s is a documented fallback
#   for a profile that does not say.
skew_ns := object.get(profile, "clock_skew_s", 300) * 1000000000

# METADATA
# title: The latest instant a timestamp of the input may name
horizon_ns := as_of_ns + skew_ns

# METADATA
# title: An instant later than the decision time plus the clock skew
after_horizon(ns) if {
	is_number(ns)
	ns > horizon_ns
}

# METADATA
# title: The release's deployer, lower-cased for comparisons
deployer := lower(release.deployer) if is_string(release.deployer)

# METADATA
# title: Every piece of evidence of the input
all_evidence := object.get(input, "evidence", [])

# METADATA
# title: Pieces of evidence, findings, approvals and exceptions of the input
# description: >-
#   Evidence collected after the horizon is left out of every check (it can be neither fresh
#   nor satisfying); lib.dates reports it as future_dated.
evidence := [e |
	some e in all_evidence
	not after_horizon(object.get(e, "collected_at_ns", null))
]

findings := object.get(input, "findings", [])

approvals := object.get(input, "approvals", [])

exceptions := object.get(input, "exceptions", [])

# METADATA
# title: Input is ready for evaluation
# description: >-
#   True when the profile exists and the input carries what the checks need (an as-of date
#   and instant, a system, a deployer). When false, decisions are undefined, which every
#   client must treat as a deny.
ready if {
	is_object(profile)
	is_string(as_of)
	is_number(as_of_ns)
	is_object(input.system)
	is_string(deployer)
}

# METADATA
# title: Nanoseconds in a day
day_ns := ((24 * 60) * 60) * 1000000000

# METADATA
# title: Non-blank string
has_text(s) if {
	is_string(s)
	trim_space(s) != ""
}

# METADATA
# title: Values of a list-valued system attribute, as a set
system_set(name) := {x | some x in object.get(system, name, [])}
