"""A kiosk process that dies by SIGKILL between the tap and the publish.

``queued``:    the alert and its cancel are committed to the outbox, then the process dies
               before anything is published (the tap's feedback was shown, nothing sent).
``published``: the same, but publish() has been called, and the process dies before the
               broker's PUBACK can be handled (the broker may or may not have it).

Prints each stored event id (one a line) before dying; a later run of the kiosk sends them.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from shared import topics
from shared.mqtt_link import MqttLink
from shared.outbox import Outbox
from shared.protocol import AlertCancelled, AlertRaised, encode
from shared.settings import DeviceConfig


def main(device_file: str, outbox_file: str, variant: str) -> int:
    config = DeviceConfig.load(Path(device_file))
    outbox = Outbox(Path(outbox_file))
    link = None
    if variant == "published":
        link = MqttLink(device_id=config.device, password=config.password, address=config.address)
        link.start()
        link.wait_connected(10)
    raised = AlertRaised(
        store=config.store, device=config.device, level="manager", counter="Tap", drill=True
    )
    cancel = AlertCancelled(
        store=config.store,
        device=config.device,
        alert_id=raised.alert_id,
        reason="false_alarm",
        drill=True,
    )
    topic = topics.kiosk_alert(config.store, config.device)
    for message in (raised, cancel):
        outbox.put(message.event_id, topic, encode(message))
        print(message.event_id, flush=True)
    if link is not None:
        for message in (raised, cancel):
            link.publish(topic, encode(message))
    os.kill(os.getpid(), signal.SIGKILL)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
