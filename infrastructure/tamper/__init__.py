"""Tamper evidence: Merkle leaves, signed checkpoints, proofs, verification, bundles.

The plain functions the CLI and the HTTP layer call are re-exported here.
"""

from __future__ import annotations

from infrastructure.tamper.bundle_format import Bundle, encode_bundle
from infrastructure.tamper.bundle_verifier import BundleReport, verify_bundle
from infrastructure.tamper.bundle_writer import WrittenBundle, build_bundle
from infrastructure.tamper.checkpoints import (
    CheckpointInfo,
    latest_checkpoint,
    list_checkpoints,
    make_checkpoint,
)
from infrastructure.tamper.diagnosis import Problem
from infrastructure.tamper.feed import LeafInputs
from infrastructure.tamper.keys import (
    PublicKeyInfo,
    SigningKey,
    VerifierKey,
    configured_signing_key,
    load_signing_key,
    load_verifier_key,
    public_key_info,
)
from infrastructure.tamper.leaf import LEAF_VERSION
from infrastructure.tamper.merkle_log import (
    MerkleLogHook,
    ledger_public_key,
    ledger_signing_key,
    merkle_log_hook,
)
from infrastructure.tamper.notes import SignedCheckpoint, parse_checkpoint
from infrastructure.tamper.proofs import (
    ConsistencyProof,
    InclusionProof,
    consistency_proof_between,
    inclusion_proof_at,
)
from infrastructure.tamper.verification import VerificationReport, verify_ledger

__all__ = [
    "LEAF_VERSION",
    "Bundle",
    "BundleReport",
    "CheckpointInfo",
    "ConsistencyProof",
    "InclusionProof",
    "LeafInputs",
    "MerkleLogHook",
    "Problem",
    "PublicKeyInfo",
    "SignedCheckpoint",
    "SigningKey",
    "VerificationReport",
    "VerifierKey",
    "WrittenBundle",
    "build_bundle",
    "configured_signing_key",
    "consistency_proof_between",
    "encode_bundle",
    "inclusion_proof_at",
    "latest_checkpoint",
    "ledger_public_key",
    "ledger_signing_key",
    "list_checkpoints",
    "load_signing_key",
    "load_verifier_key",
    "make_checkpoint",
    "merkle_log_hook",
    "parse_checkpoint",
    "public_key_info",
    "verify_bundle",
    "verify_ledger",
]
