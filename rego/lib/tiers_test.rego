package crossgate.gate.lib.tiers_test

import data.crossgate.gate.lib.tiers
import data.crossgate.gate.testing

test_tier_order_comes_from_the_profile if {
	tiers.rank == {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3} with input as testing.candidate("LOW")
}

test_a_min_tier_applies_at_and_above_it if {
	tiers.applies("MEDIUM") with input as testing.candidate("MEDIUM")
	tiers.applies("MEDIUM") with input as testing.candidate("CRITICAL")
	not tiers.applies("MEDIUM") with input as testing.candidate("LOW")
}

test_an_unknown_system_tier_is_treated_as_the_highest if {
	inp := testing.with_system(testing.candidate("LOW"), {"risk_tier": "EXTREME"})
	tiers.system_rank == 3 with input as inp
	tiers.applies("CRITICAL") with input as inp
}

test_an_unknown_min_tier_applies_everywhere if {
	tiers.applies("SEVERE") with input as testing.candidate("LOW")
	tiers.applies(null) with input as testing.candidate("LOW")
}

test_tiers_are_data if {
	tiers.applies("GOLD") with input as testing.with_system(testing.candidate("LOW"), {"risk_tier": "PLATINUM"})
		with data.crossgate.profiles.deployment.tiers as ["BRONZE", "GOLD", "PLATINUM"]
	not tiers.applies("PLATINUM") with input as testing.with_system(testing.candidate("LOW"), {"risk_tier": "GOLD"})
		with data.crossgate.profiles.deployment.tiers as ["BRONZE", "GOLD", "PLATINUM"]
}
