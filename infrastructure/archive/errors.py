"""Why an archive is not written or not loaded."""

from __future__ import annotations


class ArchiveError(Exception):
    """An archive that cannot be written, or a line that cannot be loaded (named in the message)."""
