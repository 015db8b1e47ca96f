"""The database handle shared by every domain package.

Models subclass :class:`Model` (that is ``db.Model``). Constraint names follow one convention
so Alembic migrations are deterministic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ColumnElement, DateTime, MetaData, Select, event, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        """``db.Model`` as the type checker sees it: a declarative base with Flask-SQLAlchemy's
        additions. (``db.Model`` is made at run time, so mypy cannot use it as a base class.)"""

else:
    Model = db.Model


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone; normalising on the way in and out means comparisons with the
    clock never mix naive and aware values on either database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the worker and the web process
    # read while the other writes.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def count_rows(query: Select[*tuple[Any, ...]]) -> int:
    """How many rows ``query`` returns, counted by the database: a menu's count goes
    through the same scoped query as its list without loading the list."""
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def take_write_lock(model: type[Any], *conditions: ColumnElement[bool]) -> None:
    """Before reading the rows of ``model`` meeting ``conditions`` to decide on a change:
    on SQLite, which has no row locks and reads outside a transaction, a write that changes
    nothing takes the database's one writer lock, so two requests deciding at once decide one
    after the other. The caller then reads the rows ``with_for_update()`` (the row locks on
    PostgreSQL) and ``populate_existing``. Losing the race on SQLite surfaces as "database is
    locked", which the web answers with 409."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    key = sa_inspect(model).primary_key[0]
    db.session.execute(
        update(model)
        .where(*conditions)
        .values({key.name: key})
        .execution_options(synchronize_session=False)
    )
