"""The audit client: checks a ledger server over HTTP without trusting it.

One run: the latest checkpoint's signature; that it extends the checkpoint the last run
verified (kept in the state directory: a rolled-back or forked log fails across runs);
only the new part of the feed, whose every leaf, the root, the heads root and the views
digest are recomputed; a rolling re-read of older events against the leaves kept; the
statuses and stage histories the server serves against what the log implies. Nothing
the server says is believed unless a signature or a recomputed hash backs it.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import msgspec

from domain.events import LedgerEvent
from domain.view_fold import PositionedEvent, ViewFold, ViewFoldFailed
from infrastructure.auditor.decoding import decode_event
from infrastructure.auditor.feed_check import check_batch
from infrastructure.auditor.locate import locate_in_feed, locate_mismatch
from infrastructure.auditor.problems import (
    CHECKPOINT_FORGED,
    CHECKPOINT_HEADS_DIFFER,
    CHECKPOINT_VIEWS_DIFFER,
    EVENT_CHANGED,
    FEED_INCONSISTENT,
    LOG_REWRITTEN,
    LOG_TRUNCATED,
    PAYLOAD_ALTERED,
    READ_MODEL_DIFFERS,
    ROW_DELETED,
    SERVED_VIEW_DIFFERS,
    AuditFailed,
    AuditProblem,
)
from infrastructure.auditor.remote import Remote, RemoteError
from infrastructure.auditor.spot_checks import spot_check
from infrastructure.auditor.state import (
    AuditState,
    fold_from,
    load_state,
    read_leaves,
    save_state,
)
from infrastructure.merkle import RootBuilder, verify_consistency
from infrastructure.tamper.errors import InvalidCheckpoint, SigningKeyError
from infrastructure.tamper.heads import heads_root
from infrastructure.tamper.keys import VerifierKey, load_verifier_key, parse_verifier_key
from infrastructure.tamper.leaf import inputs_disagree, leaf_hash_of_inputs
from infrastructure.tamper.notes import SignedCheckpoint, parse_checkpoint

RECHECK = 2_000
SAMPLE = 5
FOLD_BATCH = 50_000


class AuditReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    url: str
    tree_size: int
    root_hash: str
    previous_size: int
    new_events: int
    rechecked: int
    clusters_checked: int
    clusters_skipped: int
    stages_checked: int
    unsigned_events: int
    key: str
    key_from_server: bool
    seconds: float
    problem: AuditProblem | None

    def summary(self) -> str:
        if self.problem is not None:
            p = self.problem
            return f"audit failed at position {p.position}: {p.kind}: {p.detail}"
        trust = " (key taken from the server on first use: pin it with --public-key)" * (
            self.key_from_server
        )
        since = f" since size {self.previous_size}" if self.previous_size else ""
        unsigned = (
            f"; {self.unsigned_events} later event(s) not yet under a checkpoint"
            if self.unsigned_events
            else ""
        )
        return (
            f"OK: {self.url} tree size {self.tree_size}, root {self.root_hash}, signed by "
            f"{self.key}{trust}; {self.new_events} new event(s) verified{since}, "
            f"{self.rechecked} re-read; {self.clusters_checked} served cluster status(es) "
            f"and {self.stages_checked} stage histories match the log"
            f" ({self.clusters_skipped} moved on since the checkpoint){unsigned}"
        )


def audit(
    url: str,
    *,
    public_key: str | None = None,
    state_dir: Path | None = None,
    token: str | None = None,
    recheck: int = RECHECK,
    sample: int = SAMPLE,
    http: httpx.Client | None = None,
) -> AuditReport:
    """Audits the ledger at ``url`` (``http``: a client to reach it with, for tests)."""
    remote = Remote(url, token, http)
    run = _Audit(remote, public_key, state_dir, recheck, sample)
    try:
        run.execute()
    except AuditFailed as failure:
        run.problem = failure.problem
    finally:
        remote.close()
    return run.report()


class _Audit:
    def __init__(
        self,
        remote: Remote,
        public_key: str | None,
        state_dir: Path | None,
        recheck: int,
        sample: int,
    ) -> None:
        self.remote = remote
        self.given_key = public_key
        self.state_dir = state_dir
        self.recheck = recheck
        self.sample = sample
        self.started = time.perf_counter()
        self.problem: AuditProblem | None = None
        self.state: AuditState | None = None
        self.key: VerifierKey | None = None
        self.key_from_server = False
        self.signed: SignedCheckpoint | None = None
        self.new_leaves: list[bytes] = []
        self.rechecked = 0
        self.unsigned = 0
        self.spot = (0, 0, 0)
        self.touched_from: dict[str, int] = {}
        """Each touched aggregate's version before the new events."""
        self.touched: set[str] = set()
        """Clusters the new events touched (their served status is checked)."""

    # --- the run ------------------------------------------------------------

    def execute(self) -> None:
        self.state = load_state(self.state_dir) if self.state_dir is not None else None
        self.key = self._verifier_key()
        self.signed = self._checked_latest()
        old_size = self.state.tree_size if self.state else 0
        self._check_extends_state()
        fold = fold_from(self.state, ViewFold(history=self._history))
        heads = dict(self.state.heads) if self.state else {}
        builder = (
            RootBuilder.resume(self.state.tree_size, self.state.frontier)
            if self.state
            else RootBuilder()
        )
        self._verify_new_part(old_size, builder, heads, fold)
        self._check_commitments(heads, fold)
        self._recheck_old(old_size)
        later = self._later_heads()
        self._spot_check(fold, heads, later)
        if self.state_dir is not None:
            self._save(builder, heads, fold, old_size)

    def _verifier_key(self) -> VerifierKey:
        try:
            if self.given_key:
                key = load_verifier_key(self.given_key)
            elif self.state is not None:
                key = parse_verifier_key(self.state.public_key)
            else:
                key = parse_verifier_key(self.remote.public_key())
                self.key_from_server = True
        except SigningKeyError as error:
            raise _fail(0, CHECKPOINT_FORGED, str(error)) from None
        if self.state is not None and self.state.public_key != key.text():
            detail = (
                f"the key given ({key.text()}) is not the one this state directory audited "
                f"with ({self.state.public_key}); use another --state"
            )
            raise AuditFailed(AuditProblem(position=0, kind=CHECKPOINT_FORGED, detail=detail))
        return key

    def _checked_latest(self) -> SignedCheckpoint:
        assert self.key is not None
        try:
            note = self.remote.latest_note()
        except RemoteError as error:
            if self.state is None:
                raise
            raise _fail(
                1,
                LOG_TRUNCATED,
                f"the server serves no checkpoint ({error}) but you verified one of size "
                f"{self.state.tree_size}: its checkpoints were deleted or the log replaced",
            ) from None
        try:
            signed = parse_checkpoint(note)
        except InvalidCheckpoint as error:
            raise _fail(0, CHECKPOINT_FORGED, f"the latest checkpoint: {error}") from None
        c = signed.checkpoint
        if c.origin != self.key.name or not signed.is_signed_by(self.key):
            raise _fail(
                c.tree_size,
                CHECKPOINT_FORGED,
                f"the latest checkpoint (tree size {c.tree_size}) is not signed by "
                f"{self.key.name}+{self.key.key_id.hex()}",
            )
        return signed

    def _check_extends_state(self) -> None:
        state, signed = self.state, self.signed
        if state is None or signed is None:
            return
        new = signed.checkpoint
        if new.tree_size < state.tree_size:
            raise _fail(
                new.tree_size + 1,
                LOG_TRUNCATED,
                f"the latest checkpoint covers {new.tree_size} events but you verified one "
                f"of {state.tree_size}: the log was rolled back, or its newer checkpoints "
                "deleted",
            )
        if new.tree_size == state.tree_size:
            if new.root_hash != state.root:
                raise _fail(
                    self._first_changed(state.tree_size),
                    LOG_REWRITTEN,
                    f"two signed checkpoints of size {new.tree_size} with different roots: "
                    "the log forked",
                )
            return
        try:
            path = self.remote.consistency_path(state.tree_size, new.tree_size)
        except RemoteError:
            path = []
        if not verify_consistency(
            state.tree_size, new.tree_size, state.root, new.root_hash, path
        ):
            first = self._first_changed(state.tree_size)
            raise _fail(
                first,
                LOG_REWRITTEN,
                f"the checkpoint of size {new.tree_size} does not extend the one of size "
                f"{state.tree_size} you verified: the log was rewritten from position {first}",
            )

    def _first_changed(self, size: int) -> int:
        """The first position whose served event no longer gives the leaf verified before."""
        assert self.state_dir is not None
        assert self.state is not None
        signed_at = parse_checkpoint(self.state.note).checkpoint.timestamp
        found = locate_in_feed(self.remote, self.state_dir, 1, size, signed_at)
        return found.position if found is not None else size

    def _verify_new_part(
        self,
        old_size: int,
        builder: RootBuilder,
        heads: dict[str, tuple[int, int]],
        fold: ViewFold,
    ) -> None:
        """Every new leaf recomputed and the root checked first; what the events imply
        (folded meanwhile) is judged only once the root proves them."""
        assert self.signed is not None
        size = self.signed.checkpoint.tree_size
        expected = old_size + 1
        leaves = self.new_leaves
        pending: list[PositionedEvent] = []
        folding: AuditProblem | None = None
        try:
            for batch in self.remote.entries(old_size, size):
                batch_leaves, events, undecodable = check_batch(batch, expected, heads)
                for item in batch:
                    if item.aggregate_id not in self.touched:
                        self.touched.add(item.aggregate_id)
                        self.touched_from[item.aggregate_id] = item.version - 1
                leaves += batch_leaves
                expected += len(batch)
                if folding is not None:
                    continue
                pending += events
                if undecodable is not None:
                    folding = AuditProblem(
                        position=undecodable,
                        kind=PAYLOAD_ALTERED,
                        detail=f"the payload at position {undecodable} does not decode",
                    )
                if len(pending) >= FOLD_BATCH or folding is not None:
                    folding = folding or self._fold(fold, pending)
                    pending = []
        except RemoteError as error:
            raise _fail(expected, FEED_INCONSISTENT, str(error)) from None
        if expected != size + 1:
            raise _fail(
                expected,
                ROW_DELETED,
                f"the feed ends at position {expected - 1} but the checkpoint covers {size}",
            )
        builder.extend(leaves)
        if builder.root() != self.signed.checkpoint.root_hash:
            old = read_leaves(self.state_dir, 1, old_size) if old_size and self.state_dir else []
            assert self.key is not None
            raise AuditFailed(locate_mismatch(self.remote, self.key, self.signed, old + leaves))
        folding = folding or self._fold(fold, pending)
        if folding is not None:
            raise AuditFailed(folding)

    def _fold(self, fold: ViewFold, events: list[PositionedEvent]) -> AuditProblem | None:
        try:
            fold.apply(events)
        except ViewFoldFailed as error:
            return AuditProblem(position=error.position, kind=READ_MODEL_DIFFERS, detail=str(error))
        except RemoteError as error:
            return AuditProblem(position=events[0][0], kind=FEED_INCONSISTENT, detail=str(error))
        return None

    def _check_commitments(self, heads: dict[str, tuple[int, int]], fold: ViewFold) -> None:
        assert self.signed is not None
        c = self.signed.checkpoint
        if c.heads_root is not None and c.heads_root != heads_root(heads):
            raise _fail(
                c.tree_size,
                CHECKPOINT_HEADS_DIFFER,
                f"the checkpoint of size {c.tree_size} signed a heads root its events do not give",
            )
        if c.views_digest is not None and c.views_digest != fold.views_digest():
            raise _fail(
                c.tree_size,
                CHECKPOINT_VIEWS_DIFFER,
                f"the checkpoint of size {c.tree_size} signed a views digest its events do not "
                "give: the server's read models differed from its log when it signed",
            )

    def _recheck_old(self, old_size: int) -> None:
        if self.state is None or self.state_dir is None or not old_size or self.recheck <= 0:
            return
        count = min(self.recheck, old_size)
        first = self.state.recheck_next if 1 <= self.state.recheck_next <= old_size else 1
        windows = [(first, min(old_size, first + count - 1))]
        if windows[0][1] - first + 1 < count:
            windows.append((1, count - (windows[0][1] - first + 1)))
        signed_at = parse_checkpoint(self.state.note).checkpoint.timestamp
        for low, high in windows:
            found = locate_in_feed(self.remote, self.state_dir, low, high, signed_at)
            if found is not None:
                raise AuditFailed(found)
            self.rechecked += high - low + 1
        last = windows[-1][1]
        self.state.recheck_next = last + 1 if last < old_size else 1

    def _later_heads(self) -> dict[str, int]:
        """Versions of the aggregates with events after the checkpoint (not yet signed)."""
        assert self.signed is not None
        later: dict[str, int] = {}
        try:
            for batch in self.remote.entries(self.signed.checkpoint.tree_size):
                for item in batch:
                    later[item.aggregate_id] = item.version
                    self.unsigned += 1
        except RemoteError as error:
            size = self.signed.checkpoint.tree_size
            raise _fail(size + 1, FEED_INCONSISTENT, str(error)) from None
        return later

    def _spot_check(
        self, fold: ViewFold, heads: dict[str, tuple[int, int]], later: dict[str, int]
    ) -> None:
        def moved(aggregate_id: str) -> int | None:
            return later.get(aggregate_id)

        try:
            result = spot_check(
                self.remote,
                fold.clusters,
                fold.stages,
                moved,
                log_moved_on=bool(later),
                sample=self.sample,
                touched=None if self.state is None else self.touched,
                touched_from=self.touched_from,
            )
        except RemoteError as error:
            raise _fail(0, SERVED_VIEW_DIFFERS, str(error)) from None
        self.spot = (result.clusters_checked, result.clusters_skipped, result.stages_checked)
        if result.mismatch is not None:
            m = result.mismatch
            head = heads.get(m.aggregate_id)
            raise _fail(
                head[1] if head else 0,
                SERVED_VIEW_DIFFERS,
                f"{m.what} for {m.aggregate_id} {m.detail}",
            )

    def _history(self, aggregate_id: str, position: int) -> list[LedgerEvent]:
        """A corrected aggregate's events, each proven by a leaf this run or an earlier
        one verified (corrections are rare: this reads the aggregate's events only)."""
        events: list[LedgerEvent] = []
        known = self.state.tree_size if self.state else 0
        for batch in self.remote.entries(0, position, aggregate_id):
            for item in batch:
                leaf = leaf_hash_of_inputs(item)
                if item.position <= known:
                    assert self.state_dir is not None
                    verified = read_leaves(self.state_dir, item.position, item.position)[0]
                else:
                    index = item.position - known - 1
                    verified = self.new_leaves[index] if index < len(self.new_leaves) else b""
                event = None if item.payload is None else decode_event(item.topic, item.payload)
                if leaf != verified or inputs_disagree(item) or event is None:
                    raise _fail(
                        item.position, EVENT_CHANGED, "a corrected aggregate's event differs"
                    )
                events.append(event)
        if [e.originator_version for e in events] != list(range(1, len(events) + 1)):
            raise _fail(position, ROW_DELETED, f"the feed of {aggregate_id} has gaps")
        return events

    def _save(
        self,
        builder: RootBuilder,
        heads: dict[str, tuple[int, int]],
        fold: ViewFold,
        old_size: int,
    ) -> None:
        assert self.signed is not None
        assert self.key is not None
        assert self.state_dir is not None
        c = self.signed.checkpoint
        state = AuditState(
            public_key=self.key.text(),
            note=self.signed.note,
            tree_size=c.tree_size,
            root=c.root_hash,
            frontier=list(builder.frontier),
            heads=heads,
            clusters=fold.clusters,
            stages=fold.stages,
            reviews=fold.reviews,
            view_digests=fold.view_digests,
            recheck_next=self.state.recheck_next if self.state else 1,
        )
        save_state(self.state_dir, state, self.new_leaves, old_size)

    def report(self) -> AuditReport:
        c = None if self.signed is None else self.signed.checkpoint
        old = self.state.tree_size if self.state else 0
        return AuditReport(
            ok=self.problem is None,
            url=self.remote.url,
            tree_size=0 if c is None else c.tree_size,
            root_hash="" if c is None else c.root_hash.hex(),
            previous_size=old,
            new_events=len(self.new_leaves),
            rechecked=self.rechecked,
            clusters_checked=self.spot[0],
            clusters_skipped=self.spot[1],
            stages_checked=self.spot[2],
            unsigned_events=self.unsigned,
            key="" if self.key is None else f"{self.key.name}+{self.key.key_id.hex()}",
            key_from_server=self.key_from_server,
            seconds=time.perf_counter() - self.started,
            problem=self.problem,
        )


def _fail(position: int, kind: str, detail: str) -> AuditFailed:
    return AuditFailed(AuditProblem(position=position, kind=kind, detail=detail))


__all__ = ["AuditReport", "audit"]
