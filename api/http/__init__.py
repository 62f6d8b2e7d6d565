"""The HTTP API: a FastAPI service over one ledger (``label-ledger serve``)."""
