"""What every command shares: the store option, date parsing, one-line errors."""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import click
import msgspec
import psycopg
from eventsourcing.persistence import PersistenceError

from domain.errors import LedgerError
from infrastructure.archive.errors import ArchiveError
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.settings import (
    StoreMode,
    StoreSettingError,
    resolve_database_url,
)
from infrastructure.store.errors import StoreError, store_error_from

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    "db",
    metavar="URL",
    default=None,
    help="Store: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
    "(default: $LEDGER_DATABASE_URL, else sqlite:///./label-ledger.db).",
)


class DateParam(click.ParamType[date]):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (expected YYYY-MM-DD)", param, ctx)


DATE = DateParam()


def fail(message: str, code: int = 1) -> None:
    click.echo(f"label-ledger: error: {message}", err=True)
    sys.exit(code)


def reports_errors(command: F) -> F:
    """Turns every expected failure into one line on stderr and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LedgerError as error:
            fail(f"{error.title.lower()}: {error}")
        except (StoreSettingError, StoreError, ArchiveError) as error:
            fail(str(error))
        except (PersistenceError, sqlite3.Error, psycopg.Error) as error:
            lines = str(error).strip().splitlines()
            fail(f"database error: {lines[0] if lines else type(error).__name__}")
        except (msgspec.DecodeError, TypeError, ValueError) as error:
            # Stored data that no longer decodes or has the wrong type: a damaged store
            # (the corruption fuzzer's finding), not an input of the caller.
            fail(f"stored data is damaged (run label-ledger verify): {error}")
        except BrokenPipeError:
            # The reader (e.g. `head`) went away: not an error of ours.
            sys.stderr.close()
            sys.exit(0)
        except OSError as error:
            fail(f"{type(error).__name__}: {error}")
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


class Progress:
    """A progress bar on stderr when a person watches it (a terminal), else nothing."""

    def __init__(
        self, length: int, label: str, item_show_func: Callable[[Any], str | None] | None = None
    ) -> None:
        self.bar: Any = None
        if sys.stderr.isatty():
            self.bar = click.progressbar(
                length=length,
                label=label,
                file=sys.stderr,
                show_eta=True,
                show_pos=True,
                item_show_func=item_show_func,
            )

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def update(self, steps: int, item: Any = None) -> None:
        if self.bar is not None:
            self.bar.update(steps, item)


ModeRule = StoreMode | Callable[[Mapping[str, Any]], StoreMode]

COMMAND_MODES: dict[str, ModeRule] = {
    # Only these may create a store (when none is there).
    "seed": "create",
    "db init": "create",
    "token create": "create",
    "import": "create",
    # These write to an existing store.
    "rebuild": "write",
    "db upgrade": "write",  # the one command that opens a store of an older format
    "serve": "write",  # falls back to "read" on a read-only store (see serve_commands)
    "token revoke": "write",
    "token rotate": "write",
    "checkpoint": lambda params: "read" if params.get("listing") else "write",
    "bundle": lambda params: "write" if params.get("key_path") else "read",
    # Everything else reads, from a read-only file or role too.
    "db check": "read",
    "status": "read",
    "regions": "read",
    "themes": "read",
    "stage": "read",
    "report": "read",
    "history": "read",
    "token list": "read",
    "verify": "read",
    "verify-snapshots": "read",
    "proof inclusion": "read",
    "proof consistency": "read",
    "export": "read",
    "backup": "read",
}
"""How each command opens its store, in one place. A command absent from here reads."""


def command_mode() -> StoreMode:
    """The mode of the command being run (``write`` outside of the command line)."""
    context = click.get_current_context(silent=True)
    if context is None:
        return "write"
    name = context.command_path.partition(" ")[2]
    rule = COMMAND_MODES.get(name, "read")
    return rule if isinstance(rule, str) else rule(context.params)


@contextmanager
def ledger_at(db: str | None, mode: StoreMode | None = None) -> Iterator[Ledger]:
    """The ledger at ``--db`` (else the environment's), opened in the command's mode.

    A driver error met while the command works on it (a damaged page, a write on a
    read-only file) becomes one line naming the store.
    """
    url = resolve_database_url(db)
    ledger = open_ledger(url, mode or command_mode())
    try:
        yield ledger
    except (PersistenceError, sqlite3.Error, psycopg.Error) as error:
        problem = store_error_from(error, ledger.settings.where)
        if problem is None:
            raise
        raise problem from None
    finally:
        ledger.close()
