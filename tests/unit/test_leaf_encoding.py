"""Specification of leaf encoding v1: fixed bytes, fixed hashes, no drift."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.events import LabelGranted, MembershipReported
from domain.values import MemberCounts
from infrastructure.merkle import leaf_hash
from infrastructure.tamper.leaf import (
    LEAF_VERSION,
    UndecodableEvent,
    leaf_data,
    leaf_hash_of,
    leaf_hashes,
    payload_hash,
    recorded_at,
)

KNOWN_STATE = (
    b'{"originator_id":"cluster:polymeris","originator_version":3,'
    b'"timestamp":"2023-03-27T09:30:00.000001Z","actor":"Minist\xc3\xa8re de l\'Industrie",'
    b'"effective_on":"2023-03-27","source":null,"idempotency_key":"req-7","stage":5,'
    b'"decided_on":"2023-03-27","decided_by":"The State"}'
)
KNOWN_ROW = (42, "cluster:polymeris", 3, "label-ledger/LabelGranted/v1", KNOWN_STATE)
KNOWN_PAYLOAD_HASH = "377e10a0c26e6fb9dea8edca120c7440abe73a87e95bfda9f491d2a2d06d7361"
KNOWN_LEAF_DATA = (
    b"label-ledger/leaf/v1\n"
    b'[42,"cluster:polymeris",3,"label-ledger/LabelGranted/v1",'
    b'"2023-03-27T09:30:00.000001Z","2023-03-27","Minist\xc3\xa8re de l\'Industrie","req-7",'
    b'"377e10a0c26e6fb9dea8edca120c7440abe73a87e95bfda9f491d2a2d06d7361"]'
)
# SHA-256(0x00 || KNOWN_LEAF_DATA), computed with sha256sum outside Python.
KNOWN_LEAF_HASH = "0f2d82d09c1992f53d1034a9574301ab64200b59e311fafe4c48e5f4088d2bab"


def test_the_known_answer_vector_gives_the_pinned_bytes_and_hash() -> None:
    assert payload_hash(KNOWN_STATE) == KNOWN_PAYLOAD_HASH
    assert leaf_data(*KNOWN_ROW) == KNOWN_LEAF_DATA
    assert leaf_hash_of(*KNOWN_ROW).hex() == KNOWN_LEAF_HASH


def test_the_leaf_is_an_rfc_9162_leaf_of_the_versioned_encoding() -> None:
    assert LEAF_VERSION == "label-ledger/leaf/v1"
    assert leaf_data(*KNOWN_ROW).startswith(b"label-ledger/leaf/v1\n")
    assert leaf_hash_of(*KNOWN_ROW) == leaf_hash(KNOWN_LEAF_DATA)


def test_the_batch_path_equals_the_reference_path_on_the_known_row() -> None:
    assert leaf_hashes([KNOWN_ROW]) == [bytes.fromhex(KNOWN_LEAF_HASH)]


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, 43),
        (1, "cluster:polymeris2"),
        (2, 4),
        (3, "label-ledger/LabelWithdrawn/v1"),
        (4, KNOWN_STATE.replace(b"The State", b"The Stale")),
    ],
)
def test_every_envelope_column_and_the_payload_change_the_leaf(index: int, value: object) -> None:
    row = list(KNOWN_ROW)
    row[index] = value
    assert leaf_hash_of(*row) != bytes.fromhex(KNOWN_LEAF_HASH)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("old", "new", "in_leaf"),
    [
        (b"09:30:00.000001Z", b"09:30:00.000002Z", b'"2023-03-27T09:30:00.000002Z"'),
        (b'"effective_on":"2023-03-27"', b'"effective_on":"2023-03-28"', b'"2023-03-28"'),
        (b"Industrie", b"Industrio", b"Industrio"),
        (b"req-7", b"req-8", b'"req-8"'),
    ],
)
def test_every_envelope_field_in_the_payload_is_in_the_leaf(
    old: bytes, new: bytes, in_leaf: bytes
) -> None:
    """Recorded time, effective date, actor and idempotency key are leaf fields, not only hashed."""
    data = leaf_data(*KNOWN_ROW[:4], KNOWN_STATE.replace(old, new))
    assert in_leaf in data


def test_fields_outside_the_envelope_reach_the_leaf_only_through_the_payload_hash() -> None:
    state = KNOWN_STATE.replace(b"The State", b"The Regions")
    data = leaf_data(*KNOWN_ROW[:4], state)
    assert b"Regions" not in data
    assert payload_hash(state).encode() in data


def test_an_absent_idempotency_key_is_encoded_as_null() -> None:
    state = KNOWN_STATE.replace(b'"idempotency_key":"req-7"', b'"idempotency_key":null')
    assert b',null,"' in leaf_data(*KNOWN_ROW[:4], state)


def test_a_state_that_is_no_event_envelope_is_undecodable_with_its_position() -> None:
    rows = [KNOWN_ROW, (43, "cluster:x", 1, "t", b'{"actor": 1}')]
    with pytest.raises(UndecodableEvent) as raised:
        leaf_hashes(rows)
    assert raised.value.position == 43


def test_recorded_time_is_read_verbatim_from_the_stored_state() -> None:
    assert recorded_at(42, KNOWN_STATE) == "2023-03-27T09:30:00.000001Z"


texts = st.text(max_size=30)


@given(
    position=st.integers(1, 2**40),
    version=st.integers(1, 10_000),
    actor=texts,
    key=st.none() | texts,
    sme=st.integers(0, 10**6),
    microsecond=st.integers(0, 999_999),
)
def test_batch_and_reference_leaves_agree_for_any_stored_event(
    position: int, version: int, actor: str, key: str | None, sme: int, microsecond: int
) -> None:
    event = MembershipReported(
        originator_id="cluster:aerospace-valley",
        originator_version=version,
        timestamp=datetime(2024, 5, 1, 8, 0, 0, microsecond, tzinfo=UTC),
        actor=actor,
        effective_on=date(2024, 5, 1),
        idempotency_key=key,
        as_of=date(2023, 12, 31),
        members=MemberCounts(sme=sme),
    )
    state = msgspec.json.encode(event)
    row = (position, event.originator_id, version, MembershipReported.TOPIC, state)
    assert leaf_hashes([row]) == [leaf_hash(leaf_data(*row))]


def test_the_leaf_of_a_real_event_carries_its_envelope() -> None:
    event = LabelGranted(
        originator_id="cluster:polymeris",
        originator_version=4,
        timestamp=datetime(2023, 3, 27, 9, 30, tzinfo=UTC),
        actor="ministère",
        effective_on=date(2023, 3, 27),
        stage=5,
        decided_on=date(2023, 3, 27),
        decided_by="The State",
        effective_from=date(2023, 3, 27),
    )
    data = leaf_data(368, "cluster:polymeris", 4, LabelGranted.TOPIC, msgspec.json.encode(event))
    assert data.startswith(
        b'label-ledger/leaf/v1\n[368,"cluster:polymeris",4,"label-ledger/LabelGranted/v1",'
        b'"2023-03-27T09:30:00Z","2023-03-27","minist\xc3\xa8re",null,"'
    )
