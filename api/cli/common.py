"""What every command shares: the store option, date parsing, one-line errors."""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import click
import msgspec
import psycopg
from eventsourcing.persistence import PersistenceError

from domain.errors import LedgerError
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.settings import StoreSettingError, resolve_database_url

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    "db",
    metavar="URL",
    default=None,
    help="Store: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
    "(default: $LEDGER_DATABASE_URL, else sqlite:///./label-ledger.db).",
)


class DateParam(click.ParamType[date, Any]):
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
        except StoreSettingError as error:
            fail(str(error))
        except (PersistenceError, sqlite3.DatabaseError, psycopg.Error) as error:
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


@contextmanager
def ledger_at(db: str | None) -> Iterator[Ledger]:
    ledger = open_ledger(resolve_database_url(db))
    try:
        yield ledger
    finally:
        ledger.close()
