"""`miniplay vault ...`: ansible-vault's commands, and the vault flags every command takes.

create FILE | encrypt [FILE...] | decrypt [FILE...] | view FILE... | edit FILE |
rekey FILE... | encrypt_string [STRING...]

What it writes, ansible-vault reads, and the other way round (same formats 1.1/1.2).
A file that cannot be decrypted is left as it was: plaintext is only ever written to
the file or output the command was asked to write.
"""
from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from collections.abc import Callable
from typing import Any

from ..core import vault
from ..core.errors import CliError, Location
from ..core.vault import VaultError
from ..core.vault_secrets import VaultSecret, VaultSecrets, collect_secrets, read_password_source, split_vault_id

ACTIONS = ("create", "decrypt", "edit", "view", "encrypt", "encrypt_string", "rekey")


def add_vault_flags(parser: argparse.ArgumentParser) -> None:
    """ansible-playbook's vault flags."""
    parser.add_argument("--vault-id", dest="vault_ids", action="append", default=[], metavar="VAULT_ID",
                        help="the vault identity to use, label@source (a file, a script or 'prompt'; repeatable)")
    parser.add_argument("--vault-password-file", "--vault-pass-file", dest="vault_password_files", action="append",
                        default=[], metavar="FILE", help="vault password file, or a script that prints it")
    parser.add_argument("-J", "--ask-vault-pass", "--ask-vault-password", dest="ask_vault_pass",
                        action="store_true", help="ask for the vault password")


def secrets_from_args(args: argparse.Namespace, config: dict[str, Any] | None = None) -> VaultSecrets:
    """Every vault secret the flags, the environment and ansible.cfg name, read now."""
    return collect_secrets(getattr(args, "vault_ids", []), getattr(args, "vault_password_files", []),
                           getattr(args, "ask_vault_pass", False), config)


def add_parser(sub: Any) -> None:
    vault_parser = sub.add_parser("vault", help="encrypt and decrypt Ansible Vault data (like ansible-vault)")
    actions = vault_parser.add_subparsers(dest="action", required=True, parser_class=type(vault_parser))
    for action in ACTIONS:
        _add_action_parser(actions.add_parser(action, help=_HELP[action]))


_HELP = {"create": "create a new encrypted file in $EDITOR", "decrypt": "decrypt files (or stdin)",
         "edit": "edit an encrypted file in $EDITOR", "view": "show the plaintext of encrypted files",
         "encrypt": "encrypt files (or stdin)", "encrypt_string": "encrypt strings as YAML `!vault` values",
         "rekey": "encrypt files again with a new password"}


def _add_action_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*", metavar="FILE_OR_STRING")
    add_vault_flags(parser)
    parser.add_argument("--output", dest="output_file", default=None,
                        help="output file name for encrypt, decrypt or encrypt_string; - for stdout")
    parser.add_argument("--encrypt-vault-id", default=None, help="the vault id to encrypt with")
    parser.add_argument("--new-vault-id", default=None, help="rekey: the new vault identity, label@source")
    parser.add_argument("--new-vault-password-file", default=None, help="rekey: the new password file")
    parser.add_argument("-n", "--name", dest="names", action="append", default=[],
                        help="encrypt_string: the variable name for each string")
    parser.add_argument("--stdin-name", default=None, help="encrypt_string: the variable name for stdin")
    parser.add_argument("-p", "--prompt", action="store_true", help="encrypt_string: prompt for the string")
    parser.add_argument("--show-input", action="store_true", help="encrypt_string -p: echo what is typed")
    parser.add_argument("-v", "--verbose", action="count", default=0)


def run_vault(args: argparse.Namespace) -> int:
    from ..loading.config import load_config

    config, _ = load_config()
    secrets = secrets_from_args(args, config)
    command = _VaultCommand(args, secrets)
    getattr(command, args.action)()
    return 0


class _VaultCommand:
    """One `miniplay vault` invocation: its arguments and the secrets it was given."""

    def __init__(self, args: argparse.Namespace, secrets: VaultSecrets,
                 ask: Callable[[str], str] = getpass.getpass) -> None:
        self.args = args
        self.secrets = secrets
        self.ask = ask

    # ------------------------------------------------------------------ secrets
    def _encrypting_secret(self) -> VaultSecret:
        """The secret to encrypt with; with none given, ask twice for a new password."""
        if not self.secrets:
            return VaultSecret(vault.DEFAULT_ID, self._new_password())
        if len(self.secrets.secrets) > 1 and not self.args.encrypt_vault_id:
            raise CliError(f"The vault-ids {','.join(self.secrets.ids())} are available to encrypt. "
                           "Specify the vault-id to encrypt with --encrypt-vault-id")
        return self.secrets.for_encrypting(self.args.encrypt_vault_id)

    def _new_password(self) -> bytes:
        try:
            first = self.ask("New Vault password: ")
            again = self.ask("Confirm New Vault password: ")
        except EOFError:
            raise VaultError("EOFError (ctrl-d) on prompt for (default)") from None
        if first != again:
            raise VaultError("Passwords do not match")
        if not first:
            raise VaultError("A vault password must be specified to encrypt data")
        return first.encode()

    def _rekey_secret(self) -> VaultSecret:
        if self.args.new_vault_id:
            label, source = split_vault_id(self.args.new_vault_id)
            if not self.args.new_vault_password_file:
                return VaultSecret(label, read_password_source(source, label, self.ask))
            return VaultSecret(label, read_password_source(self.args.new_vault_password_file, label, self.ask))
        if self.args.new_vault_password_file:
            return VaultSecret(vault.DEFAULT_ID, read_password_source(self.args.new_vault_password_file,
                                                                      vault.DEFAULT_ID, self.ask))
        return VaultSecret(vault.DEFAULT_ID, self._new_password())

    def _decrypt(self, data: bytes, origin: str) -> bytes:
        if not vault.is_encrypted(data[:64]):
            raise VaultError(f"Input is not vault encrypted data. for {os.path.abspath(origin)}")
        return self.secrets.decrypt(data, Location(origin))

    # ------------------------------------------------------------------ files
    def _files(self, allow_stdin: bool = True) -> list[str]:
        files = list(self.args.args)
        if not files and allow_stdin:
            return ["-"]
        if not files:
            raise CliError(f"ansible-vault {self.args.action} needs at least one file name")
        if self.args.output_file and len(files) > 1:
            raise CliError("At most one input file may be used with the --output option")
        return files

    @staticmethod
    def _read(name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        try:
            with open(name, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise VaultError(f"Unable to read source file ({name}): {exc.strerror}") from None

    def _write(self, name: str, data: bytes, mode: int | None = None) -> None:
        """Write atomically (temp file, then rename) so a failure never leaves half a file."""
        if name == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        directory = os.path.dirname(os.path.abspath(name))
        import tempfile  # here: only the vault command writes files, and every run imports this one

        fd, temp = tempfile.mkstemp(dir=directory, prefix=".miniplay-vault-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if mode is not None:
                os.chmod(temp, mode)
            elif os.path.exists(name):
                os.chmod(temp, os.stat(name).st_mode & 0o7777)
            os.replace(temp, name)
        except OSError as exc:
            if os.path.exists(temp):
                os.unlink(temp)
            raise VaultError(f"Unable to write {name}: {exc.strerror}") from None

    def _destination(self, name: str) -> str:
        return self.args.output_file or name

    # ------------------------------------------------------------------ commands
    def encrypt(self) -> None:
        secret = self._encrypting_secret()
        for name in self._files():
            data = self._read(name)
            if vault.is_encrypted(data[:64]):
                raise VaultError("input is already encrypted")
            self._write(self._destination(name), vault.encrypt(data, secret.password, secret.vault_id).encode())
        sys.stderr.write("Encryption successful\n")

    def decrypt(self) -> None:
        for name in self._files():
            plaintext = self._decrypt(self._read(name), name)
            self._write(self._destination(name), plaintext)
        sys.stderr.write("Decryption successful\n")

    def view(self) -> None:
        for name in self._files(allow_stdin=False):
            plaintext = self._decrypt(self._read(name), name)
            sys.stdout.buffer.write(plaintext if plaintext.endswith(b"\n") else plaintext + b"\n")  # as ansible-vault shows it
        sys.stdout.flush()

    def create(self) -> None:
        name = self._single_file()
        if os.path.exists(name):
            raise VaultError(f"{name} exists, please use 'edit' instead")
        secret = self._encrypting_secret()
        plaintext = self._edit_text(b"", name)
        self._write(name, vault.encrypt(plaintext, secret.password, secret.vault_id).encode(), 0o600)

    def edit(self) -> None:
        name = self._single_file()
        data = self._read(name)
        envelope = vault.parse_envelope(data)
        plaintext = self._decrypt(data, name)
        wanted = self.args.encrypt_vault_id or envelope.vault_id or vault.DEFAULT_ID
        secret = next((s for s in self.secrets.secrets if s.vault_id == wanted), None)
        if secret is None:
            secret = self._secret_that_decrypts(envelope)
        edited = self._edit_text(plaintext, name)
        if edited != plaintext or (self.args.encrypt_vault_id and wanted != (envelope.vault_id or vault.DEFAULT_ID)):
            self._write(name, vault.encrypt(edited, secret.password, secret.vault_id).encode())

    def rekey(self) -> None:
        new = self._rekey_secret()
        names = self._files(allow_stdin=False)
        plaintexts = [(name, self._decrypt(self._read(name), name)) for name in names]
        for name, plaintext in plaintexts:
            self._write(name, vault.encrypt(plaintext, new.password, new.vault_id).encode())
        sys.stderr.write("Rekey successful\n")

    def encrypt_string(self) -> None:
        secret = self._encrypting_secret()
        entries: list[tuple[str | None, bytes]] = []
        strings = list(self.args.args)
        if self.args.prompt:
            ask = _ask_shown if self.args.show_input else self.ask
            entries.append((self.args.stdin_name, ask("String to encrypt: ").encode()))
        elif not strings or strings == ["-"]:
            if sys.stdin.isatty():
                sys.stderr.write("Reading plaintext input from stdin. (ctrl-d to end input, twice if your "
                                 "content does not already have a newline)\n")
            entries.append((self.args.stdin_name, sys.stdin.buffer.read()))
        else:
            names = list(self.args.names) + [None] * (len(strings) - len(self.args.names))
            entries += [(name, text.encode()) for name, text in zip(names, strings, strict=True)]
        blocks = [_vault_yaml(name, vault.encrypt(data, secret.password, secret.vault_id)) for name, data in entries]
        text = "\n".join(blocks) + "\n"
        if self.args.output_file:
            self._write(self.args.output_file, text.encode())
        else:
            sys.stdout.write(text)
        sys.stderr.write("Encryption successful\n")

    # ------------------------------------------------------------------ helpers
    def _single_file(self) -> str:
        if len(self.args.args) != 1:
            raise CliError(f"ansible-vault {self.args.action} takes exactly one file name")
        return self.args.args[0]

    def _secret_that_decrypts(self, envelope: vault.Envelope) -> VaultSecret:
        for secret in self.secrets.secrets:
            if vault.decrypt_with(envelope, secret.password) is not None:
                return secret
        raise VaultError("Decryption failed (no vault secrets were found that could decrypt).")

    @staticmethod
    def _edit_text(initial: bytes, name: str) -> bytes:
        """Open $EDITOR on a private temporary copy; it is removed whatever happens."""
        editor = shlex.split(os.environ.get("EDITOR", "vi"))
        suffix = os.path.splitext(name)[1]
        import subprocess  # here, as tempfile: only `vault create` and `vault edit` run an editor
        import tempfile  # here: only the vault command writes files, and every run imports this one

        fd, temp = tempfile.mkstemp(suffix=suffix, prefix="miniplay-vault-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(initial)
            try:
                done = subprocess.run(editor + [temp], check=False)
            except OSError as exc:
                raise VaultError(f'Unable to execute the command "{" ".join(editor + [temp])}": {exc.strerror}') from None
            if done.returncode != 0:
                raise VaultError(f"The editor exited with {done.returncode}: {name} was left unchanged")
            with open(temp, "rb") as handle:
                return handle.read()
        finally:
            os.unlink(temp)


def _ask_shown(prompt: str) -> str:
    """Prompt on stderr and read one line, echoed (encrypt_string --show-input): stdout stays the YAML."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def _vault_yaml(name: str | None, text: str) -> str:
    """A `!vault |` block as ansible-vault encrypt_string prints it (10-space indent)."""
    body = "\n".join("          " + line for line in text.rstrip("\n").splitlines())
    return f"{name}: !vault |\n{body}" if name else f"!vault |\n{body}"
