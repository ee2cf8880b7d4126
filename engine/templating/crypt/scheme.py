"""Choose and run a crypt(3) scheme by the names Ansible accepts (`sha512`, `sha512_crypt`, ...).

Shared by the `password_hash` filter and the `password` lookup's `encrypt` option, so both
give what Ansible (through passlib) gives: SHA schemes spell out their default rounds
(`$6$rounds=656000$...`) and drop a `rounds=5000`, which is the algorithm's own default.
"""
from __future__ import annotations

import secrets

from ...core.errors import TemplateError
from .md5 import md5_crypt
from .sha import ALPHABET, sha_crypt

# passlib's defaults, which Ansible uses when no rounds are given.
IMPLICIT_ROUNDS = {"sha512": 656000, "sha256": 535000}
ALGORITHM_DEFAULT_ROUNDS = 5000
SALT_SIZE = {"sha512": 16, "sha256": 16, "md5": 8}


def scheme_name(hashtype: str) -> str:
    """'sha512_crypt' → 'sha512'; a clear error for schemes miniplay cannot compute."""
    name = hashtype.removesuffix("_crypt")
    if name not in SALT_SIZE:
        raise TemplateError(f"password_hash: unsupported hash type '{hashtype}' "
                            "(miniplay supports sha512, sha256 and md5)")
    return name


def random_salt(size: int) -> str:
    """A salt from crypt's alphabet (letters, digits, '.' and '/')."""
    return "".join(secrets.choice(ALPHABET) for _ in range(size))


def crypt_hash(password: str, hashtype: str = "sha512", salt: str | None = None,
               salt_size: int | None = None, rounds: int | None = None) -> str:
    """The crypt string for `password` under `hashtype`, with a random salt unless one is given."""
    scheme = scheme_name(hashtype)
    if salt is None:
        salt = random_salt(salt_size if salt_size is not None else SALT_SIZE[scheme])
    if not salt or set(salt) - set(ALPHABET):
        raise TemplateError(f"invalid characters in {scheme}_crypt salt")
    if scheme == "md5":
        return md5_crypt(password, salt)
    if rounds is None:
        rounds = IMPLICIT_ROUNDS[scheme]
    return sha_crypt(password, scheme, salt, None if rounds == ALGORITHM_DEFAULT_ROUNDS else rounds)
