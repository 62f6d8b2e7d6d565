"""The one table from command type to the pure rule that decides it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from domain import cluster_commands as cc
from domain import stage_commands as sc
from domain import token_commands as tc
from domain.commands import (
    AwardEuropeanLabel,
    CloseStage,
    Command,
    CorrectClusterEvent,
    CorrectStageEvent,
    DissolveCluster,
    ExtendLabel,
    ExtendStagePeriod,
    GrantLabel,
    IssueToken,
    MergeCluster,
    OpenStage,
    RegisterCluster,
    RenameCluster,
    ReportMembership,
    ReportStageCount,
    ReviewCriteria,
    ReviseStageCriteria,
    RevokeToken,
    WithdrawLabel,
)
from domain.events import LedgerEvent
from domain.given import Given
from domain.values import Provenance

Rule = Callable[[Any, Given, Provenance], Sequence[LedgerEvent]]


class UndeclaredWrite(ValueError):
    """A rule returned an event of an aggregate its command does not declare it writes."""


def decide(command: Command, given: Given, p: Provenance) -> tuple[LedgerEvent, ...]:
    """The events that record ``command``, or a named domain error."""
    events = tuple(RULES[type(command)](command, given, p))
    declared = command.writes()
    for event in events:
        aggregate = event.originator_id
        if aggregate not in declared and not (
            command.READS_EVERY_CLUSTER and aggregate.startswith("cluster:")
        ):
            msg = f"{type(command).__name__} wrote {aggregate}, which it does not declare"
            raise UndeclaredWrite(msg)
    return events


RULES: dict[type[Command], Rule] = {
    OpenStage: sc.open_stage,
    ReviseStageCriteria: sc.revise_criteria,
    ExtendStagePeriod: sc.extend_period,
    ReportStageCount: sc.report_count,
    CloseStage: sc.close_stage,
    CorrectStageEvent: sc.correct_stage_event,
    RegisterCluster: cc.register_cluster,
    RenameCluster: cc.rename_cluster,
    MergeCluster: cc.merge_cluster,
    DissolveCluster: cc.dissolve_cluster,
    GrantLabel: cc.grant_label,
    ExtendLabel: cc.extend_label,
    WithdrawLabel: cc.withdraw_label,
    ReviewCriteria: cc.review_criteria,
    AwardEuropeanLabel: cc.award_european_label,
    ReportMembership: cc.report_membership,
    CorrectClusterEvent: cc.correct_cluster_event,
    IssueToken: tc.issue_token,
    RevokeToken: tc.revoke_token,
}
