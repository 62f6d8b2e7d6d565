"""A cluster's status as of an effective date, as known at a ledger position or recorded time,
replayed from the events on each store: a retroactive correction is told from what was known."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest
from click.testing import CliRunner

from api.cli.main import cli
from domain.commands import WithdrawLabel
from domain.errors import ClusterNotFound
from infrastructure.ledger import Ledger
from infrastructure.projections import queries as q
from tests.builders import (
    ADMIN,
    correction,
    grant_stage_4,
    open_stage_4,
    register,
    registration,
    run,
    stage_4_grant,
)

JUNE_2019 = date(2019, 6, 1)


@pytest.fixture
def corrected(ledger: Ledger) -> int:
    """Aerospace Valley granted from 1 January 2019, then corrected to 1 July 2019.

    Returns the last ledger position before the correction.
    """
    open_stage_4(ledger)
    register(ledger, "aerospace-valley")
    grant_stage_4(ledger, "aerospace-valley", effective_from=date(2019, 1, 1))
    before = ledger.last_position()
    run(ledger, correction(
        "cluster:aerospace-valley@2", reason="the decision took effect in July",
        amended={"effective_from": "2019-07-01"},
    ))
    return before


def test_an_as_of_query_gives_different_answers_before_and_after_a_retroactive_correction(
    ledger: Ledger, corrected: int
) -> None:
    then = q.cluster_status_as_of(
        ledger, "aerospace-valley", as_of=JUNE_2019, known_at_position=corrected
    )
    now = q.cluster_status_as_of(ledger, "aerospace-valley", as_of=JUNE_2019)
    assert (then.status, then.effective_from) == ("labelled", date(2019, 1, 1))
    assert (now.status, now.effective_from) == ("unlabelled", None)
    assert (then.status_known_now, then.revised_later) == ("unlabelled", True)
    assert now.revised_later is False


def test_known_at_a_recorded_time_is_the_knowledge_of_that_moment(
    ledger: Ledger, corrected: int
) -> None:
    history = ledger.positioned_events("cluster:aerospace-valley")
    correction_time = history[-1].event.timestamp
    before = q.cluster_status_as_of(
        ledger, "aerospace-valley", as_of=JUNE_2019,
        known_at_time=correction_time - timedelta(microseconds=1),
    )
    after = q.cluster_status_as_of(
        ledger, "aerospace-valley", as_of=JUNE_2019, known_at_time=correction_time
    )
    assert (before.status, before.position) == ("labelled", corrected)
    assert (after.status, after.position) == ("unlabelled", ledger.last_position())


def test_the_history_shows_both_the_original_and_the_correction(
    ledger: Ledger, corrected: int
) -> None:
    view = q.cluster_status_as_of(ledger, "aerospace-valley", as_of=date(2020, 1, 1))
    grant, correction = view.history[1], view.history[2]
    assert (grant.type, grant.corrected_by) == ("LabelGranted", ("cluster:aerospace-valley@3",))
    assert (correction.type, correction.corrects) == (
        "EventCorrected", "cluster:aerospace-valley@2",
    )
    assert view.status == "labelled"
    assert view.effective_from == date(2019, 7, 1)


def test_a_retracted_withdrawal_restores_the_label_as_of_any_later_date(ledger: Ledger) -> None:
    open_stage_4(ledger)
    register(ledger, "novalog")
    grant_stage_4(ledger, "novalog")
    run(ledger, WithdrawLabel(
        slug="novalog", decided_on=date(2020, 1, 10), effective_on=date(2020, 2, 1),
        decided_by="State", reason="recorded for the wrong pôle",
    ))
    assert q.cluster_status_as_of(ledger, "novalog", as_of=date(2020, 6, 1)).status == "withdrawn"
    run(ledger, correction("cluster:novalog@3", reason="wrong pôle"))
    view = q.cluster_status_as_of(ledger, "novalog", as_of=date(2020, 6, 1))
    assert view.status == "labelled"
    assert [e.counted for e in view.history] == [True, True, False, True]


def test_a_cluster_not_yet_registered_is_named_and_marked_not_registered(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    view = q.cluster_status_as_of(ledger, "aerospace-valley", as_of=date(2000, 1, 1))
    assert (view.status, view.name) == ("not-registered", "Aerospace Valley")
    assert view.registered_on is not None
    assert view.registered_on > date(2000, 1, 1)
    assert view.stage is None
    assert [(e.type, e.counted) for e in view.history] == [("ClusterRegistered", False)]


def test_an_unknown_cluster_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(ClusterNotFound):
        q.cluster_status_as_of(ledger, "atlantis", as_of=JUNE_2019)


def test_the_replay_does_not_read_the_read_models(ledger: Ledger, corrected: int) -> None:
    """The bitemporal answer is computed from the events, so it stands when read models stop."""
    with ledger.write() as tx:
        tx.execute(f"UPDATE {tx.table('projection_tracking')} SET position = 0")
    view = q.cluster_status_as_of(ledger, "aerospace-valley", as_of=date(2020, 1, 1))
    assert view.status == "labelled"


def test_history_command_shows_the_correction_and_what_was_known_then(
    ledger: Ledger, corrected: int, store_url: str
) -> None:
    runner = CliRunner()
    now = runner.invoke(
        cli, ["history", "aerospace-valley", "--as-of", "2019-06-01", "--db", store_url]
    )
    assert now.exit_code == 0, now.output
    assert "[amended by cluster:aerospace-valley@3]" in now.output
    assert "correction of version 2: amended ['effective_from']" in now.output
    assert "status on 2019-06-01: unlabelled" in now.output
    then = runner.invoke(cli, [
        "history", "aerospace-valley", "--as-of", "2019-06-01", "--known-at", str(corrected),
        "--db", store_url,
    ])
    assert then.exit_code == 0, then.output
    assert "status on 2019-06-01: labelled (stage 4, from 2019-01-01" in then.output
    assert "as known now: unlabelled (later entries of the ledger revised" in then.output


@pytest.fixture
def backfilled(ledger: Ledger) -> Ledger:
    """The issue's repro: registered today without a date, then its 2025 label
    back-filled: granted from 15 January (a weakly sourced fact), withdrawn from 2 June."""
    open_stage_4(
        ledger, number=5, title="Phase V", starts_on=date(2023, 1, 1), ends_on=date(2026, 12, 31)
    )
    run(ledger, registration("enter", "ENTER", registered_on=None))
    run(
        ledger,
        stage_4_grant(
            "enter", stage=5, decided_on=date(2025, 1, 10), effective_from=date(2025, 1, 15)
        ),
        msgspec.structs.replace(ADMIN, evidence="weak"),
    )
    run(ledger, WithdrawLabel(
        slug="enter", decided_on=date(2025, 5, 20), effective_on=date(2025, 6, 2),
        decided_by="State", reason="criteria no longer met",
    ))
    return ledger


def test_a_back_filled_label_answers_labelled_before_the_registration_was_recorded(
    backfilled: Ledger, store_url: str
) -> None:
    view = q.cluster_status_as_of(backfilled, "enter", as_of=date(2025, 3, 1))
    assert (view.status, view.stage, view.name) == ("labelled", 5, "ENTER")
    runner = CliRunner()
    told = runner.invoke(cli, ["history", "enter", "--as-of", "2025-03-01", "--db", store_url])
    assert told.exit_code == 0, told.output
    assert "status on 2025-03-01: labelled (stage 5, from 2025-01-15" in told.output
    assert "[evidence: weak]" in told.output
    listed = runner.invoke(cli, ["status", "--on", "2025-03-01", "--db", store_url])
    assert listed.exit_code == 0, listed.output
    assert "labelled" in next(line for line in listed.output.splitlines() if "enter" in line)
    after = runner.invoke(cli, ["history", "enter", "--as-of", "2025-07-01", "--db", store_url])
    assert "status on 2025-07-01: withdrawn" in after.output


def test_before_anything_took_effect_the_cli_says_not_yet_registered(
    backfilled: Ledger, store_url: str
) -> None:
    runner = CliRunner()
    told = runner.invoke(cli, ["history", "enter", "--as-of", "2024-06-01", "--db", store_url])
    assert told.exit_code == 0, told.output
    assert "status on 2024-06-01: not yet registered (registered on" in told.output
    card = runner.invoke(cli, ["status", "enter", "--on", "2024-06-01", "--db", store_url])
    assert card.exit_code == 1
    assert card.output.count("\n") == 1
    assert "not yet registered on 2024-06-01" in card.output


def test_stated_evidence_only_leaves_the_weakly_sourced_grant_out(
    backfilled: Ledger, store_url: str
) -> None:
    runner = CliRunner()
    all_facts = runner.invoke(cli, ["status", "enter", "--on", "2025-03-01", "--db", store_url])
    stated = runner.invoke(
        cli, ["status", "enter", "--on", "2025-03-01", "--evidence", "stated", "--db", store_url]
    )
    assert "labelled" in all_facts.output
    # Without the grant, nothing of the cluster had taken effect by then.
    assert stated.exit_code == 1
    assert "not yet registered on 2025-03-01" in stated.output
