# METADATA
# title: Blocking findings
# description: >-
#   A finding blocks the release when it matches one of the profile's blocking_findings
#   patterns: every key of the pattern must equal the finding's field (strings compared
#   case-insensitively; a list in the pattern means "any of these").
package crossgate.gate.lib.findings

import data.crossgate.gate.lib.context.findings as input_findings
import data.crossgate.gate.lib.context.profile

# METADATA
# title: Blocking patterns of the profile
patterns := object.get(profile, "blocking_findings", [])

# METADATA
# title: One pattern value accepts a finding's value
accepts(expected, actual) if expected == actual

accepts(expected, actual) if {
	is_string(expected)
	is_string(actual)
	lower(expected) == lower(actual)
}

accepts(expected, actual) if {
	is_array(expected)
	some x in expected
	accepts(x, actual)
}

# METADATA
# title: A finding matches a pattern
matches(finding, pattern) if {
	every key, expected in pattern {
		accepts(expected, object.get(finding, key, null))
	}
}

# METADATA
# title: Findings that block the release
# custom:
#   code: open_finding
violations contains v if {
	some f in input_findings
	some pattern in patterns
	matches(f, pattern)
	v := {
		"code": "open_finding",
		"item": f.id,
		"message": concat("", [
			"Finding ", f.id, " (severity ", object.get(f, "severity", "unknown"),
			", status ", object.get(f, "status", "unknown"), ") blocks the release.",
		]),
		"remediation": concat("", ["Resolve finding ", f.id, ", or record an exception naming it with a risk acceptance."]),
		"requirements": context_requirements,
	}
}

# METADATA
# title: Requirement ids reported with gate-level problems (the profile's control, if any)
context_requirements := [c |
	c := profile.control
	is_string(c)
]
