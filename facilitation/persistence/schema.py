"""The schema, through Alembic: ``upgrade_database`` brings any database to the newest revision."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .database import keep_private

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str) -> None:
    keep_private(url)
    command.upgrade(alembic_config(url), "head")
