"""Named domain errors; every rejected command raises one of these."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger reports to its users."""

    code = "ledger-error"
    title = "Ledger error"
    replayed = False
    """True when this is the first answer to an idempotency key, given again."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The command field at fault, when one is."""


class NotFound(LedgerError):
    code = "not-found"
    title = "Not found"


class ClusterNotFound(NotFound):
    code = "cluster-not-found"
    title = "Unknown cluster"


class StageNotFound(NotFound):
    code = "stage-not-found"
    title = "Unknown stage"


class NotYetRegistered(NotFound):
    """A cluster asked for on a day before it existed (``domain.as_of``)."""

    code = "not-yet-registered"
    title = "Cluster not yet registered on that day"


class EventNotFound(NotFound):
    code = "event-not-found"
    title = "Unknown event"


class InvariantViolation(LedgerError):
    """A command that the ledger's rules make impossible."""

    code = "invariant-violation"
    title = "Command rejected by a ledger rule"


class InvalidSlug(InvariantViolation):
    code = "invalid-slug"
    title = "Invalid cluster slug"


class InvalidCommand(InvariantViolation):
    code = "invalid-command"
    title = "Invalid command"


class DuplicateSlug(InvariantViolation):
    code = "duplicate-slug"
    title = "Cluster already registered"


class DuplicateStage(InvariantViolation):
    code = "duplicate-stage"
    title = "Stage already opened"


class LabelAlreadyGranted(InvariantViolation):
    code = "label-already-granted"
    title = "Label already granted for this stage"


class StageNotOpen(InvariantViolation):
    code = "stage-not-open"
    title = "Stage is not open"


class OutsideStagePeriod(InvariantViolation):
    code = "outside-stage-period"
    title = "Date outside the stage's period"


class NoActiveLabel(InvariantViolation):
    code = "no-active-label"
    title = "Cluster holds no active label"


class ClusterInactive(InvariantViolation):
    code = "cluster-inactive"
    title = "Cluster is merged or dissolved"


class UnknownCriterion(InvariantViolation):
    code = "unknown-criterion"
    title = "Criterion not defined by the stage"


class StageAlreadyClosed(InvariantViolation):
    code = "stage-already-closed"
    title = "Stage already closed"


class MergeIntoSelf(InvariantViolation):
    code = "merge-into-self"
    title = "A cluster cannot merge into itself"


class InvalidCorrection(InvariantViolation):
    code = "invalid-correction"
    title = "Correction cannot apply"


class ConcurrencyConflict(LedgerError):
    """Another writer changed an aggregate this command read or wrote."""

    code = "concurrency-conflict"
    title = "Concurrent write conflict"


class ProjectionError(LedgerError):
    """The read models cannot follow the ledger; they stop rather than skip an event."""

    code = "projection-error"
    title = "Read models stopped"


class ProjectionBehind(ProjectionError):
    code = "projection-behind"
    title = "Read models are not at the ledger's position"


class ProjectionFailed(ProjectionError):
    code = "projection-failed"
    title = "Read models failed on an event"


# --- access tokens and write preconditions (HTTP API) ----------------------


class TokenNotFound(NotFound):
    code = "token-not-found"
    title = "Unknown access token"


class InvalidTokenName(InvariantViolation):
    code = "invalid-token-name"
    title = "Invalid access token name"


class DuplicateTokenName(InvariantViolation):
    code = "duplicate-token-name"
    title = "Access token name already used"


class TokenAlreadyRevoked(InvariantViolation):
    code = "token-already-revoked"
    title = "Access token already revoked"


class InvalidTokenExpiry(InvariantViolation):
    """A token's expiry must come after the moment it is recorded."""

    code = "invalid-token-expiry"
    title = "Access token expiry not in the future"


class IdempotencyKeyReused(LedgerError):
    """The idempotency key was first used for a different command (or source)."""

    code = "idempotency-key-reused"
    title = "Idempotency key reused"


class CredentialRevoked(LedgerError):
    """The token that sent the command was revoked (or never issued) when it was decided."""

    code = "credential-revoked"
    title = "Token no longer valid"


class VersionMismatch(ConcurrencyConflict):
    """The caller's expected version (an HTTP ``If-Match``) is not the current one."""

    code = "version-mismatch"
    title = "Aggregate version does not match"


# --- programming errors (a caller broke a contract; never a user's mistake) ----------


class NeedsWholeHistory(ValueError):
    """A correction was folded onto a state: it needs the aggregate's whole history."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(
            f"a correction of {aggregate_id} refolds its whole history: "
            "fold from the first event, not from a state"
        )
