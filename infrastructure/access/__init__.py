"""Access to the ledger: API tokens (derived from the token events) and idempotency records."""
