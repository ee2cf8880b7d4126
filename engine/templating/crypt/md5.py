"""MD5 crypt (`$1$`), the old /etc/shadow hash that `password_hash('md5')` still produces.

Written from the algorithm's public description (Poul-Henning Kamp's FreeBSD md5crypt,
which glibc and `openssl passwd -1` follow); the tests compare it with openssl.
Kept because older systems and appliances still expect `$1$` hashes.
"""
from __future__ import annotations

import hashlib
import secrets

from .sha import ALPHABET

MAGIC = "$1$"
SALT_MAX = 8
ROUNDS = 1000  # fixed by the algorithm: md5crypt has no "rounds=" setting
# Digest bytes are encoded as these triples (the last, lone byte comes after them).
_ORDER = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _encode(digest: bytes) -> str:
    chars = []
    for first, second, third in _ORDER:
        value = (digest[first] << 16) | (digest[second] << 8) | digest[third]
        for _ in range(4):
            chars.append(ALPHABET[value & 0x3F])
            value >>= 6
    value = digest[11]
    for _ in range(2):
        chars.append(ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(chars)


def md5_crypt(password: str, salt: str | None = None) -> str:
    """`$1$salt$hash` for the password (a random 8-character salt when none is given)."""
    if salt is None:
        salt = "".join(secrets.choice(ALPHABET) for _ in range(SALT_MAX))
    salt = salt[:SALT_MAX]
    key, salt_bytes = password.encode("utf-8"), salt.encode("utf-8")

    alternate = hashlib.md5(key + salt_bytes + key).digest()
    context = hashlib.md5(key + MAGIC.encode() + salt_bytes)
    for remaining in range(len(key), 0, -16):
        context.update(alternate[:min(16, remaining)])
    length = len(key)
    while length:
        context.update(b"\0" if length & 1 else key[:1])
        length >>= 1
    current = context.digest()

    for round_number in range(ROUNDS):
        step = hashlib.md5(key if round_number & 1 else current)
        if round_number % 3:
            step.update(salt_bytes)
        if round_number % 7:
            step.update(key)
        step.update(current if round_number & 1 else key)
        current = step.digest()
    return f"{MAGIC}{salt}${_encode(current)}"
