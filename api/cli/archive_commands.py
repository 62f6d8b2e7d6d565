"""``label-ledger export | import | backup``: moving a ledger between stores, and copying it."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Progress, db_option, ledger_at, reports_errors
from infrastructure.admin.backup import backup_sqlite
from infrastructure.archive import export_ledger, import_archive
from infrastructure.archive.loader import read_header
from infrastructure.settings import resolve_database_url, store_settings
from infrastructure.tamper.keys import VerifierKey, load_verifier_key
from infrastructure.tamper.merkle_log import ledger_signing_key


@click.command("export")
@click.option("--out", "out", metavar="FILE", required=True, help="The archive to write.")
@db_option
@reports_errors
def export(out: str, db: str | None) -> None:
    """Write every stored event and signed checkpoint to FILE (gzip JSON lines)."""
    with ledger_at(db) as ledger:
        total = ledger.last_position()
        with Progress(total, "exporting") as bar:
            report = export_ledger(ledger, Path(out), bar.update)
    click.echo(
        f"exported {report.events} events and {report.checkpoints} checkpoint(s) to "
        f"{report.path} ({report.bytes:,} bytes); tree size {report.tree_size}, "
        f"root {report.root}"
    )


@click.command("import")
@click.argument("path", metavar="FILE")
@click.option(
    "--public-key",
    "public_key_value",
    metavar="KEY",
    default=None,
    help="The log's verifier key (file or text): checkpoint signatures are checked with it "
    "(default: from $LEDGER_SIGNING_KEY, if set).",
)
@db_option
@reports_errors
def import_(path: str, public_key_value: str | None, db: str | None) -> None:
    """Load an archive into an empty store, verifying every leaf and checkpoint on the way."""
    archive = Path(path)
    header = read_header(archive)
    with ledger_at(db) as ledger:
        key: VerifierKey | None = None
        if public_key_value:
            key = load_verifier_key(public_key_value)
        elif (signer := ledger_signing_key(ledger)) is not None:
            key = signer.verifier
        with Progress(header.events, "importing") as bar:
            report = import_archive(ledger, archive, public_key=key, progress=bar.update)
    signatures = (
        "signatures checked"
        if report.signatures_checked
        else "signatures NOT checked: no public key"
    )
    click.echo(
        f"imported {report.events} events and {report.checkpoints} checkpoint(s), every leaf "
        f"and checkpoint root verified ({signatures}); tree size {report.tree_size}, "
        f"root {report.root}"
    )


@click.command()
@click.option("--out", "out", metavar="FILE", required=True, help="The copy to write.")
@db_option
@reports_errors
def backup(out: str, db: str | None) -> None:
    """Copy a live SQLite ledger consistently (SQLite's backup API), then check the copy."""
    report = backup_sqlite(store_settings(resolve_database_url(db), "read"), Path(out))
    click.echo(
        f"backed up {report.source} to {report.path} ({report.bytes:,} bytes, store format "
        f"{report.format}): {report.events} events, root {report.root}; check it with "
        f"label-ledger verify --db sqlite:///{Path(report.path).absolute()}"
    )


COMMANDS = [export, import_, backup]
