"""Hold N TCP connections to a port open without ever sending a byte (half-open MQTT clients),
in a process of their own so the test's own MQTT client keeps low descriptor numbers (paho
uses ``select()``, which cannot watch a descriptor above 1,023). Prints "ready N" once all
are connected; exits when its stdin closes."""

from __future__ import annotations

import resource
import socket
import sys


def main(port: int, count: int) -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    print(f"ready {len(held)}", flush=True)
    sys.stdin.read()
    for sock in held:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
