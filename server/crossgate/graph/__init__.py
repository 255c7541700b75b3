"""The crosswalk knowledge graph: vocabulary, identifiers, store, loading, queries, closure."""
