"""Target-side modules, run through the worker's in-process entry point.

Each test sends a request the way the controller does ({"module", "args", "check", "diff"})
to `run_module` and checks both the result dict and what really happened on disk in
`tmp_path`. Nothing here touches the network beyond 127.0.0.1.
"""
from __future__ import annotations

import base64
import hashlib
import http.server
import os
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from miniplay.modules._worker import run_module


def run(module: str, check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
    return run_module({"module": module, "args": args, "check": check, "diff": diff})


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temp files a failed or finished write might have left behind."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".miniplay-")]


# =========================================================================== arguments, ping
class TestArguments:
    def test_unknown_argument_is_refused_with_ansibles_wording(self, tmp_path):
        result = run("file", path=str(tmp_path / "x"), bogus=1)
        assert result["failed"] is True
        assert result["msg"].startswith("Unsupported parameters for (file) module: bogus.")
        assert "Supported parameters include:" in result["msg"]

    def test_missing_required_argument(self):
        result = run("file", state="touch")
        assert result["failed"] is True
        assert result["msg"] == "missing required arguments: path"

    def test_bad_choice(self, tmp_path):
        result = run("file", path=str(tmp_path), state="nope")
        assert result["failed"] is True
        assert result["msg"].startswith("value of state must be one of:")

    def test_mutually_exclusive(self, tmp_path):
        result = run("lineinfile", path=str(tmp_path / "f"), line="x", insertafter="a", insertbefore="b")
        assert result["msg"] == "parameters are mutually exclusive: insertbefore|insertafter"

    def test_aliases(self, tmp_path):
        result = run("file", dest=str(tmp_path / "a"), state="touch")
        assert result["changed"] is True and (tmp_path / "a").exists()


class TestPing:
    def test_pong(self):
        result = run("ping")
        assert result["ping"] == "pong" and result["changed"] is False
        assert "failed" not in result

    def test_data_and_check_mode(self):
        assert run("ping", check=True, data="hello")["ping"] == "hello"

    def test_crash_raises(self):
        result = run("ping", data="crash")
        assert result["failed"] is True
        assert "boom" in result["msg"] and "Traceback" in result["exception"]


# =========================================================================== file
class TestFile:
    def test_touch_creates_and_always_changes(self, tmp_path):
        target = tmp_path / "t"
        first = run("file", path=str(target), state="touch", mode="0640")
        assert first["changed"] is True
        assert first["dest"] == str(target)
        assert first["mode"] == "0640" and first["state"] == "file" and first["size"] == 0
        assert mode_of(target) == 0o640
        assert run("file", path=str(target), state="touch")["changed"] is True  # touch updates times

    def test_touch_check_mode_creates_nothing(self, tmp_path):
        result = run("file", check=True, path=str(tmp_path / "t"), state="touch")
        assert result == {**result, "changed": True, "dest": str(tmp_path / "t")}
        assert not (tmp_path / "t").exists()

    def test_mode_idempotent(self, tmp_path):
        target = tmp_path / "f"
        target.write_text("x")
        target.chmod(0o644)
        first = run("file", path=str(target), mode="0600")
        assert first["changed"] is True and first["mode"] == "0600" and first["state"] == "file"
        assert {"uid", "gid", "owner", "group", "size"} <= set(first)
        assert mode_of(target) == 0o600
        assert run("file", path=str(target), mode="0600")["changed"] is False

    def test_mode_forms(self, tmp_path):
        target = tmp_path / "f"
        target.write_text("x")
        target.chmod(0o644)
        assert run("file", path=str(target), mode="u+x,g-r")["mode"] == "0704"
        assert run("file", path=str(target), mode=0o640)["mode"] == "0640"  # YAML 0640 arrives as int
        assert run("file", path=str(target), mode="u=rw,go=")["mode"] == "0600"
        assert run("file", path=str(target), mode="a+X")["mode"] == "0600"  # X: no one may execute yet
        assert run("file", path=str(target), mode="644")["mode"] == "0644"

    def test_bad_mode(self, tmp_path):
        target = tmp_path / "f"
        target.write_text("x")
        result = run("file", path=str(target), mode="u+z")
        assert result["failed"] is True
        assert result["msg"] == "mode must be in octal or symbolic form"
        assert result["details"] == "bad symbolic permission for mode: u+z"
        assert result["path"] == str(target) and result["state"] == "file"  # a failure describes the path

    def test_check_mode_and_diff_for_mode(self, tmp_path):
        target = tmp_path / "f"
        target.write_text("x")
        target.chmod(0o644)
        result = run("file", check=True, diff=True, path=str(target), mode="0600")
        assert result["changed"] is True
        assert result["diff"] == {"before": {"path": str(target), "mode": "0644"},
                                  "after": {"path": str(target), "mode": "0600"}}
        assert mode_of(target) == 0o644

    def test_file_state_on_missing_path_fails(self, tmp_path):
        result = run("file", path=str(tmp_path / "nope"))
        assert result["failed"] is True
        assert result["msg"] == f"file ({tmp_path / 'nope'}) is absent, cannot continue"
        assert result["state"] == "absent"

    def test_directory_nested(self, tmp_path):
        target = tmp_path / "a" / "b" / "c"
        result = run("file", diff=True, path=str(target), state="directory", mode="0750")
        assert result["changed"] is True and result["state"] == "directory" and result["mode"] == "0750"
        assert result["diff"]["before"]["state"] == "absent" and result["diff"]["after"]["state"] == "directory"
        for level in (tmp_path / "a", tmp_path / "a" / "b", target):
            assert level.is_dir() and mode_of(level) == 0o750
        assert run("file", path=str(target), state="directory", mode="0750")["changed"] is False

    def test_directory_check_mode(self, tmp_path):
        result = run("file", check=True, path=str(tmp_path / "d"), state="directory")
        assert result["changed"] is True and not (tmp_path / "d").exists()

    def test_directory_over_file_fails(self, tmp_path):
        (tmp_path / "f").write_text("x")
        result = run("file", path=str(tmp_path / "f"), state="directory")
        assert result["msg"] == f"{tmp_path / 'f'} already exists as a file"

    def test_recurse(self, tmp_path):
        top = tmp_path / "top"
        (top / "sub").mkdir(parents=True)
        (top / "sub" / "f").write_text("x")
        (top / "sub" / "f").chmod(0o644)
        result = run("file", path=str(top), state="directory", recurse=True, mode="u=rwX,go=")
        assert result["changed"] is True
        assert mode_of(top / "sub") == 0o700 and mode_of(top / "sub" / "f") == 0o600
        assert run("file", path=str(top), state="directory", recurse=True, mode="u=rwX,go=")["changed"] is False
        assert run("file", path=str(top / "sub" / "f"), recurse=True)["msg"] == \
            "recurse option requires state to be 'directory'"

    def test_absent(self, tmp_path):
        tree = tmp_path / "tree"
        (tree / "x").mkdir(parents=True)
        (tree / "x" / "f").write_text("x")
        checked = run("file", check=True, diff=True, path=str(tree), state="absent")
        assert checked["changed"] is True and tree.exists()
        assert checked["diff"]["before"]["path_content"] == {"directories": [str(tree / "x")],
                                                             "files": [str(tree / "x" / "f")]}
        result = run("file", path=str(tree), state="absent")
        assert result == {**result, "path": str(tree), "state": "absent", "changed": True}
        assert not tree.exists()
        assert run("file", path=str(tree), state="absent")["changed"] is False

    def test_symlink(self, tmp_path):
        (tmp_path / "a").write_text("a")
        (tmp_path / "b").write_text("b")
        link = tmp_path / "l"
        first = run("file", path=str(link), src=str(tmp_path / "a"), state="link")
        assert first["changed"] is True and first["state"] == "link" and first["src"] == str(tmp_path / "a")
        assert os.readlink(link) == str(tmp_path / "a")
        assert run("file", path=str(link), src=str(tmp_path / "a"), state="link")["changed"] is False
        moved = run("file", diff=True, path=str(link), src=str(tmp_path / "b"), state="link")
        assert moved["changed"] is True
        assert moved["diff"]["before"]["src"] == str(tmp_path / "a")
        assert moved["diff"]["after"]["src"] == str(tmp_path / "b")
        assert os.readlink(link) == str(tmp_path / "b")

    def test_symlink_refusals_and_force(self, tmp_path):
        (tmp_path / "f").write_text("x")
        missing = run("file", path=str(tmp_path / "l"), src=str(tmp_path / "nope"), state="link")
        assert missing["msg"].startswith("src file does not exist, use 'force=yes'")
        refused = run("file", path=str(tmp_path / "f"), src="/etc", state="link")
        assert refused["msg"] == f"refusing to convert from file to symlink for {tmp_path / 'f'}"
        forced = run("file", path=str(tmp_path / "f"), src="/etc", state="link", force=True)
        assert forced["changed"] is True and os.path.islink(tmp_path / "f")
        dangling = run("file", path=str(tmp_path / "d"), src=str(tmp_path / "nope"), state="link", force=True)
        assert dangling["changed"] is True and os.path.islink(tmp_path / "d")
        assert any("non-existent symlink target" in w for w in dangling["warnings"])

    def test_hard_link(self, tmp_path):
        (tmp_path / "a").write_text("a")
        result = run("file", path=str(tmp_path / "h"), src=str(tmp_path / "a"), state="hard")
        assert result["changed"] is True and result["state"] == "hard"
        assert os.stat(tmp_path / "h").st_ino == os.stat(tmp_path / "a").st_ino
        assert run("file", path=str(tmp_path / "h"), src=str(tmp_path / "a"), state="hard")["changed"] is False

    def test_owner_and_times(self, tmp_path):
        target = tmp_path / "f"
        target.write_text("x")
        me = run("file", path=str(target), owner=str(os.getuid()), group=str(os.getgid()))
        assert me["changed"] is False and me["uid"] == os.getuid()
        unknown = run("file", path=str(target), owner="no-such-user-here")
        assert unknown["msg"] == "chown failed: failed to look up user no-such-user-here"
        stamped = run("file", path=str(target), modification_time="202001021030.00", access_time="preserve")
        assert stamped["changed"] is True
        assert time.localtime(os.stat(target).st_mtime)[:5] == (2020, 1, 2, 10, 30)
        again = run("file", path=str(target), modification_time="202001021030.00", access_time="preserve")
        assert again["changed"] is False


# =========================================================================== copy
class TestCopy:
    def test_content_creates_then_is_idempotent(self, tmp_path):
        dest = tmp_path / "motd"
        first = run("copy", content="hello\n", dest=str(dest), mode="0640")
        assert first["changed"] is True
        assert first["checksum"] == sha1(b"hello\n")
        assert first["md5sum"] == hashlib.md5(b"hello\n").hexdigest()
        assert first["dest"] == str(dest) and first["state"] == "file"
        assert first["size"] == 6 and first["mode"] == "0640"
        assert dest.read_bytes() == b"hello\n" and mode_of(dest) == 0o640
        second = run("copy", content="hello\n", dest=str(dest), mode="0640")
        assert second["changed"] is False
        assert second["checksum"] == sha1(b"hello\n") and second["path"] == str(dest)
        assert leftovers(tmp_path) == []

    def test_new_file_gets_umask_default_and_old_file_keeps_its_mode(self, tmp_path):
        dest = tmp_path / "f"
        run("copy", content="a", dest=str(dest))
        assert mode_of(dest) == default_file_mode()
        dest.chmod(0o600)
        assert run("copy", content="b", dest=str(dest))["changed"] is True
        assert mode_of(dest) == 0o600 and dest.read_text() == "b"

    def test_mode_only_change(self, tmp_path):
        dest = tmp_path / "f"
        dest.write_text("same")
        dest.chmod(0o644)
        result = run("copy", diff=True, content="same", dest=str(dest), mode="0600")
        assert result["changed"] is True and mode_of(dest) == 0o600
        assert result["diff"]["before"]["mode"] == "0644" and result["diff"]["after"]["mode"] == "0600"

    def test_check_mode_and_diff(self, tmp_path):
        dest = tmp_path / "f"
        dest.write_text("old\n")
        result = run("copy", check=True, diff=True, content="new\n", dest=str(dest))
        assert result["changed"] is True
        assert result["diff"] == {"before": "old\n", "after": "new\n",
                                  "before_header": str(dest), "after_header": str(dest)}
        assert dest.read_text() == "old\n"
        fresh = run("copy", check=True, diff=True, content="x", dest=str(tmp_path / "new"))
        assert fresh["diff"]["before"] == "" and fresh["diff"]["after"] == "x"
        assert not (tmp_path / "new").exists()

    def test_backup(self, tmp_path):
        dest = tmp_path / "f"
        dest.write_text("old")
        result = run("copy", content="new", dest=str(dest), backup=True)
        assert Path(result["backup_file"]).read_text() == "old"
        assert result["backup_file"].startswith(f"{dest}.{os.getpid()}.")
        assert dest.read_text() == "new"

    def test_force_false_keeps_existing(self, tmp_path):
        dest = tmp_path / "f"
        dest.write_text("mine")
        result = run("copy", content="theirs", dest=str(dest), force=False)
        assert result["changed"] is False and dest.read_text() == "mine"

    def test_validate(self, tmp_path):
        dest = tmp_path / "f"
        dest.write_text("good")
        bad = run("copy", content="bad", dest=str(dest), validate="grep -q good %s")
        assert bad["failed"] is True and bad["msg"] == "failed to validate" and bad["exit_status"] == 1
        assert dest.read_text() == "good" and leftovers(tmp_path) == []
        no_placeholder = run("copy", content="x", dest=str(dest), validate="true")
        assert no_placeholder["msg"] == "validate must contain %s: true"
        ok = run("copy", content="good too", dest=str(dest), validate="grep -q good %s")
        assert ok["changed"] is True and dest.read_text() == "good too"

    def test_controller_file_bytes_into_directory(self, tmp_path):
        data = bytes(range(256))
        folder = tmp_path / "dir"
        folder.mkdir()
        result = run("copy", dest=str(folder), _miniplay_content_b64=base64.b64encode(data).decode(),
                     _miniplay_src_name="blob.bin")
        assert result["changed"] is True and result["dest"] == str(folder / "blob.bin")
        assert (folder / "blob.bin").read_bytes() == data
        assert "_miniplay_content_b64" not in result["invocation"]["module_args"]

    def test_trailing_slash_creates_directories(self, tmp_path):
        dest = tmp_path / "new" / "sub"
        result = run("copy", dest=f"{dest}/", _miniplay_content_b64=base64.b64encode(b"x").decode(),
                     _miniplay_src_name="f.txt", directory_mode="0700")
        assert result["dest"] == str(dest / "f.txt") and (dest / "f.txt").read_text() == "x"
        assert mode_of(tmp_path / "new") == 0o700 and mode_of(dest) == 0o700

    def test_content_into_directory_is_refused(self, tmp_path):
        assert run("copy", content="x", dest=f"{tmp_path}/")["msg"] == "can not use content with a dir as dest"
        assert run("copy", content="x", dest=str(tmp_path))["msg"] == "can not use content with a dir as dest"

    def test_missing_parent_directory(self, tmp_path):
        result = run("copy", content="x", dest=str(tmp_path / "no" / "f"))
        assert result["msg"] == f"Destination directory {tmp_path / 'no'} does not exist"
        assert result["checksum"] == sha1(b"x")

    def test_source_required(self, tmp_path):
        assert run("copy", dest=str(tmp_path / "f"))["msg"] == "src (or content) is required"

    def test_content_is_no_log(self, tmp_path):
        result = run("copy", content="secret", dest=str(tmp_path / "f"))
        assert result["invocation"]["module_args"]["content"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    def test_remote_src_file(self, tmp_path):
        src = tmp_path / "src"
        src.write_text("data")
        result = run("copy", remote_src=True, src=str(src), dest=str(tmp_path / "dst"))
        assert result["changed"] is True and result["src"] == str(src)
        assert result["checksum"] == sha1(b"data") and (tmp_path / "dst").read_text() == "data"
        assert run("copy", remote_src=True, src=str(src), dest=str(tmp_path / "dst"))["changed"] is False
        missing = run("copy", remote_src=True, src=str(tmp_path / "nope"), dest=str(tmp_path / "x"))
        assert missing["msg"] == f"Source {tmp_path / 'nope'} not found"

    def test_remote_src_directory(self, tmp_path):
        src = tmp_path / "tree"
        (src / "a").mkdir(parents=True)
        (src / "a" / "f").write_text("f")
        (src / "g").write_text("g")
        out = tmp_path / "out"
        out.mkdir()
        result = run("copy", remote_src=True, src=str(src), dest=str(out))
        assert result["changed"] is True and result["dest"] == str(out / "tree")
        assert (out / "tree" / "a" / "f").read_text() == "f" and (out / "tree" / "g").read_text() == "g"
        assert run("copy", remote_src=True, src=str(src), dest=str(out))["changed"] is False
        (src / "g").write_text("G")
        assert run("copy", remote_src=True, src=str(src), dest=str(out))["changed"] is True
        assert (out / "tree" / "g").read_text() == "G"

    def test_checksum_mismatch(self, tmp_path):
        result = run("copy", content="x", dest=str(tmp_path / "f"), checksum="0" * 40)
        assert result["msg"] == "Copied file does not match the expected checksum. Transfer failed."
        assert not (tmp_path / "f").exists()

    def test_symlink_dest_follow(self, tmp_path):
        (tmp_path / "real").write_text("old")
        os.symlink(tmp_path / "real", tmp_path / "link")
        result = run("copy", content="new", dest=str(tmp_path / "link"), follow=True)
        assert result["dest"] == str(tmp_path / "real")
        assert os.path.islink(tmp_path / "link") and (tmp_path / "real").read_text() == "new"
        run("copy", content="newer", dest=str(tmp_path / "link"))
        assert not os.path.islink(tmp_path / "link") and (tmp_path / "real").read_text() == "new"


# =========================================================================== stat
class TestStat:
    def test_missing(self, tmp_path):
        assert run("stat", path=str(tmp_path / "nope")) == {
            "changed": False, "stat": {"exists": False},
            "invocation": run("stat", path=str(tmp_path / "nope"))["invocation"]}

    def test_regular_file(self, tmp_path):
        target = tmp_path / "f"
        target.write_bytes(b"hello")
        target.chmod(0o640)
        info = run("stat", path=str(target))["stat"]
        assert info["exists"] and info["isreg"] and not info["isdir"] and not info["islnk"]
        assert info["mode"] == "0640" and info["size"] == 5 and info["path"] == str(target)
        assert info["uid"] == os.getuid() and info["pw_name"] and info["gr_name"]
        assert info["checksum"] == sha1(b"hello")
        assert info["rusr"] and info["wusr"] and not info["xusr"] and info["rgrp"] and not info["roth"]
        assert {"mtime", "atime", "ctime", "inode", "dev", "nlink", "readable", "writeable"} <= set(info)
        assert info["mimetype"] == "text/plain" and info["charset"] == "us-ascii"
        sha256 = run("stat", path=str(target), checksum_algorithm="sha256")["stat"]["checksum"]
        assert sha256 == hashlib.sha256(b"hello").hexdigest()
        assert "checksum" not in run("stat", path=str(target), get_checksum=False)["stat"]

    def test_link_and_dir(self, tmp_path):
        (tmp_path / "f").write_text("x")
        os.symlink("f", tmp_path / "l")
        link = run("stat", path=str(tmp_path / "l"))["stat"]
        assert link["islnk"] and link["lnk_target"] == "f" and link["lnk_source"] == str(tmp_path / "f")
        followed = run("stat", path=str(tmp_path / "l"), follow=True)["stat"]
        assert followed["isreg"] and not followed["islnk"]
        folder = run("stat", path=str(tmp_path))["stat"]
        assert folder["isdir"] and "checksum" not in folder


# =========================================================================== lineinfile
class TestLineinfile:
    @pytest.fixture
    def conf(self, tmp_path) -> Path:
        path = tmp_path / "conf"
        path.write_text("a=1\nb=2\n")
        return path

    def test_add_then_idempotent(self, conf):
        result = run("lineinfile", path=str(conf), line="c=3")
        assert result["changed"] is True and result["msg"] == "line added" and result["backup"] == ""
        assert conf.read_text() == "a=1\nb=2\nc=3\n"
        again = run("lineinfile", path=str(conf), line="c=3")
        assert again["changed"] is False and again["msg"] == ""

    def test_regexp_replace(self, conf):
        result = run("lineinfile", path=str(conf), regexp="^a=", line="a=9")
        assert result["msg"] == "line replaced" and conf.read_text() == "a=9\nb=2\n"
        assert run("lineinfile", path=str(conf), regexp="^a=", line="a=9")["changed"] is False

    def test_backrefs(self, conf):
        result = run("lineinfile", path=str(conf), regexp=r"^b=(\d)$", line=r"b=\1\1", backrefs=True)
        assert result["changed"] is True and conf.read_text() == "a=1\nb=22\n"
        nothing = run("lineinfile", path=str(conf), regexp=r"^zz(.*)$", line=r"x\1", backrefs=True)
        assert nothing["changed"] is False and conf.read_text() == "a=1\nb=22\n"

    def test_insert_positions(self, conf):
        run("lineinfile", path=str(conf), line="after-a", insertafter="^a=")
        run("lineinfile", path=str(conf), line="before-b", insertbefore="^b=")
        run("lineinfile", path=str(conf), line="top", insertbefore="BOF")
        assert conf.read_text() == "top\na=1\nafter-a\nbefore-b\nb=2\n"

    def test_search_string_and_firstmatch(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("x=1\nx=2\n")
        run("lineinfile", path=str(path), search_string="x=", line="x=first", firstmatch=True)
        assert path.read_text() == "x=first\nx=2\n"

    def test_absent(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("keep\ndrop 1\ndrop 2\n")
        result = run("lineinfile", path=str(path), state="absent", regexp="^drop")
        assert result["changed"] is True and result["found"] == 2 and result["msg"] == "2 line(s) removed"
        assert path.read_text() == "keep\n"
        again = run("lineinfile", path=str(path), state="absent", regexp="^drop")
        assert again["changed"] is False and again["found"] == 0
        missing = run("lineinfile", path=str(tmp_path / "nope"), state="absent", line="x")
        assert missing == {**missing, "changed": False, "msg": "file not present"}

    def test_missing_file_and_create(self, tmp_path):
        target = tmp_path / "sub" / "new"
        missing = run("lineinfile", path=str(target), line="x")
        assert missing["rc"] == 257 and missing["msg"] == f"Destination {target} does not exist !"
        checked = run("lineinfile", check=True, path=str(target), line="x", create=True)
        assert checked["changed"] is True and not target.exists()
        created = run("lineinfile", path=str(target), line="x", create=True, mode="0600")
        assert created["changed"] is True and target.read_text() == "x\n" and mode_of(target) == 0o600

    def test_check_mode_and_diff(self, conf):
        result = run("lineinfile", check=True, diff=True, path=str(conf), line="c=3")
        assert result["changed"] is True
        assert result["diff"] == {"before": "a=1\nb=2\n", "after": "a=1\nb=2\nc=3\n",
                                  "before_header": f"{conf} (content)", "after_header": f"{conf} (content)"}
        assert conf.read_text() == "a=1\nb=2\n"

    def test_attributes_message_and_backup(self, conf):
        conf.chmod(0o644)
        result = run("lineinfile", path=str(conf), line="c=3", mode="0600", backup=True)
        assert result["msg"] == "line added and ownership, perms or SE linux context changed"
        assert Path(result["backup"]).read_text() == "a=1\nb=2\n" and mode_of(conf) == 0o600
        only_mode = run("lineinfile", path=str(conf), line="c=3", mode="0640")
        assert only_mode["changed"] is True and only_mode["msg"] == "ownership, perms or SE linux context changed"

    def test_validate_failure_keeps_file(self, conf):
        result = run("lineinfile", path=str(conf), line="c=3", validate="grep -q nothing %s")
        assert result["failed"] is True and result["msg"].startswith("failed to validate: rc:1")
        assert conf.read_text() == "a=1\nb=2\n" and leftovers(conf.parent) == []

    def test_argument_rules(self, conf):
        assert run("lineinfile", path=str(conf))["msg"] == "line is required with state=present"
        assert run("lineinfile", path=str(conf), line="x", backrefs=True)["msg"] == \
            "regexp is required with backrefs=true"
        assert run("lineinfile", path=str(conf), state="absent")["msg"] == \
            "one of line, search_string, or regexp is required with state=absent"
        assert run("lineinfile", path=str(conf.parent), line="x")["msg"] == f"Path {conf.parent} is a directory !"


# =========================================================================== blockinfile
class TestBlockinfile:
    def test_insert_update_remove(self, tmp_path):
        path = tmp_path / "hosts"
        path.write_text("127.0.0.1 localhost\n")
        first = run("blockinfile", path=str(path), block="10.0.0.1 web1\n10.0.0.2 web2")
        assert first["changed"] is True and first["msg"] == "Block inserted"
        assert path.read_text() == ("127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n"
                                    "10.0.0.1 web1\n10.0.0.2 web2\n# END ANSIBLE MANAGED BLOCK\n")
        assert run("blockinfile", path=str(path), block="10.0.0.1 web1\n10.0.0.2 web2")["changed"] is False
        run("blockinfile", path=str(path), block="10.0.0.3 web3")
        assert path.read_text() == ("127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n"
                                    "10.0.0.3 web3\n# END ANSIBLE MANAGED BLOCK\n")
        removed = run("blockinfile", path=str(path), state="absent")
        assert removed["msg"] == "Block removed" and path.read_text() == "127.0.0.1 localhost\n"

    def test_marker_and_position(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("first\nsecond\n")
        run("blockinfile", path=str(path), block="x", marker="<!-- {mark} -->", marker_begin="S",
            marker_end="E", insertbefore="BOF")
        assert path.read_text() == "<!-- S -->\nx\n<!-- E -->\nfirst\nsecond\n"
        run("blockinfile", path=str(path), block="y", insertafter="^first")
        assert path.read_text().splitlines()[4:7] == ["# BEGIN ANSIBLE MANAGED BLOCK", "y",
                                                      "# END ANSIBLE MANAGED BLOCK"]

    def test_create_check_and_diff(self, tmp_path):
        path = tmp_path / "new"
        missing = run("blockinfile", path=str(path), block="x")
        assert missing["rc"] == 257 and missing["msg"] == f"Path {path} does not exist !"
        checked = run("blockinfile", check=True, diff=True, path=str(path), block="x", create=True)
        assert checked["changed"] is True and checked["msg"] == "File created" and not path.exists()
        assert checked["diff"]["after"] == "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n"
        created = run("blockinfile", path=str(path), block="x", create=True, backup=True)
        assert created["msg"] == "File created" and "backup_file" not in created and path.exists()

    def test_backup(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("a\n")
        result = run("blockinfile", path=str(path), block="x", backup=True)
        assert Path(result["backup_file"]).read_text() == "a\n"


# =========================================================================== replace
class TestReplace:
    def test_replace_all(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("port=80\nhost=a\nport=81\n")
        result = run("replace", path=str(path), regexp=r"^port=(\d+)", replace=r"port=8\1")
        assert result["changed"] is True and result["msg"] == "2 replacements made" and result["rc"] == 0
        assert path.read_text() == "port=880\nhost=a\nport=881\n"
        assert run("replace", path=str(path), regexp="^nothing", replace="x") == \
            {**run("replace", path=str(path), regexp="^nothing", replace="x"), "changed": False, "msg": ""}

    def test_after_before(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("x\n[s]\nx\n[e]\nx\n")
        run("replace", path=str(path), regexp="^x$", replace="y", after=r"\[s\]", before=r"\[e\]")
        assert path.read_text() == "x\n[s]\ny\n[e]\nx\n"
        nomatch = run("replace", path=str(path), regexp="x", after="NOPE")
        assert nomatch["changed"] is False
        assert nomatch["msg"].startswith("Pattern for before/after params did not match the given file")

    def test_check_diff_backup(self, tmp_path):
        path = tmp_path / "f"
        path.write_text("a\n")
        checked = run("replace", check=True, diff=True, path=str(path), regexp="a", replace="b")
        assert checked["changed"] is True and path.read_text() == "a\n"
        assert checked["diff"] == {"before": "a\n", "after": "b\n", "before_header": str(path),
                                   "after_header": str(path)}
        done = run("replace", path=str(path), regexp="a", replace="b", backup=True)
        assert Path(done["backup_file"]).read_text() == "a\n" and path.read_text() == "b\n"

    def test_missing_file(self, tmp_path):
        result = run("replace", path=str(tmp_path / "nope"), regexp="a")
        assert result["rc"] == 257 and result["msg"] == f"Path {tmp_path / 'nope'} does not exist !"


# =========================================================================== slurp, tempfile
class TestSlurpAndTempfile:
    def test_slurp(self, tmp_path):
        (tmp_path / "f").write_bytes(b"\x00\xffdata")
        result = run("slurp", src=str(tmp_path / "f"))
        assert base64.b64decode(result["content"]) == b"\x00\xffdata"
        assert result["encoding"] == "base64" and result["source"] == str(tmp_path / "f")
        assert run("slurp", path=str(tmp_path / "nope"))["msg"] == f"File not found: {tmp_path / 'nope'}"
        assert run("slurp", path=str(tmp_path))["msg"] == f"Source is a directory and must be a file: {tmp_path}"

    def test_tempfile(self, tmp_path):
        made = run("tempfile", path=str(tmp_path), prefix="pre.", suffix=".txt")
        path = Path(made["path"])
        assert made["changed"] is True and path.parent == tmp_path and path.is_file()
        assert path.name.startswith("pre.") and path.name.endswith(".txt") and mode_of(path) == 0o600
        folder = run("tempfile", path=str(tmp_path), state="directory")
        assert Path(folder["path"]).is_dir() and folder["state"] == "directory"
        assert run("tempfile", path=str(tmp_path), prefix="a/b")["msg"] == \
            "prefix must be a valid file name component, got 'a/b'"

    def test_tempfile_is_skipped_in_check_mode(self, tmp_path):
        result = run("tempfile", check=True, path=str(tmp_path))
        assert result["skipped"] is True and list(tmp_path.iterdir()) == []


# =========================================================================== wait_for
@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestWaitFor:
    def test_path_present_and_appearing(self, tmp_path):
        target = tmp_path / "ready"
        timer = threading.Timer(0.2, target.write_text, args=("READY v=42\n",))
        timer.start()
        try:
            result = run("wait_for", path=str(target), search_regex=r"v=(?P<v>\d+)", timeout=5, sleep=0.05)
        finally:
            timer.cancel()
        assert "failed" not in result and result["elapsed"] == 0 and result["state"] == "file"
        assert result["match_groups"] == ["42"] and result["match_groupdict"] == {"v": "42"}

    def test_path_timeout_message(self, tmp_path):
        started = time.monotonic()
        result = run("wait_for", path=str(tmp_path / "never"), timeout=0.3, sleep=0.05)
        assert result["failed"] is True and result["elapsed"] == 0
        assert result["msg"] == f"Timeout when waiting for file {tmp_path / 'never'}"
        assert 0.25 < time.monotonic() - started < 2
        custom = run("wait_for", path=str(tmp_path / "never"), timeout=0.1, sleep=0.05, msg="nope")
        assert custom["msg"] == "nope"

    def test_path_absent(self, tmp_path):
        assert "failed" not in run("wait_for", path=str(tmp_path / "gone"), state="absent", timeout=1)
        (tmp_path / "stays").write_text("x")
        result = run("wait_for", path=str(tmp_path / "stays"), state="absent", timeout=0.2, sleep=0.05)
        assert result["msg"] == f"Timeout when waiting for {tmp_path / 'stays'} to be absent."

    def test_port_started_and_stopped(self, listener):
        port = listener.getsockname()[1]
        result = run("wait_for", port=port, timeout=2)
        assert "failed" not in result and result["port"] == port and result["state"] == "started"
        closed = free_port()
        timeout = run("wait_for", port=closed, timeout=0.3, sleep=0.05)
        assert timeout["msg"] == f"Timeout when waiting for 127.0.0.1:{closed}"
        assert "failed" not in run("wait_for", port=closed, state="stopped", timeout=1)
        still = run("wait_for", port=port, state="stopped", timeout=0.2, sleep=0.05)
        assert still["msg"] == f"Timeout when waiting for 127.0.0.1:{port} to stop."

    def test_port_search_regex(self, listener):
        port = listener.getsockname()[1]

        def greet():
            conn, _ = listener.accept()
            conn.sendall(b"SSH-2.0-Test\r\n")
            conn.close()

        thread = threading.Thread(target=greet, daemon=True)
        thread.start()
        result = run("wait_for", port=port, search_regex="SSH-(\\S+)", timeout=3)
        thread.join(1)
        assert "failed" not in result and result["match_groups"] == ["2.0-Test"]

    def test_drained(self, listener):
        port = listener.getsockname()[1]
        assert "failed" not in run("wait_for", port=port, state="drained", timeout=1)
        client = socket.create_connection(("127.0.0.1", port))
        server_side, _ = listener.accept()
        try:
            busy = run("wait_for", port=port, state="drained", timeout=0.2, sleep=0.05)
            assert busy["msg"] == f"Timeout when waiting for 127.0.0.1:{port} to drain"
        finally:
            client.close()
            server_side.close()

    def test_argument_rules_and_check_mode(self, tmp_path):
        both = run("wait_for", port=1, path=str(tmp_path))
        assert both["msg"] == "port and path parameter can not both be passed to wait_for"
        assert run("wait_for", path=str(tmp_path), state="stopped")["msg"] == \
            "state=stopped should only be used for checking a port in the wait_for module"
        assert run("wait_for", check=True, path=str(tmp_path))["skipped"] is True

    def test_delay_and_plain_sleep(self):
        started = time.monotonic()
        result = run("wait_for", timeout=0.1, delay=0.1)
        assert "failed" not in result and time.monotonic() - started >= 0.2


# =========================================================================== get_url
class _Handler(http.server.SimpleHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802
        self.seen.append(dict(self.headers))
        super().do_GET()

    def do_HEAD(self):  # noqa: N802
        self.seen.append(dict(self.headers))
        super().do_HEAD()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "file.txt").write_bytes(b"hello web\n")
    digest = hashlib.sha256(b"hello web\n").hexdigest()
    (root / "SHA256SUMS").write_text(f"{digest}  file.txt\n{'0' * 64}  other.txt\n")
    handler = type("Handler", (_Handler,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             lambda *a: handler(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "root": root, "sha256": digest,
           "seen": handler.seen}
    server.shutdown()
    server.server_close()


class TestGetUrl:
    def test_download_then_not_modified(self, web, tmp_path):
        dest = tmp_path / "f.txt"
        result = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest), mode="0640")
        assert result["changed"] is True and result["status_code"] == 200
        assert result["msg"] == "OK (10 bytes)" and result["checksum_src"] == sha1(b"hello web\n")
        assert result["checksum_dest"] is None and result["md5sum"] == hashlib.md5(b"hello web\n").hexdigest()
        assert dest.read_bytes() == b"hello web\n" and mode_of(dest) == 0o640 and result["mode"] == "0640"
        assert leftovers(tmp_path) == [] and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
        again = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest))
        assert again["changed"] is False and again["status_code"] == 304
        assert again["msg"] == "HTTP Error 304: Not Modified"
        forced = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest), force=True)
        assert forced["changed"] is False and forced["checksum_src"] == forced["checksum_dest"]

    def test_replaces_changed_file_with_backup(self, web, tmp_path):
        dest = tmp_path / "f.txt"
        dest.write_text("old")
        os.utime(dest, (0, 0))  # older than the server's copy
        result = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest), backup=True)
        assert result["changed"] is True and Path(result["backup_file"]).read_text() == "old"
        assert dest.read_bytes() == b"hello web\n"

    def test_directory_dest_uses_url_name(self, web, tmp_path):
        result = run("get_url", url=f"{web['url']}/file.txt", dest=str(tmp_path))
        assert result["dest"] == str(tmp_path / "file.txt") and (tmp_path / "file.txt").exists()

    def test_checksum(self, web, tmp_path):
        dest = tmp_path / "f"
        good = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest), checksum=f"sha256:{web['sha256']}")
        assert good["changed"] is True
        skip = run("get_url", url=f"{web['url']}/file.txt", dest=str(dest), checksum=f"sha256:{web['sha256']}")
        assert skip["changed"] is False and skip["msg"] == "file already exists"
        bad = run("get_url", url=f"{web['url']}/file.txt", dest=str(tmp_path / "g"), checksum="sha256:" + "0" * 64)
        assert bad["failed"] is True and "did not match " + "0" * 64 in bad["msg"]
        assert not (tmp_path / "g").exists() and leftovers(tmp_path) == []
        from_file = run("get_url", url=f"{web['url']}/file.txt", dest=str(tmp_path / "h"),
                        checksum=f"sha256:{web['url']}/SHA256SUMS")
        assert from_file["changed"] is True
        malformed = run("get_url", url=f"{web['url']}/file.txt", dest=str(tmp_path / "i"), checksum="sha256")
        assert malformed["msg"] == "The checksum parameter has to be in format <algorithm>:<checksum>"

    def test_errors(self, web, tmp_path):
        missing = run("get_url", url=f"{web['url']}/nope", dest=str(tmp_path / "x"))
        assert missing["failed"] is True and missing["msg"] == "Request failed"
        assert missing["status_code"] == 404 and missing["response"].startswith("HTTP Error 404")
        refused = run("get_url", url=f"http://127.0.0.1:{free_port()}/x", dest=str(tmp_path / "x"), timeout=2)
        assert refused["failed"] is True and refused["msg"].startswith("Request failed: <urlopen error")
        assert not (tmp_path / "x").exists()

    def test_check_mode_makes_head_request_only(self, web, tmp_path):
        result = run("get_url", check=True, url=f"{web['url']}/file.txt", dest=str(tmp_path / "f"))
        assert result["changed"] is True and not (tmp_path / "f").exists() and leftovers(tmp_path) == []

    def test_headers_auth_and_no_log(self, web, tmp_path):
        web["seen"].clear()
        result = run("get_url", url=f"{web['url']}/file.txt", dest=str(tmp_path / "f"), headers={"X-Lab": "7"},
                     url_username="user", url_password="pw", force_basic_auth=True)
        sent = web["seen"][-1]
        assert sent["X-Lab"] == "7" and sent["User-Agent"] == "ansible-httpget"
        assert sent["Authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()
        assert result["invocation"]["module_args"]["url_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        masked = run("get_url", url=web["url"].replace("//", "//u:secret@") + "/file.txt", dest=str(tmp_path / "g"))
        assert masked["url"].startswith("http://****:****@") and "secret" not in masked["url"]


# =========================================================================== setup
class TestSetup:
    def test_facts_labs_use(self):
        facts = run("setup")["ansible_facts"]
        for key in ("ansible_hostname", "ansible_fqdn", "ansible_nodename", "ansible_os_family",
                    "ansible_distribution", "ansible_distribution_version",
                    "ansible_distribution_major_version", "ansible_distribution_release", "ansible_system",
                    "ansible_kernel", "ansible_architecture", "ansible_machine", "ansible_python",
                    "ansible_python_version", "ansible_env", "ansible_user_id", "ansible_user_uid",
                    "ansible_user_gid", "ansible_user_dir", "ansible_user_shell", "ansible_date_time",
                    "ansible_processor_count", "ansible_processor_cores", "ansible_processor_vcpus",
                    "ansible_memtotal_mb", "ansible_memfree_mb", "ansible_default_ipv4",
                    "ansible_all_ipv4_addresses", "ansible_pkg_mgr", "ansible_service_mgr", "gather_subset",
                    "module_setup"):
            assert key in facts, key
        assert facts["ansible_system"] == os.uname().sysname and facts["ansible_kernel"] == os.uname().release
        assert facts["ansible_python"]["executable"] == sys.executable
        assert facts["ansible_python"]["version"]["major"] == sys.version_info.major
        assert facts["ansible_python_version"] == ".".join(map(str, sys.version_info[:3]))
        assert facts["ansible_user_uid"] == os.getuid()
        assert facts["ansible_processor_vcpus"] >= 1 and facts["ansible_memtotal_mb"] > 0
        assert facts["ansible_env"]["PATH"] == os.environ["PATH"]
        assert facts["gather_subset"] == ["all"] and facts["module_setup"] is True

    def test_date_time_keys(self):
        date_time = run("setup", gather_subset=["!all"])["ansible_facts"]["ansible_date_time"]
        assert {"date", "time", "epoch", "epoch_int", "iso8601", "iso8601_micro", "iso8601_basic",
                "iso8601_basic_short", "year", "month", "day", "hour", "minute", "second", "weekday",
                "weekday_number", "weeknumber", "tz", "tz_dst", "tz_offset"} <= set(date_time)
        assert abs(int(date_time["epoch"]) - time.time()) < 5
        assert date_time["iso8601"].endswith("Z") and len(date_time["date"]) == 10

    def test_distribution_from_os_release(self):
        release = {}
        if os.path.exists("/etc/os-release"):
            for line in Path("/etc/os-release").read_text().splitlines():
                if "=" in line:
                    key, value = line.split("=", 1)
                    release[key] = value.strip('"')
        facts = run("setup", gather_subset=["!all"], filter=["ansible_distribution*", "ansible_os_family"])
        facts = facts["ansible_facts"]
        assert set(facts) <= {"ansible_distribution", "ansible_distribution_version", "ansible_os_family",
                              "ansible_distribution_major_version", "ansible_distribution_release",
                              "ansible_distribution_minor_version", "ansible_distribution_file_path",
                              "ansible_distribution_file_parsed", "ansible_distribution_file_variety"}
        if release.get("VERSION_ID"):
            assert facts["ansible_distribution_major_version"] == release["VERSION_ID"].split(".")[0]
        if release.get("VERSION_CODENAME"):
            assert facts["ansible_distribution_release"] == release["VERSION_CODENAME"]
        if release.get("ID") == "debian":
            assert facts["ansible_distribution"] == "Debian" and facts["ansible_os_family"] == "Debian"

    def test_subsets(self):
        minimal = run("setup", gather_subset=["!all"])["ansible_facts"]
        assert "ansible_distribution" in minimal and "ansible_memtotal_mb" not in minimal
        assert "ansible_default_ipv4" not in minimal
        network = run("setup", gather_subset=["!all", "!min", "network"])["ansible_facts"]
        assert "ansible_default_ipv4" in network and "ansible_distribution" not in network
        assert "ansible_lo" in network or "lo" not in network["ansible_interfaces"]
        bad = run("setup", gather_subset=["bogus"])
        assert bad["failed"] is True and bad["msg"].startswith("Bad subset 'bogus' given to Ansible.")

    def test_fast(self):
        run("setup")
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            run("setup")
            timings.append(time.perf_counter() - started)
        assert sorted(timings)[2] < 0.05
