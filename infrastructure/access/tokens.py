"""API access tokens: who a presented secret identifies, derived from the token events.

Only the events authorise: the registry folds every event of a ``token:`` aggregate
(``domain.access.project_token``) as read from the log, never from a table a database
user could write a row into. It follows the log by position: the writer hands it every
token event it appends or finds appended by another process, and readers refresh it with
one query when the log moved.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import msgspec

from domain.access import Role, Token, project_token
from domain.events import LedgerEvent
from infrastructure.access.last_used import LastUse
from infrastructure.mapper import MsgspecMapper
from infrastructure.store.errors import StoreDamaged
from infrastructure.store.event_reads import last_position, prefix_end
from infrastructure.store.event_table import events_table
from infrastructure.store.sql import Tx

TOKEN_PREFIX = "llt_"
TOKEN_IDS = "token:"


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Whoever a valid (unrevoked, unexpired) token identifies."""

    name: str
    role: Role
    token_hash: str


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenRegistry:
    """Every token's state, as of the ledger position the registry has reached."""

    def __init__(self) -> None:
        self._by_name: dict[str, Token] = {}
        self._by_hash: dict[str, Token] = {}
        self.position = 0
        self._lock = threading.Lock()
        self.clock: Callable[[], datetime] = _utc_now
        """What time it is for expiries (tests move it on)."""
        self.last_use = LastUse()

    def absorb(self, events: Iterable[LedgerEvent], position: int) -> None:
        """Folds token events recorded up to ``position`` (others are ignored)."""
        with self._lock:
            for event in events:
                if not event.originator_id.startswith(TOKEN_IDS):
                    continue
                known = self._by_name.get(event.originator_id.removeprefix(TOKEN_IDS))
                if known is not None and event.originator_version <= known.version:
                    continue  # a reader's older view must not undo a newer state
                token = project_token(known, [event])
                if token is not None:
                    self._by_name[token.name] = token
                    self._by_hash[token.token_hash] = token
            self.position = max(self.position, position)

    def refresh(self, tx: Tx, decode: MsgspecMapper) -> None:
        """Catches up with the log in ``tx`` (one query when it moved)."""
        position = last_position(tx)
        if position == self.position:
            return
        table, column = events_table(tx)
        tx.execute(
            f"SELECT {column}, topic, state FROM {table} "
            "WHERE originator_id >= ? AND originator_id < ? ORDER BY originator_id, "
            "originator_version",
            (TOKEN_IDS, prefix_end(TOKEN_IDS)),
        )
        events = [
            _decoded(decode, int(at), str(topic), bytes(state))
            for at, topic, state in tx.fetchall()
            if self.position < int(at) <= position
        ]
        self.absorb(events, position)

    def caller(self, secret: str) -> Caller | None:
        """The caller a presented secret identifies, or None if unknown, revoked or expired."""
        presented = hash_secret(secret)
        with self._lock:
            found = self._by_hash.get(presented)
            token = None if found is None else self._by_name.get(found.name)
        # The lookup is by hash; the constant-time comparison keeps the final check
        # free of timing differences whatever the dictionary does. The name's current
        # token must still carry this hash: a replaced secret stops working.
        if token is None or not hmac.compare_digest(token.token_hash, presented):
            return None
        if not self._authorises(token):
            return None
        self.last_use.note(token.name)
        return Caller(name=token.name, role=token.role, token_hash=token.token_hash)

    def still_valid(self, caller: Caller) -> bool:
        """The caller's token is still the named, unrevoked, unexpired token of that role."""
        with self._lock:
            token = self._by_name.get(caller.name)
        return (
            token is not None
            and self._authorises(token)
            and token.role == caller.role
            and hmac.compare_digest(token.token_hash, caller.token_hash)
        )

    def _authorises(self, token: Token) -> bool:
        if token.is_revoked:
            return False
        return token.expires_at is None or not token.is_expired(self.clock())

    def tokens(self) -> list[Token]:
        with self._lock:
            return sorted(self._by_name.values(), key=lambda token: token.name)


def _decoded(decode: MsgspecMapper, position: int, topic: str, state: bytes) -> LedgerEvent:
    """A token event; one that no longer decodes fails every authentication (fail closed)."""
    try:
        return decode.decode_state(topic, state)
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError, TypeError, KeyError) as error:
        msg = f"the token event at position {position} cannot be read ({error})"
        raise StoreDamaged(f"{msg}: run label-ledger verify") from None


def _utc_now() -> datetime:
    return datetime.now(UTC)
