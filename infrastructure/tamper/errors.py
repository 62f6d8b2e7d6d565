"""Named errors of tamper evidence: keys, checkpoints, proofs and bundles."""

from __future__ import annotations

from domain.errors import LedgerError


class TamperEvidenceError(LedgerError):
    code = "tamper-evidence-error"
    title = "Tamper evidence error"


class TreeSizeBeyondLog(TamperEvidenceError):
    code = "tree-size-beyond-log"
    title = "Tree size beyond the log"


class PositionBeyondTree(TamperEvidenceError):
    code = "position-beyond-tree"
    title = "Position outside the tree"


class InvalidProofRequest(TamperEvidenceError):
    code = "invalid-proof-request"
    title = "Invalid proof request"


class MerkleLogDamaged(TamperEvidenceError):
    """The stored tree does not fit the events: someone edited the database."""

    code = "merkle-log-damaged"
    title = "Merkle log damaged"


class SigningKeyError(TamperEvidenceError):
    code = "signing-key-error"
    title = "Signing key unusable"


class NoSigningKey(SigningKeyError):
    code = "no-signing-key"
    title = "No signing key configured"


class InvalidCheckpoint(TamperEvidenceError):
    """A checkpoint note that cannot be parsed or whose signature does not verify."""

    code = "invalid-checkpoint"
    title = "Invalid checkpoint"


class InconsistentCheckpoint(TamperEvidenceError):
    """Signing now would contradict a checkpoint the log signed before."""

    code = "inconsistent-checkpoint"
    title = "Refusing to sign an inconsistent checkpoint"


class NoCheckpoint(TamperEvidenceError):
    code = "no-checkpoint"
    title = "No checkpoint yet"


class InvalidBundle(TamperEvidenceError):
    code = "invalid-bundle"
    title = "Bundle does not verify"
