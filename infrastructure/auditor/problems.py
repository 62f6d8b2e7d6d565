"""What an audit can find: the first problem, its position and what is wrong there."""

from __future__ import annotations

import msgspec

CHECKPOINT_FORGED = "checkpoint-forged"
CHECKPOINT_HEADS_DIFFER = "checkpoint-heads-differ"
CHECKPOINT_VIEWS_DIFFER = "checkpoint-views-differ"
EVENT_CHANGED = "event-changed"
FEED_INCONSISTENT = "feed-inconsistent"
LOG_REWRITTEN = "log-rewritten"
LOG_TRUNCATED = "log-truncated"
PAYLOAD_ALTERED = "payload-altered"
READ_MODEL_DIFFERS = "read-model-differs"
ROW_DELETED = "row-deleted"
ROWS_REORDERED = "rows-reordered"
SERVED_VIEW_DIFFERS = "served-view-differs"


class AuditProblem(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    kind: str
    detail: str


class AuditFailed(Exception):
    def __init__(self, problem: AuditProblem) -> None:
        super().__init__(problem.detail)
        self.problem = problem
