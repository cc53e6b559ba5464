"""Built-in formats (files) and the formats groups saved for themselves (database)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from ..engine import Format, FormatError, FormatLibrary
from ..engine.rules import FORMAT_NAME_MAX
from .database import Database
from .models import SavedFormat

FORMATS_DIR = Path(__file__).resolve().parent.parent / "formats"
DEFAULT_FORMAT = "balint-classic"
OWN_FORMAT_PREFIX = "own-"  # every saved format's id starts so: never a built-in one


class FormatStore:
    def __init__(self, db: Database, folder: Path = FORMATS_DIR) -> None:
        self.db = db
        self.library = FormatLibrary(folder)

    def all(self) -> list[Format]:
        built_in = [self.library.formats[DEFAULT_FORMAT]] + [
            f for key, f in self.library.formats.items() if key != DEFAULT_FORMAT
        ]
        with self.db.session() as s:
            saved = s.scalars(select(SavedFormat).order_by(SavedFormat.created_at)).all()
        return built_in + [self.library.parse(json.loads(row.document), f"saved format {row.slug}") for row in saved]

    def get(self, format_id: str) -> Format | None:
        return next((f for f in self.all() if f.id == format_id), None)

    def save(self, fmt: Format, name: str) -> Format:
        """Keep a customized format under a name of the group's choosing (both languages)."""
        name = name.strip()[:FORMAT_NAME_MAX]
        if not name:
            raise FormatError("saved format", "name", "is empty")
        slug_base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24] or "format"
        document = fmt.to_dict()
        with self.db.session() as s, s.begin():
            taken = set(s.scalars(select(SavedFormat.slug)).all()) | set(self.library.formats)
            slug, n = f"{OWN_FORMAT_PREFIX}{slug_base}", 1
            while slug in taken:
                n += 1
                slug = f"{OWN_FORMAT_PREFIX}{slug_base}-{n}"
            document.update(id=slug, name={"ru": name, "en": name})
            self.library.parse(document, f"saved format {slug}")  # validate before storing
            s.add(SavedFormat(slug=slug, document=json.dumps(document, ensure_ascii=False)))
        return self.library.parse(document, f"saved format {slug}")
