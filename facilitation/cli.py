"""Operator commands: ``flask --app app db upgrade`` and friends."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str) -> None:
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def register_cli(app: Flask) -> None:
    @app.cli.group("db")
    def db_group() -> None:
        """Database schema (Alembic migrations)."""

    @db_group.command("upgrade")
    def db_upgrade() -> None:
        """Bring the schema to the newest migration (safe to run again)."""
        upgrade_database(current_app.config["DATABASE_URL"])
        click.echo("database schema is up to date")

    @app.cli.command("purge")
    @click.option("--hours", type=float, default=None, help="Retention window (default: KRUG_RETENTION_HOURS).")
    def purge(hours: float | None) -> None:
        """Erase the case content of every room older than the retention window."""
        from .privacy import purge_expired
        from .services import services

        window = current_app.config["RETENTION_HOURS"] if hours is None else hours
        count = purge_expired(services().db, window)
        click.echo(f"erased the content of {count} room(s) older than {window:g} h")
