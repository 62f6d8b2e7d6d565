"""What an operator watches of a ledger, read in one short transaction: its position, how far
behind the read models are, and when the latest checkpoint was signed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from infrastructure.projections.tables import PROJECTION, positions_columns
from infrastructure.tamper.checkpoints import CHECKPOINTS_TABLE

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger


class Vitals(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    """The ledger's last position (0 when empty)."""
    applied: int
    """The last position the read models applied (0 when they never ran)."""
    checkpoint_signed_at: datetime | None
    """When the latest checkpoint was signed, or None if none was."""

    @property
    def read_model_lag(self) -> int:
        return self.position - self.applied


def read_vitals(ledger: Ledger) -> Vitals:
    with ledger.read() as tx:
        tx.execute(f"SELECT {positions_columns(tx)}", (PROJECTION,))
        row = tx.fetchone()
        signed_at = tx.scalar(
            f"SELECT signed_at FROM {tx.table(CHECKPOINTS_TABLE)} ORDER BY seq DESC LIMIT 1"
        )
    applied, position = row if row is not None else (None, 0)
    return Vitals(
        position=int(position),
        applied=0 if applied is None else int(applied),
        checkpoint_signed_at=datetime.fromisoformat(signed_at) if signed_at else None,
    )
