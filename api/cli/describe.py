"""One readable line per event, for people reading a history."""

from __future__ import annotations

from domain import events as ev
from domain.events import LedgerEvent


def describe(event: LedgerEvent) -> str:  # noqa: PLR0911, PLR0912 - one branch per event type
    e = event
    if isinstance(e, ev.ClusterRegistered):
        regions = f" ({', '.join(e.regions)})" if e.regions else ""
        return f"registered as {e.name}{regions}"
    if isinstance(e, ev.ClusterRenamed):
        return f"renamed {e.name}"
    if isinstance(e, ev.ClusterMerged):
        return f"merged into {e.into.removeprefix('cluster:')}"
    if isinstance(e, ev.ClusterAbsorbed):
        return f"absorbed {e.absorbed.removeprefix('cluster:')}"
    if isinstance(e, ev.ClusterDissolved):
        return f"dissolved: {e.reason}"
    if isinstance(e, ev.LabelGranted):
        return _granted(e)
    if isinstance(e, ev.LabelExtended):
        kept = f", conditions: {'; '.join(e.conditions)}" if e.conditions else ", conditions lifted"
        return f"stage {e.stage} label extended to {e.valid_until}{kept} ({e.reason})"
    if isinstance(e, ev.LabelWithdrawn):
        return f"stage {e.stage} label withdrawn by {e.decided_by}: {e.reason}"
    if isinstance(e, ev.LabelExpired):
        return f"stage {e.stage} label expired as the stage closed"
    if isinstance(e, ev.CriteriaReviewed):
        cls = f", {e.classification}" if e.classification else ""
        return f"stage {e.stage} {e.kind} by {e.reviewer}: {e.outcome}{cls}"
    if isinstance(e, ev.EuropeanLabelAwarded):
        until = f" until {e.valid_until}" if e.valid_until else ""
        return f"European cluster label {e.level} from {e.issuer}{until}"
    if isinstance(e, ev.MembershipReported):
        return f"membership reported: {e.members.total} members"
    if isinstance(e, ev.EventCorrected):
        what = "retracted" if e.amended is None else f"amended {sorted(e.amended)}"
        return f"correction of version {e.target_version}: {what} ({e.reason})"
    if isinstance(e, ev.StageOpened):
        return f"stage {e.number} opened: {e.title} ({e.starts_on} to {e.ends_on})"
    if isinstance(e, ev.StageClosed):
        return f"stage closed on {e.closed_on}"
    if isinstance(e, ev.StagePeriodExtended):
        return f"stage period extended to {e.ends_on}"
    if isinstance(e, ev.StageCriteriaRevised):
        return f"stage criteria revised ({len(e.criteria)} criteria)"
    if isinstance(e, ev.StageCountReported):
        return f"{e.reported.count} clusters reported: {e.reported.description}"
    return type(e).__name__


def _granted(e: ev.LabelGranted) -> str:
    kind = "conditional label" if e.conditions else "label"
    tier = f" [{e.tier}]" if e.tier else ""
    until = f" until {e.valid_until}" if e.valid_until else ""
    conditions = f"; conditions: {'; '.join(e.conditions)}" if e.conditions else ""
    return f"stage {e.stage} {kind}{tier} granted by {e.decided_by}{until}{conditions}"
