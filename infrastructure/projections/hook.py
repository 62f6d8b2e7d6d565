"""The read models maintained inline: in the transaction that appends the events."""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.projections.decoding import EventDecoder, as_stored
from infrastructure.projections.read_models import ReadModelRun
from infrastructure.projections.tables import advance_tracking, create_tables
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx


class ProjectionHook:
    """Applies each append to the read models, exactly once, or fails the append."""

    def __init__(self) -> None:
        self.decoder = EventDecoder()

    def create_tables(self, tx: Tx) -> None:
        create_tables(tx)

    def on_append(self, tx: Tx, appended: Sequence[AppendedEvent]) -> None:
        if not appended:
            return
        advance_tracking(tx, appended[0].position - 1, appended[-1].position)
        run = ReadModelRun(tx, self.decoder)
        # The appended event is applied as is only where it equals its stored bytes
        # decoded, as a rebuild reads them (see decoding.as_stored); else it is decoded.
        run.apply(
            [
                (a.position, a.originator_id, a.topic, a.state, as_stored(a.event))
                for a in appended
            ]
        )
        run.flush()
