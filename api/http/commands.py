"""Every command the HTTP API accepts: the path it is posted to, and the body it reads.

A request body *is* the command: its fields, less those the path names (a cluster's slug,
a stage's number), plus the provenance that travels with any command (``source`` and
``evidence``). The body types are derived from the command structs here, once, so the
command's declaration is the body's schema, its validation and its OpenAPI description.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from domain import commands as c
from domain.commands import Command, Line
from domain.errors import ClusterNotFound, StageNotFound
from domain.values import SLUG_PATTERN, Evidence

_PARAMETER = re.compile(r"\{(\w+)\}")
Source = Annotated[
    Line, msgspec.Meta(description="Where the decision is published (URL or reference)")
]
PROVENANCE = (
    ("source", Source | None, None),
    ("evidence", Evidence | None, None),
)


class Exposed:
    """One command at one path: ``POST path`` with the command as its body."""

    def __init__(self, path: str, command: type[Command], answer: str) -> None:
        self.path = path
        self.command = command
        self.answer = answer
        self.parameters = tuple(_PARAMETER.findall(path))
        self.pattern = re.compile("^" + _PARAMETER.sub(lambda m: f"(?P<{m[1]}>[^/]+)", path) + "$")
        self.body = body_type(command, self.parameters)
        self.fields = tuple(
            f.name for f in msgspec.structs.fields(command) if f.name not in self.parameters
        )
        self.tag = path.split("/")[1]

    def creates(self) -> bool:
        """Whether the command creates its target (no ``If-Match`` can apply)."""
        return not self.parameters

    def command_of(self, body: Any, path_values: dict[str, Any]) -> Command:
        values = {name: getattr(body, name) for name in self.fields}
        return self.command(**path_values, **values)


def body_type(command: type[Command], path_fields: tuple[str, ...]) -> type[msgspec.Struct]:
    """The command's fields less the path's, plus provenance, as a strict struct."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in msgspec.structs.fields(command):
        if field.name in path_fields:
            continue
        if field.required:
            fields.append((field.name, field.type))
        else:
            fields.append((field.name, field.type, field.default))
    return msgspec.defstruct(
        command.__name__,
        [*fields, *PROVENANCE],
        kw_only=True,
        frozen=True,
        forbid_unknown_fields=True,
        module=__name__,
    )


def path_values(exposed: Exposed, match: re.Match[str]) -> dict[str, Any]:
    """The path's values, or not found: an address no cluster or stage can have."""
    values: dict[str, Any] = {}
    for name, raw in match.groupdict().items():
        if name == "slug":
            if len(raw) > 64 or not SLUG_PATTERN.match(raw):
                msg = f"no cluster {raw!r} in the ledger"
                raise ClusterNotFound(msg)
            values[name] = raw
        else:
            if not raw.isdigit() or not 1 <= int(raw) <= 999:
                msg = f"no stage {raw} in the ledger"
                raise StageNotFound(msg)
            values[name] = int(raw)
    return values


WRITES: tuple[Exposed, ...] = (
    Exposed("/stages", c.OpenStage, "Stage opened"),
    Exposed("/stages/{number}/criteria-revisions", c.ReviseStageCriteria, "Criteria revised"),
    Exposed("/stages/{number}/period-extensions", c.ExtendStagePeriod, "Period extended"),
    Exposed("/stages/{number}/reported-counts", c.ReportStageCount, "Count recorded"),
    Exposed("/stages/{number}/closure", c.CloseStage, "Stage closed"),
    Exposed("/stages/{number}/corrections", c.CorrectStageEvent, "Correction recorded"),
    Exposed("/clusters", c.RegisterCluster, "Cluster registered"),
    Exposed("/clusters/{slug}/label-grants", c.GrantLabel, "Label granted"),
    Exposed("/clusters/{slug}/label-extensions", c.ExtendLabel, "Label extended"),
    Exposed("/clusters/{slug}/label-withdrawals", c.WithdrawLabel, "Label withdrawn"),
    Exposed("/clusters/{slug}/criteria-reviews", c.ReviewCriteria, "Review recorded"),
    Exposed("/clusters/{slug}/european-labels", c.AwardEuropeanLabel, "European label awarded"),
    Exposed("/clusters/{slug}/membership-reports", c.ReportMembership, "Membership reported"),
    Exposed("/clusters/{slug}/merger", c.MergeCluster, "Merger recorded"),
    Exposed("/clusters/{slug}/renaming", c.RenameCluster, "Renaming recorded"),
    Exposed("/clusters/{slug}/dissolution", c.DissolveCluster, "Dissolution recorded"),
    Exposed("/clusters/{slug}/corrections", c.CorrectClusterEvent, "Correction recorded"),
)


def find_write(path: str) -> tuple[Exposed, re.Match[str]] | None:
    for exposed in WRITES:
        match = exposed.pattern.match(path)
        if match is not None:
            return exposed, match
    return None
