"""A connection that drops while it is being set up — during the key exchange, the
authentication, or while the worker starts — makes the host UNREACHABLE with the transport's
reason, never FAILED, never "a bug", and never a made-up "Permission denied".

A TCP proxy between miniplay and a real sshd cuts the connection after a chosen number of
bytes from the client: the cut points sweep the whole start of a session, so every phase
(banner, kex, auth, channel open, worker start, first request) gets cut somewhere.
"""
from __future__ import annotations

import socket
import threading
from pathlib import Path

from helpers import miniplay, write


class CuttingProxy:
    """Forwards one address to another and closes both sides after `limit` client bytes."""

    def __init__(self, target: tuple[str, int], limit: int) -> None:
        self.target = target
        self.limit = limit
        self.forwarded = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            server = socket.create_connection(self.target)
            for source, sink, counted in ((client, server, True), (server, client, False)):
                thread = threading.Thread(target=self._pump, args=(source, sink, counted, client, server), daemon=True)
                thread.start()
                self._threads.append(thread)

    def _pump(self, source: socket.socket, sink: socket.socket, counted: bool, *both: socket.socket) -> None:
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                if counted:
                    room = self.limit - self.forwarded
                    if room <= 0:
                        break
                    data = data[:room]
                    self.forwarded += len(data)
                sink.sendall(data)
                if counted and self.forwarded >= self.limit:
                    break
        except OSError:
            pass
        for sock in both:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._accepting.join()
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


def _run(tmp_path: Path, host, limit: int):
    proxy = CuttingProxy((host.address, host.port), limit)
    try:
        inventory = write(tmp_path / "hosts.ini", host.inventory_line(
            "h1", ansible_host="127.0.0.1", ansible_port=proxy.port, ansible_host_key_checking="false",
            ansible_ssh_timeout=10) + "\n")
        playbook = write(tmp_path / "site.yml", """
            - hosts: all
              gather_facts: false
              tasks:
                - ping:
                - command: whoami
            """)
        return miniplay("run", "-i", str(inventory), str(playbook)), proxy.forwarded
    finally:
        proxy.close()


def test_a_connection_cut_anywhere_in_its_start_is_unreachable_with_the_reason(ssh_host, tmp_path):
    whole, used = _run(tmp_path, ssh_host, 10 ** 9)
    assert whole.rc == 0, whole.stdout
    cuts = sorted({1, 30, *range(100, used, max(1, used // 16))})
    for limit in cuts:
        result, _ = _run(tmp_path, ssh_host, limit)
        text = result.stdout + result.stderr
        assert "Traceback" not in text and "a bug" not in text, (limit, text)
        assert "FAILED!" not in text, (limit, text)
        assert result.rc == 4, (limit, text)
        assert "UNREACHABLE!" in text, (limit, text)
        assert "Permission denied" not in text, (limit, text)
        assert "closed by" in text.lower() or "Connection closed" in text, (limit, text)
