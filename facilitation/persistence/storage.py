"""Start-up on damaged storage: say in one line what is wrong and what to do.

A full disk, a folder left read-only after a crash, or a database that does not answer would
otherwise end ``python app.py`` with a long traceback whose last line is a library's link.
"""
from __future__ import annotations

import errno

from sqlalchemy.engine import make_url

from .database import UNAVAILABLE, Database, describe
from .processes import write_probe
from .schema import upgrade_database


class StorageProblem(Exception):
    """Krug cannot start on this storage; ``str()`` is the one line for the operator."""


def check_storage(db: Database, url: str, migrate: bool) -> None:
    """Bring the schema up to date (when ``migrate``) and make one real write; raises
    ``StorageProblem`` naming the problem instead of a library's exception."""
    try:
        if migrate:
            upgrade_database(url)
        write_probe(db)
    except (OSError, *UNAVAILABLE) as exc:
        raise StorageProblem(explain(exc, url)) from exc


def explain(exc: BaseException, url: str) -> str:
    """One line: what is wrong with which storage, and what to do."""
    where = _where(url)
    text = str(getattr(exc, "orig", None) or exc).lower()
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text or "no space left" in text:
        return (f"the disk holding {where} is full: free some space there (or set KRUG_DATABASE_URL / "
                "KRUG_INSTANCE_DIR to another disk) and start Krug again")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text \
            or "unable to open database file" in text:
        return (f"{where} cannot be written (a read-only file system or folder, as a crash may leave "
                "it): make it writable for the user Krug runs as (e.g. mount -o remount,rw) and start Krug again")
    if url.startswith("sqlite"):
        return f"the database {where} cannot be used ({describe(exc)}): check the file and its folder, then start Krug again"
    return (f"the database at {where} does not answer ({describe(exc)}): start PostgreSQL or correct "
            "KRUG_DATABASE_URL, then start Krug again")


def _where(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or "the in-memory database"
    return parsed.render_as_string(hide_password=True)
