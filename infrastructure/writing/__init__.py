"""The ledger's one write path: commands decided and appended in one transaction."""
