"""Tamper evidence on the command line: keys, checkpoints, proofs, verification, bundles."""

from __future__ import annotations

import os
from pathlib import Path

import click
import msgspec

from api.cli.common import db_option, fail, ledger_at, reports_errors
from api.cli.describe import describe
from infrastructure.auditor.state import load_state, read_leaves
from infrastructure.tamper import (
    SigningKey,
    VerifierKey,
    build_bundle,
    consistency_proof_between,
    encode_bundle,
    inclusion_proof_at,
    list_checkpoints,
    load_signing_key,
    load_verifier_key,
    make_checkpoint,
    parse_checkpoint,
    public_key_info,
    verify_bundle,
    verify_ledger,
)
from infrastructure.tamper.errors import NoSigningKey
from infrastructure.tamper.keys import (
    DEFAULT_KEY_NAME,
    SIGNING_KEY_VARIABLE,
    parse_verifier_key,
    write_key_pair,
)

key_option = click.option(
    "--key",
    "key_path",
    metavar="FILE",
    default=None,
    help=f"Signing key file (default: ${SIGNING_KEY_VARIABLE}).",
)


def signing_key(key_path: str | None, *, required: bool) -> SigningKey | None:
    path = key_path or os.environ.get(SIGNING_KEY_VARIABLE)
    if path:
        return load_signing_key(path)
    if required:
        msg = f"give --key FILE or set {SIGNING_KEY_VARIABLE} (make one with label-ledger keygen)"
        raise NoSigningKey(msg)
    return None


@click.command()
@click.option("--out", "out", metavar="FILE", default="label-ledger.key", show_default=True)
@click.option("--name", default=DEFAULT_KEY_NAME, show_default=True, help="The log's origin.")
@reports_errors
def keygen(out: str, name: str) -> None:
    """Create an Ed25519 checkpoint signing key (FILE, mode 0600) and FILE.pub."""
    private, public = write_key_pair(out, SigningKey.generate(name))
    click.echo(f"wrote signing key {private} (keep it outside the database) and {public}", err=True)
    click.echo(load_verifier_key(public).text())


@click.command("public-key")
@key_option
@click.option("--json", "as_json", is_flag=True, help="Print the key's details as JSON.")
@reports_errors
def public_key(key_path: str | None, as_json: bool) -> None:
    """Print the public (verifier) key auditors check checkpoints with."""
    key = signing_key(key_path, required=True)
    assert key is not None
    info = public_key_info(key)
    click.echo(msgspec.json.encode(info).decode() if as_json else info.verifier_key)


@click.command()
@key_option
@click.option("--out", "out", metavar="FILE", default=None, help="Also save the signed note here.")
@click.option("--list", "listing", is_flag=True, help="List the stored checkpoints instead.")
@db_option
@reports_errors
def checkpoint(key_path: str | None, out: str | None, listing: bool, db: str | None) -> None:
    """Sign a checkpoint of the log (C2SP signed note), store it and print it."""
    with ledger_at(db) as ledger:
        if listing:
            for info in list_checkpoints(ledger):
                click.echo(
                    f"#{info.seq:<4} size {info.tree_size:<9} root {info.root_hash}  "
                    f"{info.signed_at}  key {info.key_id}"
                )
            return
        key = signing_key(key_path, required=True)
        assert key is not None
        info = make_checkpoint(ledger, key)
    if out is not None:
        Path(out).write_text(info.note)
    click.echo(info.note, nl=False)


@click.command()
@click.option(
    "--since-checkpoint",
    "since_path",
    metavar="FILE",
    default=None,
    help="An auditor's saved checkpoint note the log must extend.",
)
@click.option(
    "--since-state",
    "since_state",
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="An audit client's state directory: its checkpoint must be extended, and a rewrite "
    "is named at the exact first position that changed.",
)
@click.option(
    "--public-key",
    "public_key_value",
    metavar="KEY",
    default=None,
    help="Verifier key file or text (default: from --key or $LEDGER_SIGNING_KEY).",
)
@key_option
@click.option("--jobs", type=click.IntRange(1, 64), default=1, help="Worker processes that hash.")
@click.option(
    "--deep",
    is_flag=True,
    help="Also compare each read model's columns and stored bytes with the folded events.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@reports_errors
def verify(
    since_path: str | None,
    since_state: Path | None,
    public_key_value: str | None,
    key_path: str | None,
    jobs: int,
    deep: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Recompute every leaf, node and checkpoint (root, heads, views), then every read model
    and the tokens table from the events; exit 1 at the first bad position."""
    since = parse_checkpoint(Path(since_path).read_text()) if since_path else None
    key = _verifier(public_key_value, key_path)
    known = None
    if since_state is not None:
        state = load_state(since_state)
        if state is None:
            fail(f"{since_state} holds no audit state (label-ledger audit --state DIR writes one)")
            return
        since = parse_checkpoint(state.note)
        key = key or parse_verifier_key(state.public_key)
        folder = since_state

        def known(first: int, last: int) -> list[bytes]:
            return read_leaves(folder, first, last)

    with ledger_at(db) as ledger:
        report = verify_ledger(
            ledger, public_key=key, since=since, jobs=jobs, deep=deep, known_leaves=known
        )
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
        raise SystemExit(0 if report.ok else 1)
    if not report.ok:
        fail(report.summary())
    click.echo(report.summary())


@click.command()
@click.argument("slug")
@click.option("--out", "out", metavar="FILE", required=True)
@click.option(
    "--key",
    "key_path",
    metavar="FILE",
    default=None,
    help="Sign a fresh checkpoint first, so the bundle covers every event.",
)
@db_option
@reports_errors
def bundle(slug: str, out: str, key_path: str | None, db: str | None) -> None:
    """Write a cluster's events, their inclusion proofs and the latest checkpoint to FILE."""
    signer = load_signing_key(key_path) if key_path else None
    with ledger_at(db) as ledger:
        written = build_bundle(ledger, slug, signer=signer)
    Path(out).write_bytes(encode_bundle(written.bundle))
    click.echo(
        f"wrote {out}: {len(written.bundle.events)} events of {slug} proven in the "
        f"checkpoint of tree size {written.tree_size}"
    )
    if written.later_events:
        click.echo(
            f"note: {written.later_events} later event(s) of {slug} are not covered; "
            "sign a checkpoint first (--key) to include them",
            err=True,
        )


@click.command("verify-bundle")
@click.argument("path", metavar="FILE")
@click.option(
    "--public-key",
    "public_key_value",
    metavar="KEY",
    required=True,
    help="The log's verifier key (file or text).",
)
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Accept a v1 bundle, which proves its events are in the log but not that it holds all.",
)
@reports_errors
def verify_bundle_command(path: str, public_key_value: str, allow_incomplete: bool) -> None:
    """Check a bundle offline (no database): signature, every leaf and inclusion proof, and
    that it holds every event of the cluster up to its checkpoint."""
    report = verify_bundle(
        Path(path).read_bytes(),
        load_verifier_key(public_key_value),
        allow_incomplete=allow_incomplete,
    )
    complete = "all" if report.complete else "NOT proven to be all of the"
    click.echo(
        f"OK: {len(report.events)} events of {report.cluster} proven in {report.origin} "
        f"at tree size {report.tree_size} (root {report.root_hash}, signed {report.signed_at}); "
        f"{complete} events of {report.cluster} up to it"
    )
    for proven in report.events:
        e = proven.event
        click.echo(
            f"  #{proven.position:<6} v{e.originator_version:<3} {e.effective_on}  {describe(e)}"
        )


@click.group()
def proof() -> None:
    """Print RFC 9162 proofs from the stored tree, as JSON."""


@proof.command("inclusion")
@click.argument("position", type=int)
@click.option("--tree-size", type=int, default=None, help="Default: the current tree size.")
@db_option
@reports_errors
def inclusion(position: int, tree_size: int | None, db: str | None) -> None:
    """Inclusion proof of the event at POSITION."""
    with ledger_at(db) as ledger:
        result = inclusion_proof_at(ledger, position, tree_size)
    click.echo(msgspec.json.encode(result).decode())


@proof.command("consistency")
@click.argument("first", type=int)
@click.argument("second", type=int, required=False)
@db_option
@reports_errors
def consistency(first: int, second: int | None, db: str | None) -> None:
    """Consistency proof from tree size FIRST to SECOND (default: the current size)."""
    with ledger_at(db) as ledger:
        result = consistency_proof_between(ledger, first, second)
    click.echo(msgspec.json.encode(result).decode())


def _verifier(public_key_value: str | None, key_path: str | None) -> VerifierKey | None:
    if public_key_value:
        return load_verifier_key(public_key_value)
    if key_path:
        return load_signing_key(key_path).verifier
    return None


COMMANDS = [keygen, public_key, checkpoint, verify, bundle, verify_bundle_command, proof]
