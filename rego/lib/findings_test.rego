package crossgate.gate.lib.findings_test

import data.crossgate.gate.lib.findings
import data.crossgate.gate.testing

test_patterns_match_case_insensitively if {
	findings.matches({"id": "A", "severity": "Critical", "status": "OPEN"}, {"severity": "critical", "status": "open"})
	not findings.matches({"id": "A", "severity": "critical", "status": "closed"}, {"severity": "critical", "status": "open"})
	not findings.matches({"id": "A", "status": "open"}, {"severity": "critical", "status": "open"})
}

test_a_list_in_a_pattern_means_any_of if {
	findings.matches({"severity": "high", "status": "open"}, {"severity": ["critical", "high"], "status": "open"})
}

test_blocking_patterns_are_data if {
	inp := testing.with_findings(testing.candidate("LOW"), [{"id": "P-1", "severity": "high", "status": "open"}])
	count(findings.violations) == 0 with input as inp
	count(findings.violations) == 1 with input as inp
		with data.crossgate.profiles.deployment.blocking_findings as [{"severity": "high", "status": "open"}]
}

test_a_blocking_finding_names_the_gate_control if {
	inp := testing.with_findings(testing.candidate("LOW"), [{"id": "SEC-12", "severity": "critical", "status": "open"}])
	some v in findings.violations with input as inp
	v.requirements == ["ctrl:CHM-002"]
	contains(v.message, "SEC-12")
}
