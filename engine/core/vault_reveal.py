"""Decrypting vault data where the engine meets it: inline values when a task reads them,
(whole encrypted files are decrypted as they are read: vault_secrets.decrypt_file_data).

Decrypted inline text is `UnsafeText`: Ansible 2.19 never templates a vault value's
plaintext (`"{{ x }}"` encrypted stays `{{ x }}`).
"""
from __future__ import annotations

from typing import Any

from .vault import VaultError, VaultValue, VaultValueError
from .vault_secrets import VaultSecrets
from .yamlfile import UnsafeText


class VaultedText(UnsafeText):
    """The plaintext of an inline vault value: never templated, and `is vault_encrypted` still
    knows where it came from (as Ansible's tags do, through set_fact and the like)."""

    __slots__ = ()


def holds_vault(value: Any) -> bool:
    """True when an inline vault value is somewhere inside `value`."""
    if isinstance(value, VaultValue):
        return True
    if isinstance(value, dict):
        return any(holds_vault(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_vault(v) for v in value)
    return False


def reveal(value: Any, secrets: VaultSecrets | None) -> Any:
    """`value` with every inline vault value decrypted; a value without any is returned as is."""
    if isinstance(value, VaultValue):
        try:
            plaintext = (secrets or VaultSecrets()).decrypt(value.ciphertext, value.location)
        except VaultError as exc:
            raise VaultValueError(f"Attempt to use undecryptable variable: {exc.message} Origin: {value.location}",
                                  value.location) from None
        return VaultedText(plaintext.decode("utf-8", "surrogateescape"))
    if isinstance(value, dict) and holds_vault(value):
        return {k: reveal(v, secrets) for k, v in value.items()}
    if isinstance(value, list) and holds_vault(value):
        return [reveal(v, secrets) for v in value]
    return value
