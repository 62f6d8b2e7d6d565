"""Inclusion and consistency proofs at the ledger's full size, against pymerkle."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pymerkle  # type: ignore[import-untyped]

from bench.context import Context, median, percentile
from bench.report import LOWER, Row
from infrastructure.ledger import Ledger
from infrastructure.tamper import consistency_proof_between, inclusion_proof_at
from infrastructure.tamper.event_rows import event_table
from infrastructure.tamper.leaf import leaf_data

TARGET_MS = 1.0
PAGE = 8_192


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    ledger = ctx.require_ledger()
    size = ledger.last_position()
    rng = random.Random(s.seed)
    positions = [rng.randint(1, size) for _ in range(s.proofs)]
    built = time.perf_counter()
    oracle = _pymerkle_tree(ledger, size)
    build_seconds = time.perf_counter() - built
    our_root = inclusion_proof_at(ledger, 1).root_hash
    same_root = oracle.get_root().hex() == our_root
    rows = []
    for key, ours, theirs in (
        (
            "inclusion",
            lambda p: inclusion_proof_at(ledger, p),
            lambda p: oracle.prove_inclusion(p, size),
        ),
        (
            "consistency",
            lambda p: consistency_proof_between(ledger, p),
            lambda p: oracle.prove_consistency(p, size),
        ),
    ):
        mine = _times(ours, positions)
        base = _times(theirs, positions)
        rows.append(
            ctx.row(
                key=f"proof-{key}",
                what=f"{key} proof at {size:,} events",
                target="≤ 1 ms each",
                unit="ms",
                better=LOWER,
                measured=median(mine),
                baseline=median(base),
                baseline_what="pymerkle 7 InmemoryTree on the same leaves",
                goal=TARGET_MS,
                details={
                    "proofs": len(positions),
                    "p99_ms": percentile(mine, 0.99),
                    "max_ms": max(mine),
                    "baseline_p99_ms": percentile(base, 0.99),
                    "pymerkle_build_seconds": build_seconds,
                    "pymerkle_root_equals_ours": same_root,
                },
                note="" if same_root else "pymerkle's root differs from the ledger's",
            )
        )
    return rows


def _times(prove: Callable[[int], Any], positions: list[int]) -> list[float]:
    for p in positions[:5]:
        prove(p)
    out = []
    for p in positions:
        started = time.perf_counter()
        prove(p)
        out.append(1000 * (time.perf_counter() - started))
    return out


def _pymerkle_tree(ledger: Ledger, size: int) -> Any:
    """pymerkle fed the ledger's canonical leaf data (it adds the RFC 9162 0x00 prefix)."""
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    with ledger.read() as tx:
        events = event_table(tx)
        for start in range(0, size, PAGE):
            for row in events.rows(tx, start, min(size, start + PAGE)):
                tree.append_entry(leaf_data(row[0], row[1], row[2], row[3], bytes(row[4])))
    return tree
