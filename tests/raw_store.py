"""The ledger's database opened behind the application's back, as an intruder would."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg


class RawStore:
    """The ledger's database opened behind the application's back."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.sqlite = parsed.scheme == "sqlite"
        if self.sqlite:
            self.conn: Any = sqlite3.connect(parsed.path[1:], isolation_level=None)
            self.events, self.position, prefix = "stored_events", "rowid", ""
        else:
            schema = parse_qs(parsed.query)["schema"][0]
            self.conn = psycopg.connect(url.split("?", maxsplit=1)[0], autocommit=True)
            self.events, self.position, prefix = (
                f'"{schema}".ledger_events',
                "notification_id",
                f'"{schema}".',
            )
        self.nodes = f"{prefix}merkle_nodes"
        self.checkpoints = f"{prefix}signed_checkpoints"
        self.prefix = prefix

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(
            statement if self.sqlite else statement.replace("?", "%s"), params
        )
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> bytes:
        return bytes(
            self.run(f"SELECT state FROM {self.events} WHERE {self.position} = ?", (position,))[0][
                0
            ]
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.run(f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", (state, position))

    def flip_byte(self, position: int, inside: bytes) -> None:
        """Changes one byte of the event's payload (inside the given text, so it still decodes)."""
        state = self.state(position)
        at = state.index(inside)
        self.set_state(position, state[:at] + bytes([state[at] ^ 0x01]) + state[at + 1 :])

    def delete(self, position: int) -> None:
        self.run(f"DELETE FROM {self.events} WHERE {self.position} = ?", (position,))

    def swap(self, first: int, second: int) -> None:
        move = f"UPDATE {self.events} SET {self.position} = ? WHERE {self.position} = ?"
        self.run(move, (-1, first))
        self.run(move, (first, second))
        self.run(move, (second, -1))

    def truncate(self, keep: int) -> None:
        """Deletes every event after ``keep`` and every leaf and node that covers one."""
        self.run(f"DELETE FROM {self.events} WHERE {self.position} > ?", (keep,))
        doomed = [
            (level, index)
            for level, index in self.run(f"SELECT level, idx FROM {self.nodes}")
            if (index + 1) << level > keep
        ]
        for level, index in doomed:
            self.run(f"DELETE FROM {self.nodes} WHERE level = ? AND idx = ?", (level, index))

    def set_node(self, level: int, index: int, digest: bytes) -> None:
        self.run(
            f"UPDATE {self.nodes} SET hash = ? WHERE level = ? AND idx = ?", (digest, level, index)
        )

    def note(self, seq: int) -> str:
        return str(self.run(f"SELECT note FROM {self.checkpoints} WHERE seq = ?", (seq,))[0][0])

    def set_note(self, seq: int, note: str) -> None:
        self.run(f"UPDATE {self.checkpoints} SET note = ? WHERE seq = ?", (note, seq))

    def delete_checkpoints_after(self, seq: int) -> None:
        self.run(f"DELETE FROM {self.checkpoints} WHERE seq > ?", (seq,))

    def position_of(self, aggregate_id: str, version: int) -> int:
        return int(
            self.run(
                f"SELECT {self.position} FROM {self.events} "
                "WHERE originator_id = ? AND originator_version = ?",
                (aggregate_id, version),
            )[0][0]
        )

    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def close(self) -> None:
        self.conn.close()
