"""Room codes people type and tokens devices keep.

A code is only a door (6 characters without look-alikes); every action needs a token of at
least 128 bits, issued by the server and stored only as a hash.
"""
from __future__ import annotations

import hashlib
import secrets

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
CODE_LENGTH = 6
TOKEN_BYTES = 24  # 192 bits


def new_room_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """Accept what people type: lower case, spaces, dashes; return None if it cannot be a code."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper().replace(" ", "").replace("-", "")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
