"""Ledger archives: every stored event and signed checkpoint, exported as they are stored and
imported into an empty store only after each line is verified."""

from __future__ import annotations

from infrastructure.archive.errors import ArchiveError
from infrastructure.archive.export import ExportReport, export_ledger
from infrastructure.archive.loader import ImportReport, import_archive

__all__ = ["ArchiveError", "ExportReport", "ImportReport", "export_ledger", "import_archive"]
