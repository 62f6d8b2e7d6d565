"""Checkpoints as C2SP ``tlog-checkpoint`` signed notes (pure: no database).

A checkpoint note reads::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    [extension lines]

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The signature covers the text above the blank line, final newline included. C2SP lets a
log add extension lines after the root hash; a plain checkpoint has none, and lines this
log does not know are kept and signed over as they are. The log writes three:

    timestamp <signing time, RFC 3339 UTC with microseconds>
    label-ledger/heads/v1 <base64 root of the heads tree at this size>
    label-ledger/views/v1 <base64 digest of the derived views at this size>

(see ``heads.py`` and ``domain/view_digest.py``). Checkpoints signed before the last two
existed carry only the timestamp and stay valid.

A note is signed by this log when at least one signature line names its key (name and
key id) and *every* such line verifies: a note carrying a good and a bad signature by
the same key is rejected, as C2SP's signed-note verifiers do.
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
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
TIMESTAMP = "timestamp"
HEADS = "label-ledger/heads/v1"
VIEWS = "label-ledger/views/v1"
_KNOWN_HASH_LINES = (HEADS, VIEWS)


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: str | None = None
    heads_root: bytes | None = None
    views_digest: bytes | None = None
    other_extensions: tuple[str, ...] = ()
    """Extension lines this log does not interpret, kept verbatim (after its own)."""

    def body(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        lines = [self.origin, str(self.tree_size), root, *self.extension_lines()]
        return "\n".join(lines) + "\n"

    def extension_lines(self) -> list[str]:
        lines = []
        if self.timestamp is not None:
            lines.append(f"{TIMESTAMP} {self.timestamp}")
        if self.heads_root is not None:
            lines.append(f"{HEADS} {base64.b64encode(self.heads_root).decode()}")
        if self.views_digest is not None:
            lines.append(f"{VIEWS} {base64.b64encode(self.views_digest).decode()}")
        return [*lines, *self.other_extensions]


class NoteSignature(msgspec.Struct, frozen=True):
    name: str
    key_id: bytes
    signature: bytes


class SignedCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    checkpoint: Checkpoint
    note: str
    signatures: tuple[NoteSignature, ...]

    def is_signed_by(self, key: VerifierKey) -> bool:
        """At least one signature line by ``key``, and every line by ``key`` verifies."""
        message = self.checkpoint.body().encode()
        by_key = [s for s in self.signatures if s.name == key.name and s.key_id == key.key_id]
        return bool(by_key) and all(key.verify(message, s.signature) for s in by_key)


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> SignedCheckpoint:
    body = checkpoint.body()
    signature = NoteSignature(key.name, key.key_id, key.sign(body.encode()))
    encoded = base64.b64encode(signature.key_id + signature.signature).decode()
    note = f"{body}\n\u2014 {key.name} {encoded}\n"
    return SignedCheckpoint(checkpoint=checkpoint, note=note, signatures=(signature,))


def parse_checkpoint(note: str) -> SignedCheckpoint:
    """Reads a signed checkpoint note; raises ``InvalidCheckpoint`` when malformed."""
    body, separator, signature_block = note.partition("\n\n")
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
    if not origin or not origin.isprintable() or not _DECIMAL.match(size):
        raise _malformed("bad origin or tree size line")
    fields: dict[str, str] = {}
    others: list[str] = []
    for line in lines[3:]:
        if not line or not line.isprintable():
            raise _malformed("an empty or unprintable extension line")
        name, _, value = line.partition(" ")
        if name in (TIMESTAMP, *_KNOWN_HASH_LINES) and not others:
            if name in fields:
                raise _malformed(f"more than one {name!r} line")
            fields[name] = value
        else:
            others.append(line)
    checkpoint = Checkpoint(
        origin=origin,
        tree_size=int(size),
        root_hash=_decode(root, HASH_SIZE, "root hash"),
        timestamp=fields.get(TIMESTAMP),
        heads_root=_optional_hash(fields.get(HEADS), "heads root"),
        views_digest=_optional_hash(fields.get(VIEWS), "views digest"),
        other_extensions=tuple(others),
    )
    if checkpoint.body() != body:
        raise _malformed("the note is not in the canonical checkpoint form")
    return checkpoint


def _optional_hash(text: str | None, what: str) -> bytes | None:
    return None if text is None else _decode(text, HASH_SIZE, what)


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
    except (binascii.Error, ValueError):
        raise _malformed(f"{what} is not base64") from None
    if size is not None and len(raw) != size:
        raise _malformed(f"{what} is not {size} bytes")
    if base64.b64encode(raw).decode() != text:
        raise _malformed(f"{what} is not canonical base64")
    return raw


def _malformed(reason: str) -> InvalidCheckpoint:
    return InvalidCheckpoint(f"malformed checkpoint note: {reason}")
