"""Room codes people can type, and tokens nobody can guess."""
from __future__ import annotations

from facilitation.persistence.credentials import CODE_ALPHABET, new_room_code, new_token, normalize_code, token_hash


def test_codes_avoid_look_alike_characters():
    assert not set("IL01O") & set(CODE_ALPHABET)
    codes = {new_room_code() for _ in range(2000)}
    assert len(codes) > 1990 and all(len(code) == 6 and set(code) <= set(CODE_ALPHABET) for code in codes)


def test_typed_codes_are_normalized():
    assert normalize_code(" abc-def ") == "ABCDEF"
    assert normalize_code("abc de2") == "ABCDE2"
    assert normalize_code("ABCD") is None and normalize_code("ABCDE0") is None and normalize_code(None) is None


def test_tokens_carry_at_least_128_bits_and_are_stored_hashed():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) * 6 >= 128 for t in tokens)  # url-safe base64: 6 bits per character
    token = new_token()
    assert token_hash(token) == token_hash(token) and token not in token_hash(token) and len(token_hash(token)) == 64
