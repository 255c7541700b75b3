"""What auditors take away: evidence packs built from the ledger and the kept bundles."""
