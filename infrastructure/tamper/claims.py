"""Signed statements a verification checks the log against, and what makes one invalid.

A claim is a stored checkpoint or an auditor's saved one. Its signature and form are
judged up front; its root is compared when the verification reaches its tree size.
"""

from __future__ import annotations

import msgspec

from infrastructure.store.sql import Tx
from infrastructure.tamper.checkpoints import StoredCheckpoint, signed_view, stored_checkpoints
from infrastructure.tamper.diagnosis import CHECKPOINT_FORGED, Problem
from infrastructure.tamper.errors import InvalidCheckpoint
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.notes import SignedCheckpoint, parse_checkpoint

SAVED = "your saved checkpoint"


class Claim(msgspec.Struct, kw_only=True):
    """A signed statement about the log: a stored checkpoint or an auditor's saved one."""

    label: str
    size: int
    root: bytes
    signed_at: str
    frontier: bytes
    invalid: str | None
    heads_root: bytes | None = None
    views_digest: bytes | None = None


def forged(claim: Claim) -> Problem:
    return Problem(
        position=claim.size,
        kind=CHECKPOINT_FORGED,
        detail=f"{claim.label} (tree size {claim.size}): {claim.invalid}",
    )


def claims_of(tx: Tx, key: VerifierKey | None, since: SignedCheckpoint | None) -> list[Claim]:
    claims = [_stored_claim(row, key) for row in stored_checkpoints(tx)]
    if since is not None:
        c = since.checkpoint
        claims.append(
            Claim(
                label=SAVED,
                size=c.tree_size,
                root=c.root_hash,
                signed_at=c.timestamp or "",
                frontier=b"",
                invalid=_signature_problem(since, key),
                heads_root=c.heads_root,
                views_digest=c.views_digest,
            )
        )
    return claims


def _stored_claim(row: StoredCheckpoint, key: VerifierKey | None) -> Claim:
    label = f"checkpoint #{row.seq}"
    try:
        signed = parse_checkpoint(row.note)
    except InvalidCheckpoint as error:
        return Claim(
            label=label,
            size=row.tree_size,
            root=row.root_hash,
            signed_at=row.signed_at,
            frontier=b"",
            invalid=str(error),
        )
    invalid = _signature_problem(signed, key)
    if invalid is None and not signed_view(row, signed):
        invalid = "its stored fields differ from its signed note"
    c = signed.checkpoint
    return Claim(
        label=label,
        size=c.tree_size,
        root=c.root_hash,
        signed_at=c.timestamp or "",
        frontier=row.frontier,
        invalid=invalid,
        heads_root=c.heads_root,
        views_digest=c.views_digest,
    )


def _signature_problem(signed: SignedCheckpoint, key: VerifierKey | None) -> str | None:
    if key is None:
        return None
    if signed.checkpoint.origin != key.name:
        return f"made for origin {signed.checkpoint.origin!r}, not {key.name!r}"
    if not signed.is_signed_by(key):
        return f"signature does not verify with key {key.name}+{key.key_id.hex()} (forged)"
    return None
