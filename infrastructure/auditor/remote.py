"""The ledger server as the audit client sees it: a few GETs, nothing trusted.

Every answer is checked by the caller against signatures and recomputed hashes; this
module only fetches and decodes, and turns any transport or HTTP failure into one
``RemoteError`` line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec

from infrastructure.tamper.leaf import LeafInputs

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_lines = msgspec.json.Decoder(LeafInputs)


class RemoteError(RuntimeError):
    """The server could not be asked, or answered with an error."""


class Remote:
    def __init__(
        self, url: str, token: str | None = None, http: httpx.Client | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.owned = http is None
        self.http = http or httpx.Client(base_url=self.url, timeout=TIMEOUT)
        self.http.headers.update(headers)

    def close(self) -> None:
        if self.owned:
            self.http.close()

    def json(self, path: str, **params: Any) -> Any:
        response = self._get(path, params)
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError as error:
            raise RemoteError(f"GET {path} did not answer JSON: {error}") from None

    def latest_note(self) -> str:
        return str(self.json("/ledger/checkpoint")["note"])

    def notes(self) -> list[str]:
        return [str(info["note"]) for info in self.json("/ledger/checkpoints")]

    def public_key(self) -> str:
        return str(self.json("/ledger/public-key")["verifier_key"])

    def consistency_path(self, first: int, second: int) -> list[bytes]:
        proof = self.json("/ledger/proofs/consistency", first=first, second=second)
        return _hashes(proof.get("path", []))

    def inclusion(self, position: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        proof = self.json("/ledger/proofs/inclusion", position=position, tree_size=tree_size)
        return _hash(proof.get("leaf_hash", "")), _hashes(proof.get("path", []))

    def position(self) -> int:
        position = self.json("/healthz")["position"]
        if position is None:  # the server answers, its store does not
            raise RemoteError("GET /healthz: the server's store does not answer; retry later")
        return int(position)

    def entries(
        self, after: int, upto: int | None = None, aggregate: str | None = None
    ) -> Iterator[list[LeafInputs]]:
        """The feed in ``(after, upto]`` as batches of entries, streamed."""
        params: dict[str, Any] = {"after": after}
        if upto is not None:
            params["upto"] = upto
        if aggregate is not None:
            params["aggregate"] = aggregate
        try:
            with self.http.stream("GET", "/events/stream", params=params) as response:
                _raise_for(response, "/events/stream")
                pending = b""
                for chunk in response.iter_bytes(1 << 20):
                    data = pending + chunk
                    cut = data.rfind(b"\n") + 1
                    pending = data[cut:]
                    if cut:
                        yield _decode_lines(data[:cut])
                if pending:
                    yield _decode_lines(pending)
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot read {self.url}/events/stream: {error}") from None

    def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        try:
            response = self.http.get(path, params=params)
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot reach {self.url}{path}: {error}") from None
        _raise_for(response, path)
        return response


def _raise_for(response: httpx.Response, path: str) -> None:
    if response.status_code == 200:
        return
    if response.is_stream_consumed is False:
        response.read()
    try:
        detail = msgspec.json.decode(response.content).get("detail", "")
    except (msgspec.DecodeError, AttributeError):
        detail = response.text[:200]
    raise RemoteError(f"GET {path} answered {response.status_code}: {detail}")


def _decode_lines(data: bytes) -> list[LeafInputs]:
    try:
        return _lines.decode_lines(data)
    except msgspec.DecodeError as error:
        raise RemoteError(f"the feed holds a line that is not an entry: {error}") from None


def _hash(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


def _hashes(texts: list[str]) -> list[bytes]:
    return [_hash(text) for text in texts]
