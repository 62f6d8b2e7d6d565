"""Every command has its rule, named beside the rule's code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.commands import Command, RevokeToken
from domain.decisions import RULES
from domain.rules import rule


def concrete(command: type[Command]) -> Iterator[type[Command]]:
    for sub in command.__subclasses__():
        if sub.__subclasses__():
            yield from concrete(sub)
        else:
            yield sub


def test_every_command_has_a_rule() -> None:
    assert {c.__name__ for c in concrete(Command)} == {c.__name__ for c in RULES}


def test_a_command_cannot_have_two_rules() -> None:
    with pytest.raises(ValueError, match="RevokeToken already has a rule: revoke_token"):
        rule(RevokeToken)(lambda c, given, p: [])
