"""The append hook of the access feature (one entry of the composition root)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infrastructure.access.idempotency import create_idempotency_table, record_response
from infrastructure.access.token_table import create_token_table, record_token_events
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx


class AccessHook:
    """Maintains ``api_tokens`` and ``idempotency_keys`` in the append transaction."""

    def create_tables(self, tx: Tx) -> None:
        create_token_table(tx)
        create_idempotency_table(tx)

    def on_append(
        self, tx: Tx, appended: Sequence[AppendedEvent], options: Mapping[str, Any]
    ) -> None:
        record_token_events(tx, appended)
        record_response(tx, appended, options)
