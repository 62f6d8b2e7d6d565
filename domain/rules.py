"""Which rule decides each command: a rule names its command with ``@rule``, beside its
code, so a new command is its struct, its rule, its event and its test — no table to edit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from domain.commands import Command
from domain.events import LedgerEvent
from domain.given import Given
from domain.values import Provenance

Rule = Callable[[Any, Given, Provenance], Sequence[LedgerEvent]]
RULES: dict[type[Command], Rule] = {}

C = TypeVar("C", bound=Command)
D = TypeVar("D", bound=Callable[..., Sequence[LedgerEvent]])


def rule(command: type[C]) -> Callable[[D], D]:
    """Registers the decorated function as the rule deciding ``command``."""

    def register(decide: D) -> D:
        if command in RULES:
            msg = f"{command.__name__} already has a rule: {RULES[command].__name__}"
            raise ValueError(msg)
        RULES[command] = decide
        return decide

    return register
