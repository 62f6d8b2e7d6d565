"""Ed25519 checkpoint keys, in the signed-note key formats of golang.org/x/mod/sumdb/note.

* signer key (the private key file, kept outside the database)::

      PRIVATE+KEY+<name>+<key id: 8 hex>+<base64(0x01 || 32-byte seed)>

* verifier key (the public key, printed, served and given to auditors)::

      <name>+<key id: 8 hex>+<base64(0x01 || 32-byte public key)>

The key id is the first four bytes of SHA-256(name || "\\n" || 0x01 || public key), so
any C2SP signed-note verifier accepts these keys; the name is the log's origin.
"""

from __future__ import annotations

import base64
import binascii
import os
from hashlib import sha256
from pathlib import Path

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infrastructure.tamper.errors import SigningKeyError

SIGNING_KEY_VARIABLE = "LEDGER_SIGNING_KEY"
PUBLIC_KEY_VARIABLE = "LEDGER_PUBLIC_KEY"
DEFAULT_KEY_NAME = "label-ledger.example/poles-de-competitivite"
ED25519 = b"\x01"
_PRIVATE_PREFIX = "PRIVATE+KEY+"


class VerifierKey:
    """A log's public key: checks the signatures of its checkpoints."""

    def __init__(self, name: str, public_key: bytes) -> None:
        check_key_name(name)
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def text(self) -> str:
        encoded = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


class SigningKey:
    """A log's private key: signs checkpoints."""

    def __init__(self, name: str, seed: bytes) -> None:
        check_key_name(name)
        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self._seed = seed
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = VerifierKey(name, public)
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str = DEFAULT_KEY_NAME) -> SigningKey:
        return cls(name, os.urandom(32))

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def text(self) -> str:
        encoded = base64.b64encode(ED25519 + self._seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"


class PublicKeyInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the log publishes about its key (JSON-friendly)."""

    name: str
    key_id: str
    algorithm: str
    public_key: str
    verifier_key: str


def public_key_info(key: SigningKey | VerifierKey) -> PublicKeyInfo:
    verifier = key.verifier if isinstance(key, SigningKey) else key
    return PublicKeyInfo(
        name=verifier.name,
        key_id=verifier.key_id.hex(),
        algorithm="Ed25519",
        public_key=base64.b64encode(verifier.public_key).decode(),
        verifier_key=verifier.text(),
    )


def key_id(name: str, public_key: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    """C2SP: a non-empty name without '+', spaces or control characters (it is a note line)."""
    if not name or "+" in name or any(c.isspace() or not c.isprintable() for c in name):
        msg = f"invalid key name {name!r}: non-empty, no spaces, control characters or '+'"
        raise SigningKeyError(msg)


def parse_signing_key(text: str) -> SigningKey:
    if not text.startswith(_PRIVATE_PREFIX):
        msg = "not a signing key (expected 'PRIVATE+KEY+<name>+<id>+<key>')"
        raise SigningKeyError(msg)
    name, seed = _parse_key_fields(text.removeprefix(_PRIVATE_PREFIX), "signing key")
    key = SigningKey(name, seed)
    _check_declared_id(text, key.key_id)
    return key


def parse_verifier_key(text: str) -> VerifierKey:
    if text.startswith(_PRIVATE_PREFIX):
        return parse_signing_key(text).verifier
    name, public = _parse_key_fields(text, "public key")
    key = VerifierKey(name, public)
    _check_declared_id(text, key.key_id)
    return key


def load_signing_key(path: str | Path) -> SigningKey:
    return parse_signing_key(_read_key_file(Path(path), "signing key"))


def load_verifier_key(value: str | Path) -> VerifierKey:
    """A public key from a file (``.pub`` or the signing key itself), or given inline."""
    path = Path(value)
    if path.is_file():
        return parse_verifier_key(_read_key_file(path, "public key"))
    if "+" in str(value):
        return parse_verifier_key(str(value).strip())
    msg = f"public key {str(value)!r} is neither a key file nor a verifier key"
    raise SigningKeyError(msg)


def configured_signing_key(environ: dict[str, str] | None = None) -> SigningKey | None:
    """The key named by ``LEDGER_SIGNING_KEY``, if any (read when a ledger is opened)."""
    env = os.environ if environ is None else environ
    path = env.get(SIGNING_KEY_VARIABLE)
    return load_signing_key(path) if path else None


def configured_verifier_key(environ: dict[str, str] | None = None) -> VerifierKey | None:
    """The published key named by ``LEDGER_PUBLIC_KEY`` (a ``.pub`` file or the key's text),
    so a server can publish it without holding the private key."""
    env = os.environ if environ is None else environ
    value = env.get(PUBLIC_KEY_VARIABLE)
    if not value:
        return None
    path = Path(value)
    text = _read_key_file(path, "public key") if path.is_file() else value.strip()
    if text.startswith(_PRIVATE_PREFIX):
        msg = f"{PUBLIC_KEY_VARIABLE} holds a private key; give the public one (FILE.pub)"
        raise SigningKeyError(msg)
    return parse_verifier_key(text)


def write_key_pair(path: str | Path, key: SigningKey) -> tuple[Path, Path]:
    """Writes the private key (mode 0600, never overwritten) and ``<path>.pub``."""
    private_path = Path(path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for existing in (private_path, public_path):
        if existing.exists():
            msg = f"{existing} already exists; refusing to overwrite a key"
            raise SigningKeyError(msg)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.text() + "\n")
    public_path.write_text(key.verifier.text() + "\n")
    return private_path, public_path


def _parse_key_fields(text: str, what: str) -> tuple[str, bytes]:
    # The base64 key may itself contain '+': only the first two split fields.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        msg = f"malformed {what}: expected '<name>+<id>+<key>'"
        raise SigningKeyError(msg)
    name, _, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        msg = f"malformed {what}: the key is not base64"
        raise SigningKeyError(msg) from None
    if len(raw) != 33 or raw[:1] != ED25519:
        msg = f"malformed {what}: not an Ed25519 key"
        raise SigningKeyError(msg)
    return name, raw[1:]


def _check_declared_id(text: str, actual: bytes) -> None:
    declared = text.strip().removeprefix(_PRIVATE_PREFIX).split("+")[1]
    if declared.lower() != actual.hex():
        msg = f"key id {declared} does not match the key (expected {actual.hex()})"
        raise SigningKeyError(msg)


def _read_key_file(path: Path, what: str) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        msg = f"{what} file {path} not found"
        raise SigningKeyError(msg) from None
    except (OSError, UnicodeDecodeError) as error:
        msg = f"cannot read {what} file {path}: {error}"
        raise SigningKeyError(msg) from None
