"""DeviceRuntime judges every message before its app sees it (no broker: the network thread's
callback is fed by hand, the app is a list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared import topics
from shared.device_runtime import DeviceRuntime
from shared.mqtt_link import Received
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertRaised,
    Message,
    Roster,
    RosterEntry,
    encode,
)
from shared.settings import DeviceConfig

S = "s1"
ROSTER = Roster(
    store=S,
    device="hub",
    devices=[
        RosterEntry(id="hub", kind="hub", role="hub"),
        RosterEntry(id="kiosk-1", kind="kiosk", role="kiosk", counter="Counter 1"),
        RosterEntry(id="pager-m1", kind="pager", role="manager", display_name="Alex"),
        RosterEntry(id="pager-s1", kind="pager", role="security", display_name="Sam"),
    ],
)


class Rig:
    def __init__(self, tmp_path: Path, owner_of=None) -> None:  # type: ignore[no-untyped-def]
        config = DeviceConfig(store=S, device="pager-s1", role="security", password="x" * 16)
        self.seen: list[Message] = []
        self.acked: list[int] = []
        self.runtime = DeviceRuntime(
            config, tmp_path, subscriptions=[], on_message=self.seen.append, owner_of=owner_of
        )
        self.runtime.link.ack = lambda received: self.acked.append(received.mid)  # type: ignore[method-assign]
        self.mid = 0

    def receive(self, topic: str, message: Message, *, retained: bool = False) -> None:
        self.mid += 1
        self.runtime._received(Received(topic, encode(message), retained, self.mid, 1))

    def close(self) -> None:
        self.runtime.outbox.close()


@pytest.fixture
def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = Rig(tmp_path)
    made.receive(topics.hub_roster(S, "hub"), ROSTER, retained=True)
    yield made
    made.close()


def test_the_roster_is_taken_kept_on_disk_and_never_shown_to_the_app(
    rig: Rig, tmp_path: Path
) -> None:
    assert rig.runtime.roster.known and rig.seen == [] and rig.acked == [1]
    again = Rig(tmp_path)
    assert again.runtime.roster.known and "pager-m1" in again.runtime.roster
    again.close()


def test_refused_messages_are_acknowledged_and_never_reach_the_app(rig: Rig) -> None:
    fake = AlertRaised(store=S, device="pager-m1", level="security", counter="x")
    rig.receive(topics.pager_ack(S, "pager-m1"), fake)
    assert rig.seen == [] and rig.acked == [1, 2]


def test_accepted_messages_reach_the_app_with_the_rosters_claims(rig: Rig) -> None:
    raised = AlertRaised(store=S, device="kiosk-1", level="security", counter="x")
    lie = Acknowledged(
        store=S,
        device="pager-m1",
        alert_id=raised.alert_id,
        responder_name="Sam",
        responder_role="security",
    )
    rig.receive(topics.kiosk_alert(S, "kiosk-1"), raised)
    rig.receive(topics.pager_ack(S, "pager-m1"), lie)
    assert [m.event_id for m in rig.seen] == [raised.event_id, lie.event_id]
    assert rig.seen[0].counter == "Counter 1"  # type: ignore[attr-defined]
    assert rig.seen[1].responder_name == "Alex"  # type: ignore[attr-defined]
    assert rig.runtime.owner_of(raised.alert_id) == "kiosk-1"


def test_the_apps_memory_of_who_raised_an_alert_is_used(tmp_path: Path) -> None:
    raised = AlertRaised(store=S, device="kiosk-1", level="security", counter="x")
    cancel = AlertCancelled(
        store=S, device="kiosk-1", alert_id=raised.alert_id, reason="false_alarm"
    )
    unknown = Rig(tmp_path / "a")
    unknown.receive(topics.kiosk_alert(S, "kiosk-1"), cancel)
    restored = Rig(tmp_path / "b", owner_of=lambda alert_id: "kiosk-1")  # from its journal
    restored.receive(topics.kiosk_alert(S, "kiosk-1"), cancel)
    assert unknown.seen == [] and restored.seen == [cancel]
    unknown.close()
    restored.close()


def test_a_failing_lookup_refuses_the_message_and_later_ones_still_flow(tmp_path: Path) -> None:
    def broken(_alert_id: object) -> str:
        raise RuntimeError("app bug")

    rig = Rig(tmp_path, owner_of=broken)
    raised = AlertRaised(store=S, device="kiosk-1", level="security", counter="x")
    answer = Acknowledged(
        store=S,
        device="pager-m1",
        alert_id=raised.alert_id,
        responder_name="Alex",
        responder_role="manager",
    )
    rig.receive(topics.kiosk_alert(S, "kiosk-1"), raised)  # who raised it? the app breaks
    rig.receive(topics.pager_ack(S, "pager-m1"), answer)
    assert rig.seen == [answer] and rig.acked == [1, 2]
    rig.close()
