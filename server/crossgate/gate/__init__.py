"""Gate decisions: the input contract, the decide and replay use case, the verdict report."""
