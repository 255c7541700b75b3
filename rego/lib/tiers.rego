# METADATA
# title: Risk tiers
# description: >-
#   Tier order comes from the profile's "tiers" list (lowest first). Nothing here names a
#   tier: an unknown system tier is treated as the highest one and an unknown min_tier as
#   the lowest one, so a typo can only make the gate stricter.
package crossgate.gate.lib.tiers

import data.crossgate.gate.lib.context.profile
import data.crossgate.gate.lib.context.tier

# METADATA
# title: Tier order of the profile
order := profile.tiers

# METADATA
# title: Position of each tier in the profile's order
rank := {t: i |
	some i
	t := order[i]
}

# METADATA
# title: Rank of the system's tier
# description: The highest rank when the tier is not one of the profile's tiers.
system_rank := rank[tier]

system_rank := count(order) - 1 if not rank[tier]

# METADATA
# title: Tiers at or below the system's tier
covered := {t | some t in order; rank[t] <= system_rank}

# METADATA
# title: Tiers above the system's tier
above := {t | some t in order; rank[t] > system_rank}

# METADATA
# title: Something with this min_tier applies to the system's tier
# description: >-
#   Unless it is one of the tiers above the system's: a min_tier that is not one of the
#   profile's tiers applies to every tier.
applies(min_tier) if not min_tier in above
