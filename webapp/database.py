"""Database glue: a UTC datetime column type, claiming rows for a worker, and SQLite pragmas."""
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import DateTime, TypeDecorator

from .extensions import db


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def fields_changed(obj, fields) -> bool:
    """Whether any of these attributes of an object about to be flushed has changed (flush listeners)."""
    return any(get_history(obj, name).has_changes() for name in fields)


ATTEMPTS = 3
T = TypeVar("T")


def commit_retrying(work: Callable[[], T]) -> T:
    """Do `work` and commit. When another transaction changed a row `work` changed since it was read (a
    versioned row: StaleDataError), roll back and do it again on what is there now, up to ATTEMPTS times.
    For changes that do not depend on what the person saw (an acknowledgement, a note, a status move by
    the API without If-Match): they are applied in turn, never on a state already gone. A change made on
    a state the person saw checks that state itself and is refused (a Conflict)."""
    attempt = 1
    while True:
        try:
            done = work()
            db.session.commit()
            return done
        except StaleDataError:
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise
            attempt += 1


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def claim_rows(query):
    """Lock the rows a worker takes and skip rows another worker holds (FOR UPDATE SKIP LOCKED on
    PostgreSQL, so several workers share the work). SQLite lets one writer in at a time instead."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def insert_once(model, values: dict, unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT (unique) DO NOTHING on SQLite and PostgreSQL alike: a row that two requests
    add at once (a retry, a double tap) is kept once, with no error and no savepoint. True if inserted."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
                 .returning(model.__table__.primary_key.columns.values()[0]))
    return db.session.execute(statement).first() is not None  # a row skipped returns nothing


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets the web server and a worker share SQLite; foreign keys are off unless asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

