"""Built-in formats (files) and the formats groups saved for themselves (database).

A saved format belongs to whoever saved it: the saving device sends an *owner key* (random,
kept in its own storage, stored here only as a hash) and only that key lists or uses it.
Nobody else's landing page or format list ever shows it. Saved formats are bounded in number
(per owner and in all) and size, and their names never reach the log: a saved format's id is
random, not made from its name.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path

from sqlalchemy import func, select

from ..engine import DomainError, Format, FormatLibrary
from ..engine.rules import FORMAT_NAME_MAX, clean_text
from .database import Database
from .models import SavedFormat

FORMATS_DIR = Path(__file__).resolve().parent.parent / "formats"
DEFAULT_FORMAT = "balint-classic"
OWN_FORMAT_PREFIX = "own-"  # every saved format's id starts so: never a built-in one
FORMATS_PER_OWNER = 20
FORMATS_IN_ALL = 2000
DOCUMENT_MAX_BYTES = 32 * 1024
_OWNER_KEY = re.compile(r"[A-Za-z0-9_-]{22,100}")


def owner_hash(owner: object) -> str | None:
    """The stored form of a well-formed owner key; None for anything else."""
    if not isinstance(owner, str) or not _OWNER_KEY.fullmatch(owner):
        return None
    return hashlib.sha256(owner.encode()).hexdigest()


class FormatStore:
    def __init__(self, db: Database, folder: Path = FORMATS_DIR) -> None:
        self.db = db
        self.library = FormatLibrary(folder)

    def built_in(self) -> list[Format]:
        return [self.library.formats[DEFAULT_FORMAT]] + [
            f for key, f in self.library.formats.items() if key != DEFAULT_FORMAT
        ]

    def all(self, owner: object = None) -> list[Format]:
        """The built-in formats, then those saved with this owner key (if any)."""
        owned = owner_hash(owner)
        if owned is None:
            return self.built_in()
        with self.db.session() as s:
            saved = s.scalars(select(SavedFormat).where(SavedFormat.owner_hash == owned)
                              .order_by(SavedFormat.created_at, SavedFormat.id)).all()
        return self.built_in() + [self._parse(row) for row in saved]

    def get(self, format_id: object, owner: object = None) -> Format | None:
        if not isinstance(format_id, str):
            return None
        if format_id in self.library.formats:
            return self.library.formats[format_id]
        owned = owner_hash(owner)
        if owned is None:
            return None
        with self.db.session() as s:
            row = s.scalar(select(SavedFormat).where(SavedFormat.slug == format_id, SavedFormat.owner_hash == owned))
        return self._parse(row) if row else None

    def _parse(self, row: SavedFormat) -> Format:
        return self.library.parse(json.loads(row.document), "saved format")

    def prepare(self, fmt: Format, name: object, owner: object) -> tuple[Format, str]:
        """Check everything about saving ``fmt`` as ``name`` before anything is stored; returns
        the format as it will be saved and the owner's hash. Refusals are ``DomainError``s."""
        owned = owner_hash(owner)
        if owned is None:
            raise DomainError("bad_request", "Saving a format needs this device's owner key.", field="owner")
        name = clean_text(name, FORMAT_NAME_MAX, field="save_as")
        document = fmt.to_dict()
        document.update(id=f"{OWN_FORMAT_PREFIX}{secrets.token_hex(6)}", name={"ru": name, "en": name})
        encoded = json.dumps(document, ensure_ascii=False)
        if len(encoded.encode()) > DOCUMENT_MAX_BYTES:
            raise DomainError("too_long", "The format is too large to save.", field="save_as")
        saved = self.library.parse(document, "saved format")  # validate before storing
        with self.db.session() as s:
            self._check_room(s, owned)
        return saved, owned

    def _check_room(self, s, owned: str) -> None:
        mine = s.scalar(select(func.count()).select_from(SavedFormat).where(SavedFormat.owner_hash == owned))
        if mine >= FORMATS_PER_OWNER:
            raise DomainError("too_many_formats", limit=FORMATS_PER_OWNER)
        if s.scalar(select(func.count()).select_from(SavedFormat)) >= FORMATS_IN_ALL:
            raise DomainError("too_many_formats", limit=FORMATS_IN_ALL)

    def save(self, saved: Format, owned: str) -> Format:
        """Store a format ``prepare`` made (the bounds are checked again in the transaction)."""
        with self.db.session() as s, s.begin():
            self._check_room(s, owned)
            s.add(SavedFormat(slug=saved.id, owner_hash=owned,
                              document=json.dumps(saved.to_dict(), ensure_ascii=False)))
        return saved
