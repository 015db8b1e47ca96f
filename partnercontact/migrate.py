"""Running Alembic from the application, without an alembic.ini.

A data migration that reads sealed values gets the key ring from ``keys``, a loader the
caller passes (the command line loads the key file named by the configuration): it is
called only by a migration that has sealed values to read, so a new installation migrates
without a key file. See ``migrations/versions/20261206_0015_renormalise_phone_numbers.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from partnercontact.config import PROJECT_ROOT

if TYPE_CHECKING:
    from partnercontact.crypto.keyring import KeyRing

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("truncate_slug_length", "40")
    return cfg


def upgrade(
    database_url: str, revision: str = "head", *, keys: Callable[[], KeyRing] | None = None
) -> None:
    """Migrate to ``revision``. ``keys`` loads the key ring for a data migration that needs
    it (see the module's docstring); without it, such a migration stops if there is
    anything for it to read."""
    cfg = alembic_config(database_url)
    cfg.attributes["keys"] = keys
    command.upgrade(cfg, revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_at_head(database_url: str) -> bool:
    return current_revision(database_url) == head_revision(database_url)
