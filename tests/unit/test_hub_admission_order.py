"""While a message waits to be judged on the recorder thread (the database could not say who
raised its alert), everything after it waits too: a kiosk's cancel is never judged before its
own raise. No broker: the hub's admission is fed by hand (found by the fault matrix's
PostgreSQL-outage row, where such a cancel was refused as "its raise has not been seen here")."""

from __future__ import annotations

from pathlib import Path

from broker.hub import Hub
from shared import topics
from shared.db.engine import migrate
from shared.mqtt_link import Received
from shared.protocol import AlertCancelled, AlertRaised, Message, encode
from shared.settings import DeviceConfig


def received(message: Message) -> Received:
    topic = topics.kiosk_alert(message.store, message.device)
    return Received(topic=topic, payload=encode(message), retained=False, mid=1, qos=1)


def test_a_cancel_waits_behind_its_raise_whose_judgement_needed_the_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = Hub(DeviceConfig(store="s1", device="hub", role="hub", password="x" * 16), url)
    raised = AlertRaised(store="s1", device="kiosk-1", level="security", counter="Counter 1")
    hub._admit(received(raised))  # no schema yet: who raised it? the database cannot answer
    migrate(url)  # the database is back ...
    cancel = AlertCancelled(
        store="s1", device="kiosk-1", alert_id=raised.alert_id, reason="false_alarm"
    )
    hub._admit(received(cancel))  # ... before the recorder thread judged the raise again
    waiting = [hub._inbox.get_nowait(), hub._inbox.get_nowait()]
    assert [item.deferred for item in waiting] == [True, True]

    judged = hub._judge_deferred(waiting)
    assert judged is not None
    assert [item.refusal for item in judged] == ["", ""]
    assert [type(item.incoming.message) for item in judged if item.incoming] == [
        AlertRaised,
        AlertCancelled,
    ]
    later = cancel.model_copy(update={"device": "kiosk-2"})
    hub._admit(received(later))  # nothing waits any more: judged at once, and refused
    (refused,) = [hub._inbox.get_nowait()]
    assert not refused.deferred and "raised by kiosk-1" in refused.refusal
    hub.engine.dispose()
