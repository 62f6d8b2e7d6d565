"""Checkpoints as C2SP ``tlog-checkpoint`` signed notes (pure: no database).

A checkpoint note reads::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    timestamp <signing time, RFC 3339 UTC with microseconds>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The signature covers the text above the blank line, final newline included. The
timestamp is an extension line (C2SP lets logs add lines after the root hash).
"""

from __future__ import annotations

import base64
import binascii
import re

import msgspec

from infrastructure.merkle import HASH_SIZE
from infrastructure.tamper.errors import InvalidCheckpoint
from infrastructure.tamper.keys import SigningKey, VerifierKey

_SIGNATURE_LINE = re.compile(r"^\u2014 (\S+) ([A-Za-z0-9+/=]+)$")
_TIMESTAMP_PREFIX = "timestamp "
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: str

    def body(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n{_TIMESTAMP_PREFIX}{self.timestamp}\n"


class NoteSignature(msgspec.Struct, frozen=True):
    name: str
    key_id: bytes
    signature: bytes


class SignedCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    checkpoint: Checkpoint
    note: str
    signatures: tuple[NoteSignature, ...]

    def is_signed_by(self, key: VerifierKey) -> bool:
        message = self.checkpoint.body().encode()
        return any(
            s.name == key.name and s.key_id == key.key_id and key.verify(message, s.signature)
            for s in self.signatures
        )


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> SignedCheckpoint:
    body = checkpoint.body()
    signature = NoteSignature(key.name, key.key_id, key.sign(body.encode()))
    encoded = base64.b64encode(signature.key_id + signature.signature).decode()
    note = f"{body}\n\u2014 {key.name} {encoded}\n"
    return SignedCheckpoint(checkpoint=checkpoint, note=note, signatures=(signature,))


def parse_checkpoint(note: str) -> SignedCheckpoint:
    """Reads a signed checkpoint note; raises ``InvalidCheckpoint`` when malformed."""
    body, separator, signature_block = note.rpartition("\n\n")
    if not separator or not signature_block.endswith("\n"):
        raise _malformed("no signature block after a blank line")
    checkpoint = _parse_body(body + "\n")
    signatures = tuple(_parse_signature(line) for line in signature_block[:-1].split("\n"))
    return SignedCheckpoint(checkpoint=checkpoint, note=note, signatures=signatures)


def _parse_body(body: str) -> Checkpoint:
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise _malformed("fewer than three lines before the signatures")
    origin, size, root = lines[:3]
    if not origin or not _DECIMAL.match(size):
        raise _malformed("bad origin or tree size line")
    timestamps = [line for line in lines[3:] if line.startswith(_TIMESTAMP_PREFIX)]
    if len(timestamps) != 1:
        raise _malformed("expected exactly one timestamp line")
    checkpoint = Checkpoint(
        origin=origin,
        tree_size=int(size),
        root_hash=_decode(root, HASH_SIZE, "root hash"),
        timestamp=timestamps[0].removeprefix(_TIMESTAMP_PREFIX),
    )
    if checkpoint.body() != body:
        raise _malformed("the note is not in the canonical checkpoint form")
    return checkpoint


def _parse_signature(line: str) -> NoteSignature:
    match = _SIGNATURE_LINE.match(line)
    if match is None:
        raise _malformed(f"bad signature line {line[:40]!r}")
    raw = _decode(match.group(2), None, "signature")
    if len(raw) < 5:
        raise _malformed("signature too short")
    return NoteSignature(match.group(1), raw[:4], raw[4:])


def _decode(text: str, size: int | None, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _malformed(f"{what} is not base64") from None
    if size is not None and len(raw) != size:
        raise _malformed(f"{what} is not {size} bytes")
    if base64.b64encode(raw).decode() != text:
        raise _malformed(f"{what} is not canonical base64")
    return raw


def _malformed(reason: str) -> InvalidCheckpoint:
    return InvalidCheckpoint(f"malformed checkpoint note: {reason}")
