"""Derived data proven, not trusted: the views and heads the events imply, checked.

One pass over the (already Merkle-verified) events folds every view by the pure rules
(``domain.view_fold``) and every aggregate's head. At each checkpoint's tree size the
heads root and views digest it signed are compared with the fold's; at the end the
stored read models are compared with it, view by view (canonical
digests, ``domain.view_digest``), naming the first differing row. ``deep`` also checks
the columns kept beside each stored record and that its stored bytes are exactly the
encoding of the folded record.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from contextlib import closing
from hashlib import sha256

import msgspec

from domain.view_digest import (
    CLUSTERS,
    FACETS,
    REVIEWS,
    STAGES,
    RowKey,
    first_difference,
    key_text,
)
from domain.view_fold import ViewFold, ViewFoldFailed
from infrastructure.projections.decoding import EventDecoder
from infrastructure.projections.read_models import encode_record
from infrastructure.projections.tables import CLUSTER_STATES, STAGE_STATES, tracked_position
from infrastructure.store.sql import Tx
from infrastructure.tamper.claims import Claim
from infrastructure.tamper.commitments import sql_history
from infrastructure.tamper.diagnosis import (
    CHECKPOINT_HEADS_DIFFER,
    CHECKPOINT_VIEWS_DIFFER,
    PAYLOAD_ALTERED,
    READ_MODEL_DIFFERS,
    Problem,
)
from infrastructure.tamper.event_rows import EventTable
from infrastructure.tamper.heads import Head, heads_root
from infrastructure.tamper.reads import select_all
from infrastructure.tamper.view_tables import Known, ordered_rows

PAGE = 50_000
STORED_VIEWS = (CLUSTERS, REVIEWS, STAGES, FACETS)
TABLE_OF_VIEW = {
    CLUSTERS: CLUSTER_STATES,
    REVIEWS: "cluster_reviews",
    STAGES: STAGE_STATES,
    FACETS: "cluster_facets",
}
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, ValueError)


class DerivedCheck(msgspec.Struct, kw_only=True):
    problem: Problem | None
    views_checked: int
    checkpoint_commitments_checked: int


def check_derived(
    tx: Tx, events: EventTable, size: int, claims: Sequence[Claim], *, deep: bool = False
) -> DerivedCheck:
    run = _DerivedRun(tx, events, size, claims)
    problem = run.fold_and_check_claims()
    views = 0
    if problem is None:
        problem, views = run.compare_stored(deep=deep)
    return DerivedCheck(
        problem=problem, views_checked=views, checkpoint_commitments_checked=run.claims_checked
    )


class _DerivedRun:
    def __init__(self, tx: Tx, events: EventTable, size: int, claims: Sequence[Claim]) -> None:
        self.tx, self.events, self.size = tx, events, size
        self.decoder = EventDecoder()
        self.fold = ViewFold(history=sql_history(tx, events, self.decoder), stored_forms=True)
        self.heads: dict[str, Head] = {}
        committed = [c for c in claims if c.heads_root is not None or c.views_digest is not None]
        self.claims = sorted((c for c in committed if c.size <= size), key=lambda c: c.size)
        self.claim_sizes = [c.size for c in self.claims]
        self.claims_checked = 0

    def fold_and_check_claims(self) -> Problem | None:
        problem = self._check_claims_at(0)
        after = 0
        while problem is None and after < self.size:
            upto = min(after + PAGE, self.size)
            # A page stops at the next checkpoint size inside it, to check it there.
            inside = bisect_right(self.claim_sizes, after)
            if inside < len(self.claim_sizes) and self.claim_sizes[inside] < upto:
                upto = self.claim_sizes[inside]
            problem = self._fold_page(after, upto) or self._check_claims_at(upto)
            after = upto
        return problem

    def _fold_page(self, after: int, upto: int) -> Problem | None:
        rows = select_all(
            self.tx,
            f"SELECT {self.events.position}, originator_id, originator_version, topic, state "
            f"FROM {self.events.name} WHERE {self.events.position} > ? "
            f"AND {self.events.position} <= ? ORDER BY {self.events.position}",
            (after, upto),
        )
        decoded = []
        decode = self.decoder.decode
        heads = self.heads
        for position, aggregate_id, version, topic, state in rows:
            heads[aggregate_id] = (version, position)
            try:
                decoded.append((position, decode(topic, bytes(state))))
            except _DECODE_ERRORS as error:
                detail = f"the event at position {position} does not decode: {error}"
                return Problem(position=position, kind=PAYLOAD_ALTERED, detail=detail)
        try:
            self.fold.apply(decoded)
        except ViewFoldFailed as error:
            return Problem(position=error.position, kind=READ_MODEL_DIFFERS, detail=str(error))
        return None

    def _check_claims_at(self, size: int) -> Problem | None:
        first, last = bisect_right(self.claim_sizes, size - 1), bisect_right(self.claim_sizes, size)
        for claim in self.claims[first:last]:
            if claim.heads_root is not None and claim.heads_root != heads_root(self.heads):
                return Problem(
                    position=size,
                    kind=CHECKPOINT_HEADS_DIFFER,
                    detail=f"{claim.label} signed a heads root the events up to {size} do not give",
                )
            if claim.views_digest is not None and claim.views_digest != self.fold.views_digest():
                return Problem(
                    position=size,
                    kind=CHECKPOINT_VIEWS_DIFFER,
                    detail=(
                        f"{claim.label} signed a views digest the events up to {size} do not "
                        "give (its read models differed from the log when it was signed)"
                    ),
                )
            self.claims_checked += 1
        return None

    def compare_stored(self, *, deep: bool) -> tuple[Problem | None, int]:
        tracked = tracked_position(self.tx)
        if tracked != self.size:
            detail = (
                f"the read models are at position {tracked} but the log at {self.size}: "
                "run label-ledger rebuild"
            )
            return Problem(position=self.size, kind=READ_MODEL_DIFFERS, detail=detail), 0
        for checked, view in enumerate(STORED_VIEWS):
            known = _known_stored_form(self.fold, view)
            # closing: a comparison that stops early ends the stream within the transaction
            with closing(ordered_rows(self.tx, view, known=known)) as stored:
                difference = first_difference(self.fold.rows(view), stored)
            if difference is not None:
                return self._differs(view, *difference), checked
        if deep:
            problem = self._deep_columns()
            if problem is not None:
                return problem, len(STORED_VIEWS)
        return None, len(STORED_VIEWS)

    def _differs(self, view: str, key: tuple[object, ...], how: str) -> Problem:
        aggregate = str(key[0])
        head = self.heads.get(aggregate) or self.heads.get(f"token:{aggregate}")
        position = head[1] if head is not None else self.size
        table = TABLE_OF_VIEW[view]
        said = {
            "missing": "is missing from",
            "extra": "is in",
            "differs": "differs from what the events imply in",
        }[how]
        detail = f"row {key_text(key)} {said} {table}"
        if how == "extra":
            detail += ", but no event implies it"
        return Problem(position=position, kind=READ_MODEL_DIFFERS, detail=detail)

    def _deep_columns(self) -> Problem | None:
        """The columns beside each record, and the record's stored bytes, byte for byte."""
        checks: list[tuple[str, str, Callable[[str], tuple[object, bytes] | None]]] = [
            (CLUSTER_STATES, "cluster_id, slug, state", self._expected_cluster),
            (STAGE_STATES, "stage_id, number, state", self._expected_stage),
        ]
        for table, columns, expected in checks:
            for key, column, state in select_all(
                self.tx, f"SELECT {columns} FROM {self.tx.table(table)}"
            ):
                wanted = expected(str(key))
                if wanted is None or wanted != (column, bytes(state)):
                    return self._differs(
                        CLUSTERS if table == CLUSTER_STATES else STAGES, (str(key),), "differs"
                    )
        return None

    def _expected_cluster(self, key: str) -> tuple[object, bytes] | None:
        record = self.fold.clusters.get(key)
        return None if record is None else (record.slug, encode_record(record))

    def _expected_stage(self, key: str) -> tuple[object, bytes] | None:
        record = self.fold.stages.get(key)
        return None if record is None else (record.stage.number, encode_record(record))


def _known_stored_form(fold: ViewFold, view: str) -> Known:
    """Stored bytes equal to the folded row's encoding stand for the folded row itself.
    Rows come in key order, so a cluster's review digests are looked up once per cluster."""
    forms = fold.forms
    reviews: dict[str, dict[int, bytes]] = {}

    def known(key: RowKey, raw: bytes) -> bytes | None:
        form = forms.get(key)
        if form is None or form != sha256(raw).digest():
            return None
        if view != REVIEWS:
            return fold.row_digest(view, str(key[0]))
        cluster_id = str(key[0])
        if cluster_id not in reviews:
            reviews.clear()
            reviews[cluster_id] = dict(fold.reviews.get(cluster_id, ()))
        return reviews[cluster_id].get(int(key[1]))

    return known
