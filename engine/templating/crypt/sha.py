"""SHA-256/SHA-512 crypt (`$5$`, `$6$`), the hashes /etc/shadow and the `user` module take.

Implemented from Ulrich Drepper's public-domain specification "Unix crypt using SHA-256
and SHA-512", because Python's `crypt` module is gone in 3.13 and Ansible's own filter
needs passlib. The output is byte-for-byte what glibc's crypt() and `openssl passwd -5/-6`
give for the same salt and rounds (the tests check it against openssl).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_ROUNDS = 5000
MIN_ROUNDS, MAX_ROUNDS = 1000, 999_999_999
SALT_MAX = 16


class Scheme:
    """One of the two variants: its hash, its `$id$` and the byte order of its encoding."""

    def __init__(self, ident: str, new_hash: Callable[[bytes], hashlib._Hash], order: list[tuple[int, ...]]):
        self.ident = ident
        self.new_hash = new_hash
        self.order = order


def _order(size: int) -> list[tuple[int, ...]]:
    """The specification's permutation of digest bytes: triples from three interleaved runs
    of the digest, each rotated one step further (left for SHA-512, right for SHA-256),
    then the leftover byte(s)."""
    step = size // 3
    triples = []
    for i in range(step):
        run, shift = (i, i + step, i + 2 * step), i % 3
        triples.append(run[shift:] + run[:shift] if size == 64 else run[-shift:] + run[:-shift])
    return triples + ([(size - 1,)] if size == 64 else [(size - 2, size - 1)])


SCHEMES = {
    "sha256": Scheme("5", hashlib.sha256, _order(32)),
    "sha512": Scheme("6", hashlib.sha512, _order(64)),
}


def _repeat_to(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def _encode(digest: bytes, order: list[tuple[int, ...]]) -> str:
    chars = []
    for group in order:
        if len(group) == 3:
            value, count = (digest[group[0]] << 16) | (digest[group[1]] << 8) | digest[group[2]], 4
        elif len(group) == 2:  # SHA-256's last two bytes: the spec's (0, b31, b30) with 3 characters
            value, count = (digest[group[1]] << 8) | digest[group[0]], 3
        else:
            value, count = digest[group[0]], 2
        for _ in range(count):
            chars.append(ALPHABET[value & 0x3F])
            value >>= 6
    return "".join(chars)


def sha_crypt(password: str, scheme_name: str = "sha512", salt: str | None = None,
              rounds: int | None = None) -> str:
    """`$6$salt$hash`, or `$6$rounds=N$salt$hash` when rounds are given."""
    scheme = SCHEMES[scheme_name]
    if salt is None:
        salt = "".join(secrets.choice(ALPHABET) for _ in range(SALT_MAX))
    salt = salt[:SALT_MAX]
    explicit_rounds = rounds is not None  # glibc keeps a "rounds=" that was asked for, even 5000
    rounds = min(max(rounds if rounds is not None else DEFAULT_ROUNDS, MIN_ROUNDS), MAX_ROUNDS)
    key, salt_bytes = password.encode("utf-8"), salt.encode("utf-8")
    digest = scheme.new_hash

    alternate = digest(key + salt_bytes + key).digest()
    start = digest(key + salt_bytes + _repeat_to(alternate, len(key)))
    length = len(key)
    while length:
        start.update(alternate if length & 1 else key)
        length >>= 1
    current = start.digest()
    key_sequence = _repeat_to(digest(key * len(key)).digest(), len(key))
    salt_sequence = _repeat_to(digest(salt_bytes * (16 + current[0])).digest(), len(salt_bytes))
    for round_number in range(rounds):
        step = digest(key_sequence if round_number & 1 else current)
        if round_number % 3:
            step.update(salt_sequence)
        if round_number % 7:
            step.update(key_sequence)
        step.update(current if round_number & 1 else key_sequence)
        current = step.digest()
    prefix = f"${scheme.ident}$" + (f"rounds={rounds}$" if explicit_rounds else "")
    return f"{prefix}{salt}${_encode(current, scheme.order)}"
