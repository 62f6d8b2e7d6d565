"""The library's PostgreSQL factory, with the session settings a ledger's connections need.

The library's ``POSTGRES_CONNECT_TIMEOUT`` bounds only the wait for a pooled connection;
libpq itself is given it here too, so that opening a connection to a server that does
not answer gives up instead of hanging a pool worker. ``POSTGRES_STATEMENT_TIMEOUT``
(seconds; 0 or unset: none) makes the server cancel any statement running longer, so a
stuck query fails instead of holding a connection: ``serve`` sets it (see
``settings.STATEMENT_TIMEOUT_VARIABLE``); command-line tools leave it unset.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

STATEMENT_TIMEOUT = "POSTGRES_STATEMENT_TIMEOUT"


class LedgerPostgresFactory(PostgresFactory):
    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        kwargs["connect_timeout"] = int(self.env.get("POSTGRES_CONNECT_TIMEOUT") or 5)
        seconds = float(self.env.get(STATEMENT_TIMEOUT) or 0)
        if seconds > 0:
            option = f"-c statement_timeout={seconds * 1000:.0f}"
            kwargs["options"] = session_options(kwargs, option)


def session_options(kwargs: dict[str, object], option: str) -> str:
    """The pool's session options with ``option`` added."""
    existing = str(kwargs.get("options") or "")
    return f"{existing} {option}".strip()
