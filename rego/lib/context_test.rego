package crossgate.gate.lib.context_test

import data.crossgate.gate.lib.context
import data.crossgate.gate.testing

test_ready_for_a_normalised_candidate if {
	context.ready with input as testing.candidate("LOW")
}

test_not_ready_without_the_evaluation_instant if {
	inp := {k: v | some k, v in testing.candidate("LOW"); k != "as_of_ns"}
	not context.ready with input as inp
}

test_not_ready_without_a_deployer if {
	inp := object.union(testing.candidate("LOW"), {"release": {"deployer": null}})
	not context.ready with input as inp
}

test_not_ready_without_the_profile if {
	not context.ready with input as testing.candidate("LOW") with data.crossgate.profiles as {}
}

test_deployer_is_compared_in_lower_case if {
	context.deployer == "ci@example.com" with input as object.union(testing.candidate("LOW"), {"release": {"deployer": "CI@Example.COM"}})
}

test_gate_defaults_to_deployment if {
	context.gate == "deployment" with input as {}
}

test_has_text if {
	context.has_text("x")
	not context.has_text("  ")
	not context.has_text(null)
}
