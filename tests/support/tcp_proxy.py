"""A TCP proxy on loopback that can cut, slow or silently swallow a device's link to the broker.

Modes (switch at any time with :meth:`TcpProxy.set_mode`):

``pass``       forward both ways
``drop``       the link is down: open connections are reset, new ones are closed at once
``delay``      forward, each chunk held back ``delay_s`` first (order kept)
``blackhole``  half-open: connections stay up and accept bytes, but nothing gets through in
               either direction, and no error ever reaches either end (a dead Wi-Fi access point
               or a NAT entry that expired); only keep-alive can tell
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from typing import Literal

Mode = Literal["pass", "drop", "delay", "blackhole"]


class TcpProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "pass"
        self.delay_s = 0.0
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = int(self._server.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._closed = False
        self.connections = 0
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def set_mode(self, mode: Mode, delay_s: float = 0.0) -> None:
        with self._lock:
            self.mode = mode
            self.delay_s = delay_s
            pairs = list(self._pairs) if mode == "drop" else []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def close(self) -> None:
        self._closed = True
        self._server.close()
        with self._lock:
            pairs, self._pairs = list(self._pairs), []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.mode == "drop":
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections += 1
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                _reset(target)
                return
            mode, delay = self.mode, self.delay_s
            if mode == "blackhole":
                continue  # swallowed: the sender believes it was sent
            if mode == "delay" and delay > 0:
                time.sleep(delay)
            try:
                target.sendall(chunk)
            except OSError:
                _reset(source)
                return


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a link that died would look to the peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
