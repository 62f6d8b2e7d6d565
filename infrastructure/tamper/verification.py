"""Full re-verification of the log, streamed chunk by chunk in O(log n) memory.

Every leaf is recomputed from its stored event row and compared with the stored leaf;
every stored node is recomputed from the recomputed leaves; the roots at the sizes of
the stored checkpoints (and of an auditor's saved one) are compared with what those
checkpoints signed, whose signatures are checked too. The first failure, in position
order, stops the run and is named: payload altered, row deleted, rows reordered, log
truncated or rewritten, stored tree altered, checkpoint forged.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Generator
from contextlib import closing
from typing import TYPE_CHECKING

import msgspec

from infrastructure.merkle import (
    EMPTY_ROOT,
    NodeCoordinate,
    frontier_coordinates,
    nodes_to_store_after_append,
    root_coordinates,
    root_from_nodes,
    verify_consistency,
)
from infrastructure.store.sql import Tx
from infrastructure.tamper import chunks
from infrastructure.tamper.claims import SAVED, claims_of, forged
from infrastructure.tamper.damage import DAMAGE_ERRORS, unreadable
from infrastructure.tamper.derived_check import check_derived
from infrastructure.tamper.diagnosis import (
    LOG_REWRITTEN,
    LOG_TRUNCATED,
    PAYLOAD_ALTERED,
    ROW_DELETED,
    TREE_ALTERED,
    KnownLeaves,
    Problem,
    displaced_row,
    first_unlike_known,
    proven_by_frontier,
    rewritten_after,
)
from infrastructure.tamper.event_rows import EventTable, event_table
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.merkle_log import ledger_public_key
from infrastructure.tamper.node_store import fetch_nodes, first_node_beyond
from infrastructure.tamper.notes import SignedCheckpoint
from infrastructure.tamper.parallel import StoreAccess, outcomes_in_order, store_access
from infrastructure.tamper.proofs import consistency_proof_in

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

CHUNK_BITS = 13
"""Leaves per chunk: 2**13 = 8,192 events per select, aligned to a perfect subtree."""


class VerificationReport(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one verification run (JSON-friendly)."""

    ok: bool
    tree_size: int
    root_hash: str
    checkpoints_checked: int
    signatures_checked: bool
    extends_checkpoint: int | None
    views_checked: int = 0
    """Stored views (read models, tokens) found equal to what the events imply."""
    checkpoint_commitments_checked: int = 0
    """Checkpoints whose heads root and views digest the events were found to give."""
    seconds: float
    problem: Problem | None

    def summary(self) -> str:
        if self.problem is not None:
            p = self.problem
            return f"verification failed at position {p.position}: {p.kind}: {p.detail}"
        signatures = (
            "signatures checked"
            if self.signatures_checked
            else "signatures NOT checked: no public key"
        )
        extends = (
            f"; extends your checkpoint of size {self.extends_checkpoint}"
            if self.extends_checkpoint is not None
            else ""
        )
        return (
            f"OK: tree size {self.tree_size}, root {self.root_hash}; "
            f"{self.checkpoints_checked} checkpoint(s) consistent ({signatures}){extends}; "
            f"{self.views_checked} derived view(s) equal to what the events imply"
        )


def verify_ledger(
    ledger: Ledger,
    *,
    public_key: VerifierKey | None = None,
    since: SignedCheckpoint | None = None,
    chunk_bits: int = CHUNK_BITS,
    jobs: int = 1,
    derived: bool = True,
    deep: bool = False,
    known_leaves: KnownLeaves | None = None,
) -> VerificationReport:
    """Recomputes and checks the whole log; ``since`` is an auditor's saved checkpoint.

    ``jobs`` > 1 hashes chunks in that many worker processes (SQLite files, PostgreSQL).
    With ``derived`` the read models, the tokens table and every checkpoint's heads root
    and views digest are then checked against the events (``deep``: byte for byte).
    ``known_leaves`` (an audit client's kept leaves, for ``since``) names exactly the first
    position a rewrite changed.
    """
    started = time.perf_counter()
    if public_key is None:
        public_key = ledger_public_key(ledger)
    run: _Run | None = None
    check = None
    try:
        with ledger.read() as tx:
            if tx.dialect == "postgresql":
                # One snapshot for the whole run, so concurrent appends cannot skew it.
                tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # A run reads the whole log: a server's statement timeout is not for it.
                tx.execute("SET LOCAL statement_timeout = 0")
            events = event_table(tx)
            run = _Run(tx, events, public_key, since, chunk_bits)
            run.known_leaves = known_leaves
            if jobs > 1 and ledger.settings.env.get("SQLITE_DBNAME") != ":memory:":
                run.workers = (store_access(ledger.settings, events), jobs)
            problem = run.execute()
            if problem is None and derived:
                check = check_derived(tx, events, run.size, run.claims, deep=deep)
                problem = check.problem
    except DAMAGE_ERRORS as error:
        # The store itself is damaged where the run got to: a finding, never a crash.
        problem = unreadable(ledger, 0 if run is None else run.verified, error)
    return VerificationReport(
        ok=problem is None,
        tree_size=0 if run is None else run.size,
        root_hash=(EMPTY_ROOT if run is None else run.root).hex(),
        checkpoints_checked=0 if run is None else run.checkpoints_checked,
        signatures_checked=public_key is not None,
        extends_checkpoint=since.checkpoint.tree_size
        if since is not None and problem is None
        else None,
        views_checked=0 if check is None else check.views_checked,
        checkpoint_commitments_checked=0 if check is None else check.checkpoint_commitments_checked,
        seconds=time.perf_counter() - started,
        problem=problem,
    )


class _Run:
    def __init__(
        self,
        tx: Tx,
        events: EventTable,
        key: VerifierKey | None,
        since: SignedCheckpoint | None,
        chunk_bits: int,
    ) -> None:
        self.tx = tx
        self.events = events
        self.since = since
        self.bits = chunk_bits
        self.size = events.last_position(tx)
        self.root = EMPTY_ROOT
        self.claims = sorted(claims_of(tx, key, since), key=lambda c: c.size)
        self.claim_sizes = [c.size for c in self.claims]
        self.proven = 0
        self.checkpoints_checked = 0
        self.upper: dict[NodeCoordinate, bytes] = {}
        self.upper_count = 0
        self.tail: list[bytes] = []
        self.workers: tuple[StoreAccess, int] | None = None
        self.verified = 0
        self.known_leaves: KnownLeaves | None = None
        """Positions up to here were found intact (for naming where the store broke)."""

    def execute(self) -> Problem | None:
        problem = self._check_claims_at(0, [])
        if problem is not None:
            return problem
        with closing(self._outcomes()) as outcomes:
            for outcome in outcomes:
                problem = self._fold(outcome)
                if problem is not None:
                    return problem
        self.root = _root(self.size, self._upper_hashes() + self.tail)
        return self._after_stream()

    def _outcomes(self) -> Generator[chunks.ChunkOutcome, None, None]:
        step, sizes = 1 << self.bits, self.claim_sizes
        tasks = (
            (start, end, sorted(set(sizes[bisect_right(sizes, start) : bisect_right(sizes, end)])))
            for start in range(0, self.size, step)
            for end in (min(start + step, self.size),)
        )
        if self.workers is not None and self.size > step:
            access, jobs = self.workers
            yield from outcomes_in_order(access, tasks, jobs)
            return
        for start, end, wanted in tasks:
            yield chunks.verify_chunk(self.tx, self.events, start, end, wanted)

    def _fold(self, outcome: chunks.ChunkOutcome) -> Problem | None:
        """Adds a chunk's outcome to the tree above the chunks and checks claims inside it."""
        before = self._upper_hashes()
        if outcome.finding is None:
            self.verified = outcome.end
        full = outcome.finding is None and outcome.end - outcome.start == 1 << self.bits
        self.tail = [] if full else outcome.top
        if full:
            problem = self._extend_upper(outcome.top[0])
            if problem is not None:
                return problem
        for size, pieces in sorted(outcome.pieces.items()):
            frontier = self._upper_hashes() if full and size == outcome.end else before + pieces
            problem = self._check_claims_at(size, frontier)
            if problem is not None:
                return problem
        return None if outcome.finding is None else self._diagnose(outcome.finding)

    def _extend_upper(self, top: bytes) -> Problem | None:
        created = nodes_to_store_after_append(self.upper_count, [top], self.upper)
        inner = {(level + self.bits, index): h for level, index, h in created if level > 0}
        stored = fetch_nodes(self.tx, inner)
        for (level, index), digest in inner.items():
            if stored.get((level, index)) != digest:
                first, last = (index << level) + 1, (index + 1) << level
                detail = (
                    f"stored tree node (level {level}, index {index}) covering positions "
                    f"{first}..{last} was altered or deleted"
                )
                return Problem(position=first, kind=TREE_ALTERED, detail=detail)
        self.upper.update(((level, index), h) for level, index, h in created)
        self.upper_count += 1
        self.upper = {c: self.upper[c] for c in frontier_coordinates(self.upper_count)}
        return None

    def _upper_hashes(self) -> list[bytes]:
        return [self.upper[c] for c in frontier_coordinates(self.upper_count)]

    def _check_claims_at(self, size: int, frontier: list[bytes]) -> Problem | None:
        root = _root(size, frontier)
        low, high = bisect_left(self.claim_sizes, size), bisect_right(self.claim_sizes, size)
        for claim in self.claims[low:high]:
            if claim.invalid is not None:
                return forged(claim)
            if claim.root != root:
                if claim.label == SAVED and self.known_leaves is not None:
                    changed = first_unlike_known(self.tx, self.events, self.known_leaves, size)
                    if changed is not None:
                        return Problem(
                            position=changed,
                            kind=LOG_REWRITTEN,
                            detail=(
                                f"position {changed} no longer holds the event your audit state "
                                f"verified there ({SAVED}, tree size {size}): the log was "
                                f"rewritten from position {changed}"
                            ),
                        )
                proven = max(
                    self.proven, proven_by_frontier(claim.frontier, frontier, size, claim.root)
                )
                return rewritten_after(self.tx, self.events, claim, proven)
            self.proven = max(self.proven, size)
            self.checkpoints_checked += claim.label != SAVED
        return None

    def _after_stream(self) -> Problem | None:
        beyond = first_node_beyond(self.tx, self.size)
        if beyond is not None:
            level, index = beyond
            return Problem(
                position=self.size + 1,
                kind=LOG_TRUNCATED,
                detail=(
                    f"the log ends at position {self.size} but the tree holds node (level {level}, "
                    f"index {index}) beyond it: events from position {self.size + 1} were deleted"
                ),
            )
        beyond_claims = self.claims[bisect_right(self.claim_sizes, self.size) :]
        if not beyond_claims:
            return self._since_extends()
        claim = beyond_claims[0]
        if claim.invalid is not None:
            return forged(claim)
        return Problem(
            position=self.size + 1,
            kind=LOG_TRUNCATED,
            detail=(
                f"{claim.label} covers {claim.size} events but the log ends at position "
                f"{self.size}: it was truncated or rolled back"
            ),
        )

    def _since_extends(self) -> Problem | None:
        if self.since is None:
            return None
        saved = self.since.checkpoint
        proof = consistency_proof_in(self.tx, saved.tree_size, self.size) if self.size else None
        if proof is not None and not verify_consistency(
            saved.tree_size,
            self.size,
            saved.root_hash,
            self.root,
            [bytes.fromhex(h) for h in proof.path],
        ):
            detail = (
                f"the stored nodes give no valid consistency proof from size "
                f"{saved.tree_size} to {self.size}"
            )
            return Problem(position=saved.tree_size, kind=TREE_ALTERED, detail=detail)
        return None

    def _diagnose(self, finding: chunks.Finding) -> Problem:
        p = finding.position
        if finding.kind == chunks.ROW_DELETED:
            return Problem(
                position=p,
                kind=ROW_DELETED,
                detail=f"position {p} is missing from the events table",
            )
        if finding.kind == chunks.UNDECODABLE:
            return Problem(position=p, kind=PAYLOAD_ALTERED, detail=finding.detail)
        if finding.kind == chunks.LEAF_MISMATCH:
            return displaced_row(self.tx, self.events, p)
        if finding.kind == chunks.LEAF_ALTERED:
            detail = (
                f"the stored leaf of position {p} was altered (its event fits the stored parent)"
            )
            return Problem(position=p, kind=TREE_ALTERED, detail=detail)
        if finding.kind == chunks.LEAF_MISSING:
            return Problem(
                position=p, kind=TREE_ALTERED, detail=f"the stored leaf of position {p} is missing"
            )
        return Problem(
            position=p, kind=TREE_ALTERED, detail=f"{finding.detail} was altered or deleted"
        )


def _root(size: int, frontier: list[bytes]) -> bytes:
    """The root of a tree of ``size`` leaves from the hashes at ``root_coordinates(size)``."""
    return root_from_nodes(size, dict(zip(root_coordinates(size), frontier, strict=True)))
