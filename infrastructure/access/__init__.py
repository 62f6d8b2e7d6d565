"""Access to the HTTP API: token lookup table and idempotency records, both written in
the append transaction of the events they derive from."""

from __future__ import annotations

from infrastructure.access.hook import AccessHook

__all__ = ["AccessHook"]
