"""A device process for presence tests: connects with a short keep-alive, announces itself
online, prints "online", and runs until killed (SIGKILL: the broker sends its Last Will) or
terminated (SIGTERM: a clean, announced exit)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from shared.device_runtime import DeviceRuntime
from shared.mqtt_link import LinkState
from shared.settings import DeviceConfig


def main(device_file: str, data_dir: str, keepalive: int) -> int:
    config = DeviceConfig.load(Path(device_file))
    stop = threading.Event()

    def on_link(event: object) -> None:
        if getattr(event, "state", None) is LinkState.ONLINE:
            print("online", flush=True)

    runtime = DeviceRuntime(
        config,
        Path(data_dir),
        subscriptions=[],
        on_message=lambda message: None,
        on_link=on_link,
        keepalive_s=keepalive,
    )
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime.start()
    stop.wait()
    runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
