"""Stored events outlive their schema: old topics are decoded and upcast."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
from eventsourcing.persistence import StoredEvent

from domain.events import ClusterRegistered
from domain.values import cluster_id
from infrastructure.event_catalogue import register_legacy_topic
from infrastructure.ledger import Ledger
from infrastructure.store.event_reads import last_position


class ClusterRegisteredV0(msgspec.Struct, frozen=True, kw_only=True):
    """A hypothetical first schema: one region as a string, no themes, no website."""

    originator_id: str
    originator_version: int
    timestamp: datetime
    actor: str
    effective_on: date
    slug: str
    name: str
    region: str


def upcast_v0(old: ClusterRegisteredV0) -> ClusterRegistered:
    return ClusterRegistered(
        originator_id=old.originator_id,
        originator_version=old.originator_version,
        timestamp=old.timestamp,
        actor=old.actor,
        effective_on=old.effective_on,
        slug=old.slug,
        name=old.name,
        regions=(old.region,),
    )


register_legacy_topic("label-ledger/ClusterRegistered/v0", ClusterRegisteredV0, upcast_v0)


def stored_by_an_earlier_release(ledger: Ledger, stored: StoredEvent) -> None:
    """The row an earlier release wrote, appended as it is (with its leaf and read models)."""
    with ledger.write() as tx:
        ledger.store.lock_for_append(tx)
        ledger.store.append_in(tx, last_position(tx), [stored], [None])


def test_an_event_stored_under_an_old_schema_is_read_as_the_current_one(ledger: Ledger) -> None:
    old_payload = msgspec.json.encode(
        {
            "originator_id": cluster_id("aerospace-valley"),
            "originator_version": 1,
            "timestamp": datetime(2006, 1, 1, tzinfo=UTC),
            "actor": "migration",
            "effective_on": date(2005, 7, 12),
            "slug": "aerospace-valley",
            "name": "Aerospace Valley",
            "region": "Midi-Pyrénées",
        }
    )
    stored_by_an_earlier_release(
        ledger,
        StoredEvent(
            cluster_id("aerospace-valley"), 1, "label-ledger/ClusterRegistered/v0", old_payload
        ),
    )
    cluster = ledger.get_cluster("aerospace-valley")
    assert cluster.regions == ("Midi-Pyrénées",)
    assert cluster.themes == ()


def test_a_compatible_addition_decodes_old_payloads_with_the_default(ledger: Ledger) -> None:
    """A payload written before ``website`` existed still decodes: the field has a default."""
    payload = msgspec.json.encode(
        {
            "originator_id": cluster_id("polymeris"),
            "originator_version": 1,
            "timestamp": datetime(2021, 1, 1, tzinfo=UTC),
            "actor": "migration",
            "effective_on": date(2020, 12, 31),
            "slug": "polymeris",
            "name": "Polymeris",
        }
    )
    stored_by_an_earlier_release(
        ledger, StoredEvent(cluster_id("polymeris"), 1, ClusterRegistered.TOPIC, payload)
    )
    assert ledger.get_cluster("polymeris").website is None
