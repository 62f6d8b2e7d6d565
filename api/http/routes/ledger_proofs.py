"""Tamper evidence over HTTP: the signed checkpoint and key (public), proofs and verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.http.deps import AdminCaller, AuditorActor, LedgerDep
from api.http.encoding import json_response
from api.http.openapi import AUDIT_PROBLEMS, responses
from infrastructure.tamper import (
    CheckpointInfo,
    ConsistencyProof,
    InclusionProof,
    PublicKeyInfo,
    VerificationReport,
    consistency_proof_between,
    inclusion_proof_at,
    latest_checkpoint,
    ledger_public_key,
    list_checkpoints,
    public_key_info,
)
from infrastructure.tamper.errors import NoCheckpoint, NoSigningKey
from infrastructure.tamper.verification_cache import VerificationCache

router = APIRouter(prefix="/ledger", tags=["tamper evidence"])
MAX_SIZE = 2**62
Size = Annotated[int, Query(ge=1, le=MAX_SIZE, description="A tree size (number of events)")]
OptionalSize = Annotated[
    int | None, Query(ge=1, le=MAX_SIZE, description="A tree size; default: the whole log")
]


@router.get(
    "/checkpoint",
    responses=responses(200, CheckpointInfo, "The latest signed checkpoint", (404, 503)),
)
def checkpoint(ledger: LedgerDep) -> Response:
    """The latest signed checkpoint (a C2SP note: origin, tree size, root hash, signature)."""
    info = latest_checkpoint(ledger)
    if info is None:
        msg = "the log has signed no checkpoint yet (one is signed when a stage closes)"
        raise NoCheckpoint(msg)
    return json_response(info)


@router.get(
    "/checkpoints",
    responses=responses(
        200,
        {"type": "array", "items": {"$ref": "#/components/schemas/CheckpointInfo"}},
        "Every signed checkpoint, oldest first",
        (503,),
    ),
)
def checkpoints(ledger: LedgerDep) -> Response:
    """Every checkpoint the log signed, oldest first: auditors check their prefixes."""
    return json_response(list_checkpoints(ledger))


@router.get(
    "/public-key",
    responses=responses(200, PublicKeyInfo, "The key checkpoints are signed with", (404, 503)),
)
def public_key(ledger: LedgerDep) -> Response:
    """The Ed25519 key that signs the checkpoints, to verify them offline."""
    key = ledger_public_key(ledger)
    if key is None:
        msg = (
            "this server publishes no key: set LEDGER_PUBLIC_KEY (the .pub file) "
            "or LEDGER_SIGNING_KEY"
        )
        raise NoSigningKey(msg)
    return json_response(public_key_info(key))


@router.get(
    "/proofs/inclusion",
    responses=responses(200, InclusionProof, "RFC 9162 inclusion proof", AUDIT_PROBLEMS),
)
def inclusion_proof(
    ledger: LedgerDep,
    _auditor: AuditorActor,
    position: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The event's position")],
    tree_size: OptionalSize = None,
) -> Response:
    """Proof that the event at ``position`` is leaf ``position - 1`` of the tree of that size."""
    return json_response(inclusion_proof_at(ledger, position, tree_size))


@router.get(
    "/proofs/consistency",
    responses=responses(200, ConsistencyProof, "RFC 9162 consistency proof", AUDIT_PROBLEMS),
)
def consistency_proof(
    ledger: LedgerDep,
    _auditor: AuditorActor,
    first: Size,
    second: OptionalSize = None,
) -> Response:
    """Proof that the tree of size ``second`` extends the tree of size ``first``."""
    return json_response(consistency_proof_between(ledger, first, second))


@router.get(
    "/verification",
    responses=responses(200, VerificationReport, "The outcome of a full check", AUDIT_PROBLEMS),
)
def verification(request: Request, ledger: LedgerDep, _auditor: AuditorActor) -> Response:
    """Recomputes every leaf, node, checkpoint root and derived view; names the first bad
    position. One run at a time: concurrent callers share it, and its report is kept for
    its tree size for a minute."""
    cache: VerificationCache = request.app.state.verification_cache
    return json_response(cache.report(ledger))


@router.post(
    "/verification",
    responses=responses(
        200, VerificationReport, "The outcome of a full check run now", AUDIT_PROBLEMS
    ),
)
def reverify(request: Request, ledger: LedgerDep, _admin: AdminCaller) -> Response:
    """Runs a full verification now (an admin's: after restoring a store found
    inconsistent). Its outcome is the server's integrity state: a pass lets writes in
    again, a failure keeps refusing them."""
    cache: VerificationCache = request.app.state.verification_cache
    return json_response(cache.report(ledger, fresh=True))
