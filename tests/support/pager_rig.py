"""A pager core on a fake clock with recording audio and a list of what it sent."""

from __future__ import annotations

from datetime import timedelta

from shared.protocol import AlertCancelled, AlertContext, AlertRaised, Message
from staff_app.domain.clock import FakeClock
from staff_app.domain.pager import Holder, PagerCore
from staff_app.domain.ring import RecordingAudio, RingController

STORE = "s1"


class Rig:
    def __init__(self, role: str = "security", device: str = "pager-s1", **options: object):
        self.clock = FakeClock()
        self.audio = RecordingAudio()
        self.sent: list[tuple[Message, str]] = []
        self.changes = 0
        ring = RingController(self.audio, self.clock)
        self.core = PagerCore(
            Holder(device, STORE, role, "Sam"),  # type: ignore[arg-type]
            send=lambda message, topic: self.sent.append((message, topic)),
            scheduler=self.clock,
            ring=ring,
            on_change=self._changed,
            **options,  # type: ignore[arg-type]
        )
        self.core.link_up()

    def _changed(self) -> None:
        self.changes += 1

    def raised(self, level: str = "security", *, ago: float = 0.0, **kw: object) -> AlertRaised:
        message = AlertRaised(
            store=STORE,
            device="kiosk-1",
            level=level,  # type: ignore[arg-type]
            counter="Counter 1",
            sent_at=self.clock.now() - timedelta(seconds=ago),
            context=AlertContext(situation="angry", step_index=2, step_count=7),
            **kw,  # type: ignore[arg-type]
        )
        self.core.receive(message)
        return message

    def other(self, cls: type, alert: AlertRaised, device: str = "pager-s2", **kw: object):
        fields: dict[str, object] = {"store": STORE, "device": device, "alert_id": alert.alert_id}
        if cls is not AlertCancelled:
            fields |= {"responder_name": "Kim", "responder_role": "security"}
        message = cls(sent_at=self.clock.now(), **fields, **kw)
        self.core.receive(message)
        return message
