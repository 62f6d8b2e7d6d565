"""The rules of access tokens, decided in memory: given commands, when one more runs, then
these events or this error (no store involved). The story's commands are recorded at
2026-01-01T00:00Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import Token, TokenIssued, TokenRotated
from domain.commands import IssueToken, RevokeToken, RotateToken
from domain.errors import InvalidTokenExpiry, TokenAlreadyRevoked, TokenNotFound
from domain.values import Provenance
from tests.builders import Story

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
OLD_HASH = "a" * 64
NEW_HASH = "b" * 64


def issuance(name: str = "dge", **facts: object) -> IssueToken:
    return IssueToken(name=name, role="admin", token_hash=OLD_HASH, **facts)  # type: ignore[arg-type]


def token(story: Story, name: str = "dge") -> Token:
    state: Token = story.decisions.state(f"token:{name}")
    return state


def test_a_token_issued_with_an_expiry_records_it() -> None:
    expires = RECORDED + timedelta(days=90)
    (issued,) = Story().when(issuance(expires_at=expires))
    assert isinstance(issued, TokenIssued)
    assert issued.expires_at == expires


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(days=-1)])
def test_an_expiry_not_after_the_issuing_is_refused(offset: timedelta) -> None:
    with pytest.raises(InvalidTokenExpiry, match="is not after"):
        Story().when(issuance(expires_at=RECORDED + offset))


def test_a_token_reads_expired_from_its_expiry_on() -> None:
    expires = RECORDED + timedelta(hours=1)
    story = Story().given(issuance(expires_at=expires))
    assert token(story).state(expires - timedelta(seconds=1)) == "active"
    assert token(story).state(expires) == "expired"


def test_a_token_without_expiry_never_expires() -> None:
    story = Story().given(issuance())
    assert token(story).state(datetime(9999, 1, 1, tzinfo=UTC)) == "active"


def test_a_revoked_token_reads_revoked_even_past_its_expiry() -> None:
    expiring = issuance(expires_at=RECORDED + timedelta(hours=1))
    story = Story().given(expiring, RevokeToken(name="dge"))
    assert token(story).state(RECORDED + timedelta(days=1)) == "revoked"


def test_revoking_an_unknown_token_is_refused() -> None:
    with pytest.raises(TokenNotFound):
        Story().when(RevokeToken(name="nobody"))


def test_revoking_twice_is_refused() -> None:
    story = Story().given(issuance(), RevokeToken(name="dge"))
    with pytest.raises(TokenAlreadyRevoked):
        story.when(RevokeToken(name="dge"))


def test_a_rotation_records_the_new_hash_and_keeps_role_and_expiry() -> None:
    expires = RECORDED + timedelta(days=90)
    story = Story().given(issuance(expires_at=expires))
    (rotated,) = story.when(RotateToken(name="dge", token_hash=NEW_HASH))
    assert isinstance(rotated, TokenRotated)
    assert (rotated.originator_version, rotated.role, rotated.expires_at) == (2, "admin", expires)
    assert (token(story).token_hash, token(story).role) == (NEW_HASH, "admin")
    assert token(story).expires_at == expires


def test_a_rotation_may_give_a_new_role_and_expiry() -> None:
    story = Story().given(issuance())
    expires = RECORDED + timedelta(days=30)
    story.when(RotateToken(name="dge", token_hash=NEW_HASH, role="auditor", expires_at=expires))
    assert (token(story).role, token(story).expires_at) == ("auditor", expires)


def test_rotating_an_unknown_token_is_refused() -> None:
    with pytest.raises(TokenNotFound):
        Story().when(RotateToken(name="nobody", token_hash=NEW_HASH))


def test_rotating_a_revoked_token_is_refused() -> None:
    story = Story().given(issuance(), RevokeToken(name="dge"))
    with pytest.raises(TokenAlreadyRevoked):
        story.when(RotateToken(name="dge", token_hash=NEW_HASH))


def test_rotating_a_token_past_its_expiry_needs_a_new_expiry() -> None:
    story = Story().given(issuance(expires_at=RECORDED + timedelta(hours=1)))
    two_hours_later = Provenance(actor="test-admin", recorded_at=RECORDED + timedelta(hours=2))
    with pytest.raises(InvalidTokenExpiry):
        story.decisions.decide(RotateToken(name="dge", token_hash=NEW_HASH), two_hours_later)
    renewed = RotateToken(name="dge", token_hash=NEW_HASH, expires_at=RECORDED + timedelta(days=1))
    story.decisions.decide(renewed, two_hours_later)
    assert token(story).state(RECORDED + timedelta(hours=2)) == "active"
