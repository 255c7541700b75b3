"""Graph revision -> policy data, Rego engines, OPA bundles."""
