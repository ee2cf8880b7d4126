"""Where vault passwords come from, and decrypting with whichever of them fits.

Sources, as ansible-playbook reads them (all are read once, when the command starts):

* `--vault-id label@source` (repeatable) after the `vault_identity_list` of ansible.cfg
  or ANSIBLE_VAULT_IDENTITY_LIST; a source is a file, an executable script, or `prompt`;
* `--vault-password-file FILE` (repeatable), else ANSIBLE_VAULT_PASSWORD_FILE or
  `vault_password_file` in ansible.cfg: the `default` vault id;
* `--ask-vault-pass` / `-J`: prompt for the `default` vault id.

A password file is read and stripped of surrounding whitespace; an executable file is
run and its standard output is the password (a script whose name ends in `-client`
is asked for the vault id with `--vault-id LABEL`, as Ansible's client scripts are).
"""
from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import vault
from .errors import Location
from .vault import DEFAULT_ID, VaultError, is_encrypted

NO_SECRETS = "Attempting to decrypt but no vault secrets found."
NO_MATCH = "Decryption failed (no vault secrets were found that could decrypt)."


@dataclass(frozen=True)
class VaultSecret:
    """One vault id and its password (never printed: repr shows the id only)."""

    vault_id: str
    password: bytes = field(repr=False)


@dataclass
class VaultSecrets:
    """The passwords of one command run, tried in order; the one whose id matches first.

    What was decrypted is kept (by its vault text) for the rest of the run: key derivation
    costs milliseconds on purpose, and a vault variable may be read by every task on every
    host. The cache lives and dies with this object, which belongs to one run.
    """

    secrets: list[VaultSecret] = field(default_factory=list)
    _decrypted: dict[bytes, bytes] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def ids(self) -> list[str]:
        return [secret.vault_id for secret in self.secrets]

    def decrypt(self, text: str | bytes, origin: Location) -> bytes:
        """Plaintext of vault text; `origin` (the file, and line for an inline value) names it
        in the error, with the vault id the data asks for and the ids that were tried."""
        key = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        known = self._decrypted.get(key)
        if known is not None:
            return known
        try:
            envelope = vault.parse_envelope(text)
        except VaultError as exc:
            raise VaultError(exc.message, origin) from None
        wanted = f" for vault id '{envelope.vault_id}'" if envelope.vault_id else ""
        if not self.secrets:
            raise VaultError(f"{NO_SECRETS[:-1]}{wanted} (give one with --vault-password-file, --vault-id "
                             "or --ask-vault-pass).", origin)
        ordered = sorted(self.secrets, key=lambda s: s.vault_id != envelope.vault_id)
        for secret in ordered:
            plaintext = vault.decrypt_with(envelope, secret.password)
            if plaintext is not None:
                self._decrypted[key] = plaintext
                return plaintext
        raise VaultError(f"{NO_MATCH[:-1]}{wanted} (vault ids tried: {', '.join(self.ids())}).", origin)

    def for_encrypting(self, wanted: str | None = None) -> VaultSecret:
        """The secret to encrypt with: `--encrypt-vault-id`, else the only (or first) one."""
        if not self.secrets:
            raise VaultError("A vault password must be specified to encrypt data "
                             "(--vault-password-file, --vault-id or --ask-vault-pass).")
        if wanted is None:
            return self.secrets[0]
        for secret in self.secrets:
            if secret.vault_id == wanted:
                return secret
        raise VaultError(f"Did not find a match for --encrypt-vault-id={wanted} in the known vault-ids "
                         f"{self.ids()}")


def read_password_source(source: str, vault_id: str, ask: Callable[[str], str] = getpass.getpass) -> bytes:
    """The password from a file, an executable script, or `prompt`."""
    if source == "prompt":
        prompt = "Vault password: " if vault_id == DEFAULT_ID else f"Vault password ({vault_id}): "
        try:
            return ask(prompt).encode()
        except EOFError:
            raise VaultError(f"EOFError (ctrl-d) on prompt for ({vault_id})") from None
    path = os.path.abspath(os.path.expanduser(source))
    if not os.path.exists(path):
        raise VaultError(f"The vault password file {path} was not found")
    if os.path.isdir(path):
        raise VaultError(f"The vault password file provided '{path}' can not be a directory")
    if os.access(path, os.X_OK):
        return _run_script(path, vault_id)
    try:
        with open(path, "rb") as handle:
            password = handle.read().strip()
    except OSError as exc:
        raise VaultError(f"Could not read vault password file {path!r}: {exc.strerror}") from None
    if not password:
        raise VaultError(f"Invalid vault password was provided from file ({path})")
    return password


def _run_script(path: str, vault_id: str) -> bytes:
    command = [path]
    if os.path.splitext(os.path.basename(path))[0].endswith("-client"):
        command += ["--vault-id", vault_id]
    import subprocess  # here: few runs read a password from a script

    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except OSError as exc:
        raise VaultError(f"Problem running vault password script {path} ({exc.strerror}). If this is not "
                         "a script, remove the executable bit from the file.") from None
    if done.returncode != 0:
        raise VaultError(f"Vault password script {path} returned non-zero ({done.returncode}): "
                         f"{done.stderr.decode('utf-8', 'replace').strip()}")
    password = done.stdout.strip()
    if not password:
        raise VaultError(f"Invalid vault password was provided from script ({path})")
    return password


def split_vault_id(text: str) -> tuple[str, str]:
    """`label@source` → (label, source); a bare source is the `default` id."""
    label, at, source = text.partition("@")
    if not at:
        return DEFAULT_ID, text
    if not label or not source:
        raise VaultError(f"Invalid vault id {text!r}: write label@source (a file, a script or 'prompt').")
    return label, source


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def collect_secrets(vault_ids: Iterable[str] = (), password_files: Iterable[str] = (), ask: bool = False,
                    config: dict[str, Any] | None = None,
                    prompt: Callable[[str], str] = getpass.getpass) -> VaultSecrets:
    """Read every source the command line, the environment and ansible.cfg name, in Ansible's order:
    the configured identity list, then `--vault-id`, `-J`, then the password files."""
    config = config or {}
    identities = _as_list(os.environ.get("ANSIBLE_VAULT_IDENTITY_LIST") or config.get("vault_identity_list"))
    identities += list(vault_ids)
    files = list(password_files) or _as_list(os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
                                             or config.get("vault_password_file"))
    secrets: list[VaultSecret] = []
    for text in identities:
        label, source = split_vault_id(text)
        secrets.append(VaultSecret(label, read_password_source(source, label, prompt)))
    if ask:
        secrets.append(VaultSecret(DEFAULT_ID, read_password_source("prompt", DEFAULT_ID, prompt)))
    for path in files:
        secrets.append(VaultSecret(DEFAULT_ID, read_password_source(path, DEFAULT_ID, prompt)))
    return VaultSecrets(secrets)


def decrypt_file_data(data: bytes, path: str, secrets: VaultSecrets | None) -> bytes:
    """A controller file's bytes, decrypted when the whole file is vault-encrypted."""
    if not is_encrypted(data[:64]):
        return data
    return (secrets or VaultSecrets()).decrypt(data, Location(os.path.abspath(path)))


def read_controller_file(path: str, secrets: VaultSecrets | None) -> bytes:
    """Read a file on the controller (copy/template source, lookup('file')), decrypting it if needed."""
    with open(path, "rb") as handle:
        return decrypt_file_data(handle.read(), path, secrets)
