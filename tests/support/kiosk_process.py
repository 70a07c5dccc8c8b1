"""A stand-in kiosk process for restart tests: ``raise`` stores an alert in the outbox and
publishes it; ``resume`` starts up again and sends what the outbox holds. Prints each delivery
status as a line and exits with code 0 once the wanted status was seen, 3 on time-out."""

from __future__ import annotations

import os
import queue
import sys
from pathlib import Path

from shared import topics
from shared.courier import Courier
from shared.mqtt_link import MqttLink
from shared.outbox import Outbox
from shared.protocol import AlertRaised
from shared.settings import DeviceConfig


def main(mode: str, device_file: str, outbox_file: str, wanted: str, timeout: float) -> int:
    config = DeviceConfig.load(Path(device_file))
    statuses: queue.Queue[str] = queue.Queue()

    def report(event_id: object, status: str, detail: str) -> None:
        print(f"{status} {event_id}", flush=True)
        statuses.put(status)

    link = MqttLink(device_id=config.device, password=config.password, address=config.address)
    courier = Courier(link, Outbox(Path(outbox_file)), report)
    link.start()
    if mode == "raise":
        alert = AlertRaised(
            store=config.store, device=config.device, level="security", counter=config.counter
        )
        courier.send(alert, topics.kiosk_alert(config.store, config.device))
    else:
        courier.resume()
    try:
        while statuses.get(timeout=timeout) != wanted:
            pass
    except queue.Empty:
        os._exit(3)  # like a crash: no clean disconnect, nothing flushed but the outbox
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])))
