"""Persistence around the engine: the database, each room's state in one transaction per
command, saved formats, credentials, retention, and the process rows of a multi-process set-up.

Imports only the engine (and SQLAlchemy/Alembic); never Flask, Socket.IO or the shells.
"""
