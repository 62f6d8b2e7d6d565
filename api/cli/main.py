"""The ``label-ledger`` command."""

from __future__ import annotations

import click

from api.cli import (
    archive_commands,
    audit_commands,
    db_commands,
    history_commands,
    projection_commands,
    seed_commands,
    serve_commands,
    snapshot_commands,
    tamper_commands,
    token_commands,
)

COMMAND_MODULES = [
    seed_commands,
    history_commands,
    projection_commands,
    serve_commands,
    token_commands,
    tamper_commands,
    snapshot_commands,
    db_commands,
    archive_commands,
    audit_commands,
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="label-ledger")
def cli() -> None:
    """An event-sourced audit ledger of the French pôles de compétitivité label."""


for module in COMMAND_MODULES:
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="label-ledger")
