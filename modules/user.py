"""user — make sure a local user account exists with the given properties, or does not.

Arguments:
  name / user       the login name (required)
  state             present (default) or absent
  uid, non_unique   the user id (non_unique: allow one another user has)
  group             primary group (name or gid; must exist)
  groups, append    supplementary groups (a list or comma-separated); without append the
                    user ends up in exactly these, with append they are added; groups: []
                    (without append) removes all supplementary groups
  comment           the GECOS field
  home, move_home   home directory; move_home moves the old one's contents there
  create_home / createhome   create the home directory (default true), from `skeleton`
                    (default /etc/skel)
  shell             login shell
  password          the *hashed* password for /etc/shadow (no_log); a plain text value
                    gets a warning, as with Ansible
  update_password   always (default) or on_create
  password_lock     lock (true) or unlock (false) the password
  expires           account expiry as epoch seconds (-1: never)
  password_expire_max / _min / _warn, password_expire_account_disable   chage settings
  system            create a system account (uid from the system range, no aging)
  uid_min, uid_max, umask   useradd -K settings for a new account
  remove, force     with state=absent: remove home and mail spool / force removal
  generate_ssh_key, ssh_key_type (rsa), ssh_key_bits, ssh_key_file (.ssh/id_TYPE),
  ssh_key_comment, ssh_key_passphrase   create a key pair if none exists (force: replace it)
  local, seuser, login_class, hidden, profile, authorization, role
                    accepted for compatibility; local accounts on Linux need none of them

Runs useradd, usermod, userdel and chage; reads accounts with Python's pwd/grp and
/etc/shadow.

Returns: name, state, uid, group (primary gid), comment, home, shell, groups (when given),
system and create_home (new accounts), append and move_home (existing ones), force and
remove (removals), password: NOT_LOGGING_PASSWORD when a password was given,
ssh_fingerprint / ssh_key_file / ssh_public_key with generate_ssh_key, changed.

Example:
  - name: A deploy account in the www-data group
    user:
      name: deploy
      shell: /bin/bash
      groups: [www-data]
      append: true
"""
from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import time
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "name": {"type": "str", "required": True, "aliases": ["user"]},
    "uid": {"type": "int"},
    "non_unique": {"type": "bool", "default": False},
    "group": {"type": "str"},
    "groups": {"type": "list", "elements": "str"},
    "comment": {"type": "str"},
    "home": {"type": "path"},
    "shell": {"type": "path"},
    "password": {"type": "str", "no_log": True},
    "login_class": {"type": "str"},
    "password_expire_max": {"type": "int"},
    "password_expire_min": {"type": "int"},
    "password_expire_warn": {"type": "int"},
    "hidden": {"type": "bool"},
    "seuser": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "remove": {"type": "bool", "default": False},
    "create_home": {"type": "bool", "default": True, "aliases": ["createhome"]},
    "skeleton": {"type": "str"},
    "system": {"type": "bool", "default": False},
    "move_home": {"type": "bool", "default": False},
    "append": {"type": "bool", "default": False},
    "generate_ssh_key": {"type": "bool"},
    "ssh_key_bits": {"type": "int", "default": 0},
    "ssh_key_type": {"type": "str", "default": "rsa"},
    "ssh_key_file": {"type": "path"},
    "ssh_key_comment": {"type": "str"},
    "ssh_key_passphrase": {"type": "str", "no_log": True},
    "update_password": {"type": "str", "default": "always", "choices": ["always", "on_create"]},
    "expires": {"type": "float"},
    "password_lock": {"type": "bool"},
    "local": {"type": "bool"},
    "profile": {"type": "str"},
    "authorization": {"type": "str"},
    "role": {"type": "str"},
    "umask": {"type": "str"},
    "password_expire_account_disable": {"type": "int"},
    "uid_min": {"type": "int"},
    "uid_max": {"type": "int"},
}
SUPPORTS_CHECK_MODE = True

SHADOW = "/etc/shadow"
LOGIN_DEFS = "/etc/login.defs"
_NOT_HASH = re.compile(r"[^a-zA-Z0-9./=]")
# Length of the hash part of crypt(3) strings by method id, to spot a plain-text password.
_HASH_LENGTHS = {"1": 22, "5": 43, "6": 86, "y": 43}


def shadow_entry(name: str) -> tuple[str, int | None]:
    """(password hash, expiry in days since the epoch or None) from /etc/shadow."""
    try:
        with open(SHADOW, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if fields[0] == name and len(fields) > 7:
                    return fields[1], int(fields[7]) if fields[7].strip() else None
                if fields[0] == name:
                    return fields[1], None
    except OSError:
        pass
    return "", None


def shadow_aging(name: str) -> tuple[int | None, int | None, int | None, int | None] | None:
    """(min, max, warn, inactive) days from /etc/shadow, None when unreadable."""
    try:
        with open(SHADOW, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if fields[0] == name and len(fields) >= 7:
                    return tuple(int(f) if f.strip().lstrip("-").isdigit() else None  # type: ignore[return-value]
                                 for f in (fields[3], fields[4], fields[5], fields[6]))
    except OSError:
        pass
    return None


def looks_unhashed(password: str) -> bool:
    """True when `password` does not look like a crypt(3) hash (Ansible warns then)."""
    if password in ("*", "!", "*************"):
        return False
    if any(c in password for c in ":*!") or "$" not in password:
        return True
    fields = password.split("$")
    if len(fields) < 3:
        return True
    if _NOT_HASH.search(fields[-1]):
        return True
    wanted = _HASH_LENGTHS.get(fields[1])
    return wanted is not None and len(fields[-1]) != wanted


def group_entry(group: str) -> grp.struct_group | None:
    """A group by gid (when numeric) or by name, or None."""
    try:
        return grp.getgrgid(int(group))
    except (ValueError, KeyError):
        try:
            return grp.getgrnam(group)
        except KeyError:
            return None


class Account:
    """One run of the module for one account."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        self.ctx = ctx
        self.name: str = args["name"]
        self.groups: str | None = ",".join(args["groups"]) if args["groups"] is not None else None
        self.expires = time.gmtime(args["expires"]) if args["expires"] is not None else None
        self.epoch = time.gmtime(0)

    # ------------------------------------------------------------------ reading
    def info(self) -> list[Any] | None:
        """The passwd entry as a list (password taken from shadow), or None."""
        try:
            entry = list(pwd.getpwnam(self.name))
        except KeyError:
            return None
        if len(entry[1]) <= 1:
            entry[1] = shadow_entry(self.name)[0]
        return entry

    def wanted_groups(self, remove_primary: bool) -> set[str]:
        """The `groups` argument as group names, each checked to exist."""
        info = self.info()
        names: set[str] = set()
        for group in (g.strip() for g in (self.groups or "").split(",") if g.strip()):
            entry = group_entry(group)
            if entry is None:
                self.ctx.fail(f"Group {group} does not exist")
            if info and remove_primary and entry.gr_gid == info[3]:
                continue
            names.add(entry.gr_name)
        return names

    def member_of(self) -> list[str]:
        return [g.gr_name for g in grp.getgrall() if self.name in g.gr_mem]

    def execute(self, argv: list[Any]) -> tuple[int, str, str]:
        if self.ctx.check_mode:
            return 0, "", ""
        return self.ctx.run_command([str(a) for a in argv])

    # ------------------------------------------------------------------ changing
    def create(self) -> tuple[int, str, str]:  # noqa: C901  (existing; split when next touched)
        args = self.args
        argv: list[Any] = [require_program(self.ctx, "useradd")]
        if args["uid"] is not None:
            argv += ["-u", args["uid"]] + (["-o"] if args["non_unique"] else [])
        if args["seuser"] is not None:
            argv += ["-Z", args["seuser"]]
        if args["group"] is not None:
            if group_entry(args["group"]) is None:
                self.ctx.fail(f"Group {args['group']} does not exist")
            argv += ["-g", args["group"]]
        elif group_entry(self.name) is not None:
            argv.append("-N")  # a group named like the user exists: do not make another
        if self.groups:
            argv += ["-G", ",".join(sorted(self.wanted_groups(remove_primary=True)))]
        if args["comment"] is not None:
            argv += ["-c", args["comment"]]
        if args["home"] is not None:
            if args["create_home"] and not os.path.isdir(os.path.dirname(args["home"])):
                self.create_home_dir(args["home"])
            argv += ["-d", args["home"]]
        if args["shell"] is not None:
            argv += ["-s", args["shell"]]
        if self.expires is not None:
            argv += ["-e", "" if self.expires < self.epoch else time.strftime("%Y-%m-%d", self.expires)]
        if args["password_expire_account_disable"] is not None:
            argv += ["-f", args["password_expire_account_disable"]]
        if args["password"] is not None:
            argv += ["-p", f"!{args['password']}" if args["password_lock"] else args["password"]]
        if args["create_home"]:
            argv.append("-m")
            if args["skeleton"] is not None:
                argv += ["-k", args["skeleton"]]
            if args["umask"] is not None:
                argv += ["-K", f"UMASK={args['umask']}"]
        else:
            argv.append("-M")
        if args["system"]:
            argv.append("-r")
        for key, setting in (("uid_min", "UID_MIN"), ("uid_max", "UID_MAX")):
            if args[key] is not None:
                argv += ["-K", f"{setting}={args[key]}"]
        argv.append(self.name)
        return self.execute(argv)

    def modify(self) -> tuple[int | None, str, str]:  # noqa: C901  (existing; split when next touched)
        args = self.args
        info = self.info()
        assert info is not None
        argv: list[Any] = [require_program(self.ctx, "usermod")]
        if args["uid"] is not None and info[2] != args["uid"]:
            argv += ["-u", args["uid"]] + (["-o"] if args["non_unique"] else [])
        if args["group"] is not None:
            entry = group_entry(args["group"])
            if entry is None:
                self.ctx.fail(f"Group {args['group']} does not exist")
            if info[3] != entry.gr_gid:
                argv += ["-g", entry.gr_gid]
        if self.groups is not None:
            current = set(self.member_of())
            if self.groups == "":
                change = bool(current) and not args["append"]
                wanted: set[str] = set()
            else:
                wanted = self.wanted_groups(remove_primary=False)
                differ = current.symmetric_difference(wanted)
                change = bool(wanted & differ) if args["append"] else bool(differ)
            if change:
                if args["append"]:
                    argv.append("-a")
                argv += ["-G", ",".join(sorted(wanted))]
        if args["comment"] is not None and info[4] != args["comment"]:
            argv += ["-c", args["comment"]]
        if args["home"] is not None and info[5] != args["home"]:
            argv += ["-d", args["home"]] + (["-m"] if args["move_home"] else [])
        if args["shell"] is not None and info[6] != args["shell"]:
            argv += ["-s", args["shell"]]
        if self.expires is not None:
            current_days = shadow_entry(self.name)[1]
            current_days = -1 if current_days is None else current_days
            if self.expires < self.epoch:
                if current_days >= 0:
                    argv += ["-e", ""]
            elif current_days < 0 or time.gmtime(current_days * 86400)[:3] != self.expires[:3]:
                argv += ["-e", time.strftime("%Y-%m-%d", self.expires)]
        if args["password_expire_account_disable"] is not None:
            argv += ["-f", args["password_expire_account_disable"]]
        locked = str(info[1]).startswith("!")
        if args["password_lock"] and not locked:
            argv.append("-L")
        elif args["password_lock"] is False and locked:
            argv.append("-U")
        password = args["password"]
        if (args["update_password"] == "always" and password is not None
                and str(info[1]).lstrip("!") != password.lstrip("!")):
            argv = [a for a in argv if a not in ("-L", "-U")]
            argv += ["-p", f"!{password}" if args["password_lock"] else password]
        if len(argv) == 1:
            return None, "", ""
        argv.append(self.name)
        return self.execute(argv)

    def remove(self) -> tuple[int, str, str]:
        argv = [require_program(self.ctx, "userdel")]
        if self.args["force"]:
            argv.append("-f")
        if self.args["remove"]:
            argv.append("-r")
        argv.append(self.name)
        return self.execute(argv)

    def create_home_dir(self, path: str) -> None:
        """Make a home directory from the skeleton, with login.defs' HOME_MODE / UMASK."""
        if os.path.exists(path):
            return
        skeleton = self.args["skeleton"] or "/etc/skel"
        try:
            if os.path.exists(skeleton) and skeleton != os.devnull:
                shutil.copytree(skeleton, path, symlinks=True)
            else:
                os.makedirs(path)
        except OSError as exc:
            self.ctx.fail(str(exc))
        mode = 0o755
        try:
            with open(LOGIN_DEFS, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    match = re.match(r"^HOME_MODE\s+(\d+)$", line)
                    if match:
                        mode = int(match.group(1), 8)
                        break
                    match = re.match(r"^UMASK\s+(\d+)$", line)
                    if match:
                        mode = 0o777 & ~int(match.group(1), 8)
        except OSError:
            pass
        os.chmod(path, mode)

    @staticmethod
    def chown_tree(path: str, uid: int, gid: int) -> None:
        os.chown(path, uid, gid)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                full = os.path.join(root, name)
                if not os.path.islink(full):
                    os.chown(full, uid, gid)

    def password_aging(self) -> tuple[int | None, str, str]:
        args = self.args
        wanted = {"-m": args["password_expire_min"], "-M": args["password_expire_max"],
                  "-W": args["password_expire_warn"]}
        current = shadow_aging(self.name)
        if current is not None:
            now = {"-m": current[0], "-M": current[1], "-W": current[2]}
            wanted = {k: v for k, v in wanted.items() if v is not None and v != now[k]}
        else:
            wanted = {k: v for k, v in wanted.items() if v is not None}
        if not wanted:
            return None, "", ""
        argv: list[Any] = [require_program(self.ctx, "chage")]
        for flag, value in wanted.items():
            argv += [flag, value]
        argv.append(self.name)
        return self.execute(argv)

    # ------------------------------------------------------------------ ssh keys
    def key_path(self) -> str:
        info = self.info()
        assert info is not None
        relative = self.args["ssh_key_file"] or os.path.join(".ssh", f"id_{self.args['ssh_key_type']}")
        return relative if os.path.isabs(relative) else os.path.join(info[5], relative)

    def generate_key(self) -> tuple[int | None, str, str]:
        info = self.info()
        assert info is not None
        key = self.key_path()
        folder = os.path.dirname(key)
        overwrite = None
        if not os.path.exists(folder):
            if self.ctx.check_mode:
                return 0, "", ""
            try:
                os.mkdir(folder, 0o700)
                os.chown(folder, info[2], info[3])
            except OSError as exc:
                return 1, "", f"Failed to create {folder}: {exc}"
        for path, what in ((key, "private"), (f"{key}.pub", "public")):
            if os.path.exists(path):
                if not self.args["force"]:
                    self.ctx.warn(f'Found existing ssh key {what} file "{path}", no force, so skipping ssh-keygen '
                                  f"generation")
                    return None, "Key already exists, use \"force: yes\" to overwrite", ""
                self.ctx.warn(f'Overwriting existing ssh key {what} file "{path}"')
                if what == "public":
                    if not self.ctx.check_mode:
                        os.unlink(path)
                else:
                    overwrite = "y"
        comment = self.args["ssh_key_comment"] or f"ansible-generated on {socket.gethostname()}"
        argv: list[Any] = [require_program(self.ctx, "ssh-keygen"), "-t", self.args["ssh_key_type"]]
        if self.args["ssh_key_bits"] > 0:
            argv += ["-b", self.args["ssh_key_bits"]]
        argv += ["-C", comment, "-f", key, "-N", self.args["ssh_key_passphrase"] or ""]
        if self.ctx.check_mode:
            return 0, "", ""
        rc, out, err = self.ctx.run_command([str(a) for a in argv], data=overwrite)
        if rc == 0:
            os.chown(key, info[2], info[3])
            os.chown(f"{key}.pub", info[2], info[3])
        return rc, out, err


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    account = Account(args, ctx)
    name, state = args["name"], args["state"]
    if args["password"] and looks_unhashed(args["password"]):
        ctx.warn("The input password appears not to have been hashed. The 'password' argument must be encrypted "
                 "for this module to work properly.")
    if account.groups is None and args["append"]:
        ctx.warn("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups."
                 "This will change to an error in Ansible 2.14.")
    result: dict[str, Any] = {"name": name, "state": state}
    rc: int | None = None
    out = err = ""
    exists = account.info() is not None
    if state == "absent":
        if exists:
            if ctx.check_mode:
                return {"changed": True}
            rc, out, err = account.remove()
            if rc != 0:
                ctx.fail(err, name=name, rc=rc)
            result.update(force=args["force"], remove=args["remove"])
    else:
        if not exists:
            if ctx.check_mode:
                return {"changed": True}
            needs_parents = bool(args["home"] and args["create_home"]
                                 and not os.path.isdir(os.path.dirname(args["home"])))
            rc, out, err = account.create()
            if needs_parents and rc == 0:
                info = account.info()
                if info is not None:
                    account.chown_tree(args["home"], info[2], info[3])
            result.update(system=args["system"], create_home=args["create_home"])
        else:
            rc, out, err = account.modify()
            result.update(append=args["append"], move_home=args["move_home"])
        if rc is not None and rc != 0:
            ctx.fail(err, name=name, rc=rc)
        if args["password"] is not None:
            result["password"] = "NOT_LOGGING_PASSWORD"
    result["changed"] = rc is not None
    if out:
        result["stdout"] = out
    if err:
        result["stderr"] = err

    info = account.info()
    if info is not None and state == "present":
        result.update(uid=info[2], group=info[3], comment=info[4], home=info[5], shell=info[6])
        if account.groups is not None:
            result["groups"] = account.groups
        home = args["home"] or info[5]
        if not os.path.exists(home) and args["create_home"]:
            if not ctx.check_mode:
                account.create_home_dir(home)
                account.chown_tree(home, info[2], info[3])
            result["changed"] = True
        if args["generate_ssh_key"]:
            rc, out, err = account.generate_key()
            if rc is not None and rc != 0:
                ctx.fail(err, name=name, rc=rc)
            if rc == 0:
                result["changed"] = True
            key = account.key_path()
            if os.path.exists(key):
                rc, out, err = ctx.run_command([require_program(ctx, "ssh-keygen"), "-l", "-f", key])
                result["ssh_fingerprint"] = out.strip() if rc == 0 else err.strip()
            else:
                result["ssh_fingerprint"] = f"SSH Key file {key} does not exist"
            result["ssh_key_file"] = key
            try:
                with open(f"{key}.pub", encoding="utf-8") as handle:
                    result["ssh_public_key"] = handle.read().strip()
            except OSError:
                result["ssh_public_key"] = None
        rc, out, err = account.password_aging()
        if rc is not None:
            if rc != 0:
                ctx.fail(err, name=name, rc=rc)
            result["changed"] = True
    return result
