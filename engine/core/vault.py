"""Ansible Vault's envelope, formats 1.1 and 1.2: encrypt and decrypt text with a password.

How this works
--------------
A vault text is a header line and a body of hex digits wrapped at 80 columns:

    $ANSIBLE_VAULT;1.1;AES256            (1.2 adds the vault id: $ANSIBLE_VAULT;1.2;AES256;dev)
    6231373...                           hex of: hex(salt) \\n hex(hmac) \\n hex(ciphertext)

From the password and a random 32-byte salt, PBKDF2-HMAC-SHA256 (10000 rounds)
derives 80 bytes: an AES-256 key, an HMAC-SHA256 key and a 16-byte initial
counter. The plaintext is PKCS#7-padded to the AES block size and encrypted with
AES-256 in CTR mode; the HMAC covers the ciphertext, so a wrong password is found
by the HMAC check before anything is decrypted. This module knows the format only;
where passwords come from is vault_secrets.py. `cryptography` is imported only when
something is really encrypted or decrypted, so runs without vault data do not pay for it.
"""
from __future__ import annotations

import binascii
import os
from dataclasses import dataclass

from .errors import Location, MiniplayError, TemplateError

HEADER = "$ANSIBLE_VAULT"
CIPHER = "AES256"
DEFAULT_ID = "default"
_ROUNDS = 10000
_SALT_BYTES = 32
_WIDTH = 80


class VaultError(MiniplayError):
    """Vault data that cannot be read or written (bad format, no secret, wrong password): exit 1."""


class VaultValueError(VaultError, TemplateError):
    """An inline `!vault` value that cannot be decrypted when a task uses it: that task fails,
    as in Ansible (the value is decrypted only when used)."""


@dataclass(frozen=True)
class Envelope:
    """A parsed vault text: its format version, vault id (1.2 only) and the hex body."""

    version: str
    vault_id: str | None
    body: bytes


def is_encrypted(data: str | bytes) -> bool:
    """True for text that starts with the vault header (leading whitespace allowed, as for `!vault |`)."""
    head = data.lstrip()[:len(HEADER)]
    return (head.decode("ascii", "replace") if isinstance(head, bytes) else head) == HEADER


def parse_envelope(text: str | bytes) -> Envelope:
    """Split header and body; anything else than 1.1/1.2 AES256 is a VaultError."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    lines = raw.strip().splitlines()
    if not lines or not lines[0].startswith(HEADER + ";"):
        raise VaultError("Input is not vault encrypted data.")
    fields = lines[0].strip().split(";")
    if len(fields) < 3 or fields[1] not in ("1.1", "1.2"):
        raise VaultError(f"Unsupported vault format {lines[0].strip()!r} (miniplay reads 1.1 and 1.2).")
    if fields[2] != CIPHER:
        raise VaultError(f"Cipher {fields[2]!r} could not be found.")
    vault_id = fields[3] if fields[1] == "1.2" and len(fields) > 3 else None
    body = "".join(line.strip() for line in lines[1:]).encode("ascii", "replace")
    return Envelope(fields[1], vault_id, body)


def _derive(password: bytes, salt: bytes) -> tuple[bytes, bytes, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=_ROUNDS)
    key = kdf.derive(password)
    return key[:32], key[32:64], key[64:]


def _split_body(body: bytes) -> tuple[bytes, bytes, bytes]:
    """(salt, hmac, ciphertext) from the outer hex body; a malformed body is a VaultError."""
    try:
        salt_hex, mac_hex, data_hex = binascii.unhexlify(body).split(b"\n", 2)
        return binascii.unhexlify(salt_hex), binascii.unhexlify(mac_hex), binascii.unhexlify(data_hex.strip())
    except (ValueError, binascii.Error):
        raise VaultError("Vault format unhexlify error: the encrypted data is damaged (odd length or "
                         "not hex digits).") from None


def decrypt_with(envelope: Envelope, password: bytes) -> bytes | None:
    """The plaintext, or None when this password is not the one (the HMAC does not match)."""
    salt, mac, data = _split_body(envelope.body)
    import hmac  # here, not at the top: every run reads this module, few runs decrypt

    aes_key, hmac_key, counter = _derive(password, salt)
    expected = hmac.new(hmac_key, data, "sha256").digest()
    if not hmac.compare_digest(expected, mac):
        return None
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(aes_key), modes.CTR(counter)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise VaultError("Decryption failed: the padding of the decrypted data is invalid.") from None


def encrypt(plaintext: bytes, password: bytes, vault_id: str | None = None,
            salt: bytes | None = None) -> str:
    """Vault text for `plaintext`: format 1.2 when a vault id other than `default` is given, else 1.1."""
    import hmac

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    salt = salt or os.urandom(_SALT_BYTES)
    aes_key, hmac_key, counter = _derive(password, salt)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CTR(counter)).encryptor()
    data = encryptor.update(padded) + encryptor.finalize()
    mac = hmac.new(hmac_key, data, "sha256").hexdigest().encode()
    body = binascii.hexlify(b"\n".join([binascii.hexlify(salt), mac, binascii.hexlify(data)])).decode()
    header = f"{HEADER};1.1;{CIPHER}" if not vault_id or vault_id == DEFAULT_ID else f"{HEADER};1.2;{CIPHER};{vault_id}"
    return header + "\n" + "\n".join(body[i:i + _WIDTH] for i in range(0, len(body), _WIDTH)) + "\n"


@dataclass(frozen=True)
class VaultValue:
    """An inline `!vault` value as loaded: still encrypted, with where it was written.

    It is decrypted only when a task reads it (vault_reveal.py), so a playbook whose
    vault values are not used runs without any vault secret, as in Ansible. Its text
    forms never show the plaintext, so nothing that prints or logs it leaks the secret.
    """

    ciphertext: str
    location: Location

    def __str__(self) -> str:
        return "<redacted>"  # what ansible-core 2.19 shows for a value it has not decrypted

    __repr__ = __str__
