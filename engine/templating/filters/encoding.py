"""Filters for encodings and hashes: b64encode, hash, password_hash, checksum, to_uuid."""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from ...core.errors import TemplateError
from .base import register

# ---------------------------------------------------------------------------
# Encoding and hashing
# ---------------------------------------------------------------------------


def _to_bytes(value: Any, encoding: str = "utf-8") -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode(encoding)


@register("b64encode")
def b64encode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Base64 of the text encoded with `encoding`."""
    raw = _to_bytes(value, encoding)
    encoded = base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)
    return encoded.decode("ascii")


@register("b64decode")
def b64decode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Text from base64, decoded with `encoding`."""
    raw = _to_bytes(value)
    decoded = base64.urlsafe_b64decode(raw) if urlsafe else base64.b64decode(raw)
    return decoded.decode(encoding)


@register("hash")
def hash_text(value: Any, hashtype: str = "sha1") -> str:
    """Hex digest of the text with any hashlib algorithm."""
    try:
        digest = hashlib.new(hashtype)
    except (ValueError, TypeError):
        raise TemplateError(f"unsupported hash type {hashtype}") from None
    digest.update(_to_bytes(value))
    return digest.hexdigest()


@register("password_hash")
def password_hash(value: Any, hashtype: str = "sha512", salt: str | None = None, salt_size: int | None = None,
                  rounds: int | None = None, ident: str | None = None) -> str:
    """A crypt(3) hash for /etc/shadow and the `user` module: `$6$…`, `$5$…` or `$1$…`.

    The same password, salt and rounds give the string Ansible gives (with passlib), so a
    `user: password=` stays unchanged when a playbook moves between the two. `ident` only
    matters for bcrypt, which miniplay does not do."""
    from ..crypt.scheme import crypt_hash  # here: every template loads this file, few hash passwords

    return crypt_hash(str(value), str(hashtype), salt=None if salt is None else str(salt),
                      salt_size=None if salt_size is None else int(salt_size),
                      rounds=None if rounds is None else int(rounds))


@register("checksum")
def checksum(value: Any) -> str:
    """SHA-1 of the text (what Ansible's copy/stat call a checksum)."""
    return hashlib.sha1(_to_bytes(value)).hexdigest()


@register("sha1")
def sha1(value: Any) -> str:
    """SHA-1 hex digest."""
    return hashlib.sha1(_to_bytes(value)).hexdigest()


@register("md5")
def md5(value: Any) -> str:
    """MD5 hex digest."""
    return hashlib.md5(_to_bytes(value)).hexdigest()


# A fixed namespace, so the same name gives the same UUID on every controller. Text, not a
# uuid.UUID: uuid (and the platform module it loads) is imported by the filter, not by every template.
_UUID_NAMESPACE = "361E6D51-FAEC-444A-9079-341386DA8E2E"


@register("to_uuid")
def to_uuid(value: Any, namespace: Any = _UUID_NAMESPACE) -> str:
    """Name-based (v5) UUID of the text."""
    import uuid

    space = namespace if isinstance(namespace, uuid.UUID) else uuid.UUID(str(namespace))
    return str(uuid.uuid5(space, str(value)))
