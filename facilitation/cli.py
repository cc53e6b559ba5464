"""Operator commands: ``flask --app app db upgrade`` and ``flask --app app purge``."""
from __future__ import annotations

import click
from flask import Flask, current_app

from .persistence.retention import purge_expired
from .persistence.schema import upgrade_database
from .services import services


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
        window = current_app.config["RETENTION_HOURS"] if hours is None else hours
        count = purge_expired(services().rooms, window)
        click.echo(f"erased the content of {count} room(s) older than {window:g} h")
