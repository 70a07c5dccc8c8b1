"""The kiosk's alert journal: a kiosk restarted mid-alert comes back on the same panel.

No window, no network: a recording sender stands in for the runtime and a fake outbox says
which messages are still waiting to be delivered. A "restart" is a new view-model on the same
journal file, as a new kiosk process on the same data directory would be.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from types import SimpleNamespace

from kiosk.domain.escalation import KioskIdentity
from kiosk.domain.journal import AlertJournal
from kiosk.screenshots import FakeClock, RecordingSender, acknowledge, deliver_all
from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from shared.device_runtime import Delivery
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import AlertEscalated, AlertRaised, IncidentReport, Presence, Resolved


class FakeOutbox:
    """What is still in the device's outbox (everything else the broker has taken)."""

    def __init__(self) -> None:
        self.waiting: dict[uuid.UUID, str] = {}

    def get(self, event_id: uuid.UUID) -> object | None:
        state = self.waiting.get(event_id)
        return None if state is None else SimpleNamespace(event_id=event_id, state=state)


class Kiosk:
    """One kiosk 'device': its journal file, its outbox and the wall clock survive restarts."""

    def __init__(self, tmp_path: Path) -> None:
        self.journal_path = tmp_path / "kiosk" / "kiosk-1-alert.jsonl"
        self.outbox = FakeOutbox()
        self.clock = FakeClock()
        self.sender = RecordingSender()

    def start(self, *, online: bool = True) -> KioskViewModel:
        """A fresh process: new view-model, same journal, outbox and clock."""
        self.sender = RecordingSender()
        vm = KioskViewModel(
            KioskIdentity("demo", "kiosk-1", "Counter 2", "112"),
            self.sender,
            settings=KioskSettings(),
            clock=self.clock,
            journal=AlertJournal(self.journal_path),
            outbox=self.outbox,
        )
        if online:
            vm.on_link(LinkEvent(LinkState.ONLINE))
        for device, role, name in (
            ("pager-m1", "manager", "Alex"),
            ("pager-s1", "security", "Sam"),
        ):
            vm.on_message(
                Presence(
                    store="demo",
                    device=device,
                    kind="pager",
                    role=role,
                    online=True,
                    on_duty=True,
                    display_name=name,
                    sent_at=self.clock.now,
                )
            )
        return vm


def texts(vm: KioskViewModel) -> list[str]:
    return [line["text"] for line in vm.panel_lines]


def test_acknowledged_alert_comes_back_with_the_responder_by_name(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.choose("angry")
    vm.next_step()
    vm.next_step()
    vm.tap_escalate("security")
    alert_id = vm.escalation.alert_id
    deliver_all(vm, kiosk.sender)
    kiosk.clock.advance(8)
    acknowledge(vm, kiosk.clock, "Sam", "security")
    before = texts(vm)
    kiosk.clock.advance(30)

    restarted = kiosk.start()  # the old process is simply gone

    assert restarted.escalation.alert_id == alert_id
    assert restarted.screen == "alert" and restarted.alert_loud
    assert restarted.alert_level == "security"
    assert texts(restarted) == before
    assert texts(restarted)[0] == "Sent to the store system"
    assert texts(restarted)[1].startswith("Sam (security) is on the way")
    assert restarted.panel_header.endswith("00:38")  # counted from the original raise
    # the flow is where it was: back from the panel lands on the same step
    restarted.back_from_panel()
    assert restarted.screen == "steps" and restarted.flow.step_index == 2
    assert restarted.situation_title == vm.situation_title
    # answered: the ladder stays quiet however long it takes
    kiosk.clock.advance(120)
    restarted.tick()
    assert not [m for m, _, _ in kiosk.sender.sent if isinstance(m, AlertEscalated)]


def test_unanswered_alert_keeps_escalating_from_the_original_raise_time(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("security")
    deliver_all(vm, kiosk.sender)
    kiosk.clock.advance(25)
    vm.tick()  # the 20 s rung, published before the crash
    deliver_all(vm, kiosk.sender)
    assert [m.step_id for m, _, _ in kiosk.sender.sent if isinstance(m, AlertEscalated)] == [
        "security_second_guard"
    ]
    kiosk.clock.advance(20)  # down over the 40 s rung

    restarted = kiosk.start()
    restarted.tick()
    rungs = [m.step_id for m, _, _ in kiosk.sender.sent if isinstance(m, AlertEscalated)]
    assert rungs == ["security_add_manager"]  # the 20 s rung is not sent twice
    assert not restarted.panel_alarm
    kiosk.clock.advance(15)  # 60 s after the original raise
    restarted.tick()
    assert restarted.escalation.view.needs_call_for_help  # type: ignore[union-attr]
    assert restarted.panel_alarm and any("112" in t for t in texts(restarted))


def test_undelivered_raise_comes_back_not_delivered_and_delivery_goes_on(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start(online=False)
    vm.tap_escalate("security")
    raised = kiosk.sender.sent[0][0]
    kiosk.outbox.waiting[raised.event_id] = "pending"  # the broker never took it
    assert "NOT DELIVERED" in texts(vm)[0]
    kiosk.clock.advance(5)

    restarted = kiosk.start(online=False)
    assert restarted.screen == "alert" and restarted.panel_alarm
    assert "NOT DELIVERED" in texts(restarted)[0] and "112" in texts(restarted)[0]
    assert restarted.escalation.raise_delivery() == "queued"
    assert kiosk.sender.sent == []  # the outbox resends it, not the view-model

    restarted.on_link(LinkEvent(LinkState.ONLINE))
    assert "NOT DELIVERED" in texts(restarted)[0]  # online is not delivered
    del kiosk.outbox.waiting[raised.event_id]
    restarted.on_delivery(Delivery(raised.event_id, "delivered", "ok"))
    assert texts(restarted)[0] == "Sent to the store system" and not restarted.panel_alarm


def test_closed_and_wrapped_up_alert_is_not_restored(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.choose("angry")
    vm.tap_escalate("manager")
    deliver_all(vm, kiosk.sender)
    acknowledge(vm, kiosk.clock, "Alex", "manager")
    view = vm.escalation.view
    assert view is not None
    vm.on_message(
        Resolved(
            store="demo",
            device="pager-m1",
            alert_id=view.alert_id,
            responder_name="Alex",
            responder_role="manager",
            sent_at=kiosk.clock.now,
        )
    )
    assert vm.panel_closed
    # closed but not yet wrapped up: a restart brings back the closed panel
    assert kiosk.start().panel_closed
    vm.resolved_here()  # "wrap up"
    assert vm.screen == "wrapup"
    # a restart during the wrap-up comes back to the form, for the same alert
    during = kiosk.start()
    assert during.screen == "wrapup" and during._form is not None
    assert during._form.alert_id == view.alert_id
    vm.wrapup.outcome = "handed_to_manager"
    assert vm.save_wrapup()
    report = vm.sender.sent[-1][0]
    assert isinstance(report, IncidentReport) and report.alert_id == view.alert_id
    assert not kiosk.journal_path.exists()

    restarted = kiosk.start()
    assert restarted.screen == "home" and restarted.escalation.view is None
    assert not restarted.alert_active and restarted.panel_lines == []


def test_undone_manager_tap_is_not_restored(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("manager")
    kiosk.clock.advance(1)
    restarted = kiosk.start()  # inside the undo window: still undoable after the restart
    assert restarted.undo_left == 4
    restarted.undo()
    assert not kiosk.journal_path.exists()
    assert kiosk.start().screen == "home"


def test_silent_alert_comes_back_silent(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.choose("angry")
    vm.tap_escalate("security", silent=True)
    deliver_all(vm, kiosk.sender)
    restarted = kiosk.start()
    assert restarted.screen == "steps" and not restarted.alert_loud
    assert restarted.silent_dot == "delivered"


def test_corrupt_and_cut_off_lines_are_skipped_with_a_reason(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("security")
    deliver_all(vm, kiosk.sender)
    acknowledge(vm, kiosk.clock, "Sam", "security")
    with kiosk.journal_path.open("ab") as file:
        file.write(b"this is not json\n")
        file.write(b'{"v":1,"kind":"message","own":true,"message":{"type":"alert_raised"}}\n')
        file.write(b'{"v":99,"kind":"wrapup","alert_id":"x"}\n')
        file.write(b'{"v":1,"kind":"message","own":false,"mess')  # power cut mid-write

    with caplog.at_level(logging.WARNING, logger="kiosk.domain.journal"):
        restarted = kiosk.start()
    reasons = [r.getMessage() for r in caplog.records if "skipped line" in r.getMessage()]
    assert len(reasons) == 4, reasons
    assert any("unknown journal version 99" in r for r in reasons)
    assert texts(restarted)[1].startswith("Sam (security) is on the way")
    # the file was cleaned: what is appended next is readable, and nothing is skipped again
    restarted.choose("angry")
    journaled = AlertJournal(kiosk.journal_path).load()
    assert journaled.skipped == 0 and journaled.flow is not None


def test_journal_of_nothing_but_garbage_restores_nothing(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    kiosk = Kiosk(tmp_path)
    kiosk.journal_path.parent.mkdir(parents=True)
    kiosk.journal_path.write_bytes(b"\x00\xff\xfe garbage\n[1, 2]\n")
    with caplog.at_level(logging.WARNING):
        vm = kiosk.start()
    assert vm.screen == "home" and vm.escalation.view is None
    assert sum("skipped line" in r.getMessage() for r in caplog.records) == 2


def test_a_journal_that_cannot_be_written_never_blocks_the_alert(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    kiosk = Kiosk(tmp_path)
    (tmp_path / "kiosk").write_text("a file where the folder should be")
    vm = kiosk.start()
    with caplog.at_level(logging.ERROR):
        vm.tap_escalate("security")
    assert isinstance(kiosk.sender.sent[0][0], AlertRaised)
    assert vm.screen == "alert" and vm.alert_loud
    assert vm.escalation.journal is not None and vm.escalation.journal.error
    assert any("could not write" in r.getMessage() for r in caplog.records)


def test_outbox_entry_moved_aside_comes_back_as_failed(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("security")
    kiosk.outbox.waiting[kiosk.sender.sent[0][0].event_id] = "dead"
    restarted = kiosk.start()
    assert restarted.escalation.raise_delivery() == "failed"
    assert restarted.panel_alarm and "NOT DELIVERED" in texts(restarted)[0]


def test_a_tap_costs_one_journal_write_with_the_flow_in_it(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.choose("angry")
    vm.next_step()
    assert not kiosk.journal_path.exists()  # no alert, no journal
    vm.tap_escalate("security")
    (line,) = kiosk.journal_path.read_text().splitlines()
    assert '"kind":"message"' in line and '"step_index":1' in line
    vm.next_step()  # a step taken while help is coming is noted too
    assert len(kiosk.journal_path.read_text().splitlines()) == 2
    assert kiosk.start().flow.step_index == 2


def test_upgrade_to_security_is_restored_at_the_higher_level(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("manager")
    deliver_all(vm, kiosk.sender)
    kiosk.clock.advance(2)
    vm.tap_escalate("security")
    upgrade = kiosk.sender.sent[-1][0]
    kiosk.outbox.waiting[upgrade.event_id] = "pending"
    kiosk.clock.advance(5)
    restarted = kiosk.start()
    assert restarted.alert_level == "security" and restarted.undo_left == 0
    assert restarted.escalation.raise_event_id == upgrade.event_id
    assert "NOT DELIVERED" in texts(restarted)[0]  # it is the upgrade that is not delivered


def test_lines_about_an_older_alert_are_skipped_and_dropped(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    kiosk = Kiosk(tmp_path)
    vm = kiosk.start()
    vm.tap_escalate("manager")
    old = kiosk.journal_path.read_bytes()
    vm.undo()
    kiosk.clock.advance(60)
    vm.tap_escalate("security")
    new_alert = vm.escalation.alert_id
    # as if the fresh start of the journal had been lost: the old alert's raise is still there
    kiosk.journal_path.write_bytes(old + kiosk.journal_path.read_bytes())
    with caplog.at_level(logging.WARNING, logger="kiosk.domain.journal"):
        journaled = AlertJournal(kiosk.journal_path).load()
    assert journaled.alert_id == new_alert and journaled.skipped == 1
    assert all(e.message.alert_id == new_alert for e in journaled.entries)
    assert "not the current one" in caplog.text
    assert AlertJournal(kiosk.journal_path).load().skipped == 0  # rewritten without it
