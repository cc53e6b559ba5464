"""Case content at rest: each room's state sealed with the room's own key.

A room's state document (every name, title, pitch, request and card) is sealed with AES-256-GCM
under a key made for that room alone, with the room's id as associated data (a sealed state
copied into another room's row does not open). The room key is stored only wrapped (AES key
wrap, RFC 3394) by the server's data key, which is never in the database: it comes from
``KRUG_DATA_KEY`` or a file in the instance folder (config.py). Ending a room deletes its wrapped
key in the same transaction as its content, so whatever copy of the sealed content lingers —
a write-ahead log held by a reader, PostgreSQL's dead rows, a backup — no longer opens.
"""
from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

KEY_BYTES = 32
NONCE_BYTES = 12  # GCM's standard nonce; random per seal (a room sees far below 2^32 writes)


class SealingError(Exception):
    """A sealed state or wrapped key that does not open with this server's data key."""


class RoomKey:
    def __init__(self, key: bytes, room_id: int) -> None:
        self._aead = AESGCM(key)
        self._aad = f"krug room {room_id}".encode()

    def seal(self, document: dict) -> bytes:
        plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain, self._aad)

    def open(self, sealed: bytes) -> dict:
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], self._aad)
        except InvalidTag:
            raise SealingError("the room's state does not open with its key") from None
        return json.loads(plain)


class DataKey:
    """The server's key: wraps and unwraps room keys, never stored beside them."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the data key must be {KEY_BYTES} bytes")
        self._key = key

    @classmethod
    def from_hex(cls, text: str) -> DataKey:
        return cls(bytes.fromhex(text))

    def new_room_key(self, room_id: int) -> tuple[RoomKey, bytes]:
        """A fresh room key, and its wrapped form to store."""
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        return RoomKey(key, room_id), aes_key_wrap(self._key, key)

    def room_key(self, wrapped: bytes, room_id: int) -> RoomKey:
        try:
            return RoomKey(aes_key_unwrap(self._key, bytes(wrapped)), room_id)
        except InvalidUnwrap:
            raise SealingError("the room key does not unwrap with this server's data key "
                               "(KRUG_DATA_KEY must be the same on every process)") from None
