"""The `password` lookup: a random password kept in a controller file, made on first use.

`lookup('password', 'credentials/' + inventory_hostname + ' length=15 chars=ascii_letters,digits')`
gives each host its own password and the same one on every later run. The file holds the
plaintext (and, once `encrypt` is asked for, ` salt=...` so the hash stays the same);
`/dev/null` gives a fresh password each time and stores nothing.

Hosts ask at the same time (forks) and other runs may too, so the file is read and written
while holding an flock on its directory: every host that asks for the same file gets the
same password and salt. New content goes to a temp file that is renamed into place.
"""
from __future__ import annotations

import fcntl
import os
import random
import string
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ...core.argsplit import parse_kv
from ...core.errors import TemplateError
from ..crypt.scheme import SALT_SIZE, crypt_hash, random_salt, scheme_name
from .base import LookupContext, register

OPTIONS = ("length", "encrypt", "chars", "ident", "seed")
DEFAULT_LENGTH = 20
DEFAULT_CHARS = ["ascii_letters", "digits", ".,:-_"]
DISCARD = "/dev/null"


@register("password")
def lookup_password(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """One password per term (`path [length=N] [chars=...] [seed=...] [encrypt=scheme]`)."""
    base = ctx.search_paths[-1] if ctx.search_paths else os.getcwd()  # the playbook's directory
    return [_password_for(str(term), base, kwargs) for term in terms]


def _password_for(term: str, base: str, kwargs: dict) -> str:
    relpath, params = _parse_term(term)
    options = {**kwargs, **params}  # options in the term win over keyword options
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TemplateError(f"Unrecognized parameter(s) given to password lookup: {', '.join(unknown)}")
    length = _length(options.get("length", DEFAULT_LENGTH))
    chars = _candidate_chars(options.get("chars", DEFAULT_CHARS))
    seed = options.get("seed")
    encrypt = options.get("encrypt") or None
    if options.get("ident"):
        raise TemplateError("the password lookup's ident option is for bcrypt, which miniplay does not support")
    path = os.path.join(base, os.path.expanduser(relpath))

    def generate() -> str:
        return _random_password(length, chars, None if seed is None else str(seed))

    scheme = scheme_name(str(encrypt)) if encrypt else None
    if path == DISCARD:
        plaintext, salt = generate(), None  # crypt_hash draws a fresh salt
    else:
        plaintext, salt = _stored_or_new(path, generate, SALT_SIZE[scheme] if scheme else None)
    return crypt_hash(plaintext, scheme, salt=salt) if scheme else plaintext


def _parse_term(term: str) -> tuple[str, dict[str, Any]]:
    """'creds/db length=8 chars=digits' → ('creds/db', {'length': '8', 'chars': 'digits'})."""
    path, _, rest = term.partition(" ")
    params = parse_kv(rest, raw_params=False) if rest.strip() else {}
    raw = params.pop("_raw_params", None)
    if raw is not None:
        path = f"{path} {raw}"
        if not term.startswith(path):
            raise TemplateError("Unrecognized value after key=value parameters given to password lookup")
    return path, params


def _length(value: Any) -> int:
    try:
        length = int(value)
    except (TypeError, ValueError):
        raise TemplateError(f"the password lookup's length must be an integer, got '{value}'") from None
    if length < 0:
        raise TemplateError(f"the password lookup's length cannot be negative, got {length}")
    return length


def _candidate_chars(spec: Any) -> str:
    """Character set names ('digits', 'ascii_letters', ...) or literal characters, joined.

    A text value is split on commas; ',,' stands for a comma itself."""
    if isinstance(spec, str):
        names = [","] if ",," in spec else []
        names += [part for part in spec.replace(",,", ",").split(",") if part]
    else:
        names = [str(part) for part in spec]
    chars = "".join(_named_set(name) for name in names)
    chars = chars.replace('"', "").replace("'", "")
    if not chars:
        raise TemplateError("the password lookup's chars leave no characters to choose from")
    return chars


def _named_set(name: str) -> str:
    """`string.<name>` for names such as digits or punctuation; anything else as written."""
    value = None if name.startswith("_") else getattr(string, name, None)
    return value if isinstance(value, str) else name


def _random_password(length: int, chars: str, seed: str | None) -> str:
    """With a seed, the same password every time (the same one Ansible makes from that seed)."""
    generator = random.SystemRandom() if seed is None else random.Random(seed)
    return "".join(generator.choice(chars) for _ in range(length))


def _split_content(content: str) -> tuple[str, str | None]:
    """'pw salt=abc' → ('pw', 'abc'); a file without a salt is all password."""
    password, marker, salt = content.rpartition(" salt=")
    if not marker:
        return content, None
    salt, _, _ident = salt.partition(" ident=")
    return password, salt


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().rstrip().decode("utf-8", errors="surrogateescape")


@contextmanager
def _directory_locked(directory: str) -> Iterator[None]:
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _stored_or_new(path: str, generate: Callable[[], str], salt_size: int | None) -> tuple[str, str | None]:
    """The stored password and salt; a new password is written first, and a salt added when
    `salt_size` asks for one (encrypt) and none is stored, so the hash is the same next time."""
    with _directory_locked(os.path.dirname(path) or "."):
        if not os.path.exists(path):
            _write(path, generate())
        plaintext, salt = _split_content(_read(path))
        if salt_size is not None and salt is None:
            salt = random_salt(salt_size)
            _write(path, f"{plaintext} salt={salt}")
    return plaintext, salt


def _write(path: str, content: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=".miniplay-password-", dir=os.path.dirname(path) or ".")  # mode 0600
    with os.fdopen(fd, "wb") as handle:
        handle.write(content.encode("utf-8", errors="surrogateescape") + b"\n")
    os.replace(temp, path)
