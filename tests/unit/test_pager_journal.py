"""The pager's alert journal: today's alerts come back after a restart (no window, no network).

Each test runs a pager core with a journal on a fake clock, "restarts" it (a fresh core, the
same file), and checks what comes back and what rings.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertRaised,
    Presence,
    Resolved,
)
from staff_app.domain.clock import FakeClock
from staff_app.domain.journal import PagerJournal
from staff_app.domain.pager import SETTLE_S, Holder, PagerCore
from staff_app.domain.ring import RecordingAudio, RingController

STORE = "demo"
SAM = Holder("pager-s1", STORE, "security", "Sam")
LOCAL_NOON = datetime(2025, 1, 6, 12, 0).astimezone()  # "today" whatever the local zone


class Pager:
    """One run of the pager app: a core, its ring, its journal file."""

    def __init__(self, data_dir: Path, clock: FakeClock, *, holder: Holder = SAM) -> None:
        self.clock, self.audio, self.sent = clock, RecordingAudio(), []
        self.journal = PagerJournal.for_device(data_dir, holder.device)
        self.loaded = self.journal.load(today=clock.now().astimezone().date())
        self.core = PagerCore(
            holder,
            send=lambda message, topic: self.sent.append(message),
            scheduler=clock,
            ring=RingController(self.audio, clock),
            journal=self.journal,
        )
        self.core.restore(self.loaded.records)


def clock_at(start: datetime = LOCAL_NOON) -> FakeClock:
    return FakeClock(start=start)


def raised(clock: FakeClock, level: str = "security", ago: float = 0, **fields) -> AlertRaised:
    return AlertRaised(
        store=STORE,
        device="kiosk-2",
        level=level,  # type: ignore[arg-type]
        counter=str(fields.pop("counter", "Counter 2")),
        sent_at=clock.now() - timedelta(seconds=ago),
        **fields,
    )


def reply(cls: type, alert: AlertRaised, after: float, **fields):
    base = {"store": STORE, "alert_id": alert.alert_id, "sent_at": alert.sent_at}
    base["sent_at"] = alert.sent_at + timedelta(seconds=after)
    if cls is AlertCancelled:
        return cls(**base, device=alert.device, **fields)
    who = {"device": "pager-s2", "responder_name": "Kim", "responder_role": "security"}
    return cls(**base, **who, **fields)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# Write and replay ----------------------------------------------------------------------


def test_history_and_active_alerts_come_back_exactly_after_a_restart(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    first.core.link_up()
    clock.advance(60)
    done = raised(clock, ago=15, counter="Counter 1")
    late = raised(clock, ago=600, counter="Counter 4")  # arrived late
    open_ = raised(clock, ago=5, counter="Counter 3")
    for message in (
        done,
        reply(Acknowledged, done, 5),
        reply(Resolved, done, 10),
        late,
        reply(AlertCancelled, late, 30, reason="false_alarm"),
        open_,
    ):
        first.core.receive(message)
    clock.advance(5)
    first.core.acknowledge(open_.alert_id, eta_minutes=2)  # my own action is journaled too
    history, active = first.core.history_today(), first.core.active()
    assert len(history) == 2 and [a.alert_id for a in active] == [open_.alert_id]
    assert len(lines(first.journal.path)) == 7

    clock.advance(120)  # the phone reboots
    second = Pager(tmp_path, clock)
    assert second.loaded.skipped == 0 and second.loaded.pruned == 0
    assert second.core.history_today() == history  # outcome, time to ack, late flag
    by_counter = {h.counter: h for h in second.core.history_today()}
    assert by_counter["Counter 1"].time_to_ack_s == 5.0 and not by_counter["Counter 1"].late
    assert by_counter["Counter 4"].outcome == "false_alarm" and by_counter["Counter 4"].late
    restored = second.core.active()
    assert [a.alert_id for a in restored] == [open_.alert_id]
    assert restored[0].mine == "acknowledged" and restored[0].view == active[0].view
    assert second.core.takeover() is not None  # my alert is back on screen


def test_session_redelivery_after_replay_changes_nothing(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    alert = raised(clock)
    ack = reply(Acknowledged, alert, 3)
    first.core.receive(alert)
    first.core.receive(ack)
    first.core.receive(ack)  # QoS 1 duplicate: written once
    assert len(lines(first.journal.path)) == 2

    second = Pager(tmp_path, clock)
    before = second.core.book[alert.alert_id]
    second.core.link_up()
    second.core.receive(alert)
    second.core.receive(ack)
    assert second.core.book[alert.alert_id] == before
    assert len(lines(second.journal.path)) == 2  # the journal knows what it already holds


def test_other_stores_and_non_alert_messages_are_not_recorded(tmp_path: Path) -> None:
    clock = clock_at()
    pager = Pager(tmp_path, clock)
    other = AlertRaised(store="other", device="kiosk-9", level="security", counter="C")
    presence = Presence(store=STORE, device="pager-s2", kind="pager", role="security", online=True)
    pager.core.receive(other)
    pager.core.receive(presence)
    assert not pager.journal.path.exists()


def test_a_reply_before_its_raise_is_kept_and_folded_in_after_restart(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    alert = raised(clock, ago=2)
    first.core.receive(reply(Acknowledged, alert, 1))  # buffered: its raise is not here yet
    second = Pager(tmp_path, clock)
    second.core.receive(alert)
    assert second.core.book[alert.alert_id].status == "acknowledged"


# Ringing after a restart ---------------------------------------------------------------


def test_open_unacknowledged_alert_rings_again_after_restart(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    alert = raised(clock)
    first.core.receive(alert)
    assert first.core.ringing
    clock.advance(30)

    second = Pager(tmp_path, clock)  # nobody has answered: it still needs someone
    assert not second.core.ringing  # waits for the session's re-delivery to settle first
    clock.advance(SETTLE_S + 0.1)
    assert second.core.ringing and second.audio.played[0] == "security"
    assert [a.alert_id for a in second.core.active() if a.ringing] == [alert.alert_id]


def test_acknowledged_or_closed_alerts_do_not_ring_again_after_restart(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    mine, theirs, closed = raised(clock), raised(clock), raised(clock)
    for alert in (mine, theirs, closed):
        first.core.receive(alert)
    first.core.acknowledge(mine.alert_id)
    first.core.receive(reply(Acknowledged, theirs, 4))
    first.core.receive(reply(AlertCancelled, closed, 6, reason="resolved_at_counter"))
    assert not first.core.ringing

    second = Pager(tmp_path, clock)
    clock.advance(60)
    assert not second.core.ringing and second.audio.played == []
    assert {a.alert_id for a in second.core.active()} == {mine.alert_id, theirs.alert_id}
    assert [h.alert_id for h in second.core.history_today()] == [closed.alert_id]


def test_restored_alert_answered_while_the_pager_was_off_does_not_ring(tmp_path: Path) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    alert = raised(clock)
    first.core.receive(alert)
    second = Pager(tmp_path, clock)
    second.core.link_up()
    second.core.receive(reply(Acknowledged, alert, 20))  # the re-delivered backlog
    clock.advance(60)
    assert not second.core.ringing and second.audio.played == []


def test_off_duty_after_restart_lists_but_does_not_ring(tmp_path: Path) -> None:
    clock = clock_at()
    Pager(tmp_path, clock).core.receive(raised(clock))
    second = Pager(tmp_path, clock)
    second.core.set_on_duty(False)
    clock.advance(60)
    assert not second.core.ringing and len(second.core.active()) == 1


# Pruning -------------------------------------------------------------------------------


def test_closed_alerts_from_before_today_are_pruned_open_ones_kept(tmp_path: Path) -> None:
    yesterday = clock_at(LOCAL_NOON - timedelta(days=1))
    first = Pager(tmp_path, yesterday)
    closed = raised(yesterday)
    still_open = raised(yesterday)
    stray = reply(Acknowledged, raised(yesterday), 1)  # its raise never came
    for message in (closed, reply(Resolved, closed, 9), still_open, stray):
        first.core.receive(message)
    assert len(lines(first.journal.path)) == 4

    today = clock_at()
    today_alert = raised(today)
    second = Pager(tmp_path, today)
    assert second.loaded.pruned == 3 and second.loaded.skipped == 0
    assert len(lines(second.journal.path)) == 1  # rewritten without them
    assert second.core.history_today() == []
    assert [a.alert_id for a in second.core.active()] == [still_open.alert_id]
    second.core.receive(today_alert)
    assert len(lines(second.journal.path)) == 2
    assert len(Pager(tmp_path, today).core.active()) == 2


# Corrupt lines -------------------------------------------------------------------------


def test_unreadable_lines_are_skipped_with_a_reason_and_the_file_repaired(
    tmp_path: Path, caplog
) -> None:
    clock = clock_at()
    first = Pager(tmp_path, clock)
    good = raised(clock)
    first.core.receive(good)
    path = first.journal.path
    good_line = lines(path)[0]
    record = json.loads(good_line)
    naive = dict(record, received_at="2025-01-06T12:00:00")
    newer = dict(record, v=99)
    presence = Presence(store=STORE, device="pager-s2", kind="pager", role="security", online=True)
    not_alert = dict(record, message=json.loads(presence.model_dump_json()))
    bad_message = dict(record, message={"type": "alert_raised", "store": STORE})
    with path.open("a", encoding="utf-8") as out:
        out.write("this is not json\n")
        out.write("[1, 2, 3]\n")
        for bad in (naive, newer, not_alert, bad_message):
            out.write(json.dumps(bad) + "\n")
        out.write(good_line[: len(good_line) // 2])  # cut off by a power cut, no newline

    with caplog.at_level(logging.WARNING, logger="staff_app.domain.journal"):
        second = Pager(tmp_path, clock)
    assert second.loaded.skipped == 7 and len(second.loaded.records) == 1
    reasons = [r.getMessage() for r in caplog.records if "skipped line" in r.getMessage()]
    assert len(reasons) == 7
    assert any("unknown journal version 99" in reason for reason in reasons)
    assert any("not an alert message" in reason for reason in reasons)
    assert any("no time zone" in reason for reason in reasons)
    assert [a.alert_id for a in second.core.active()] == [good.alert_id]
    assert lines(path) == [good_line]  # repaired: the next append starts on a clean line
    more = raised(clock)
    second.core.receive(more)
    third = Pager(tmp_path, clock)
    assert third.loaded.skipped == 0 and len(third.core.active()) == 2


def test_missing_file_and_write_errors_never_stop_the_pager(tmp_path: Path) -> None:
    clock = clock_at()
    blocker = tmp_path / "pager"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    pager = Pager(tmp_path, clock)  # nothing to load: starts empty
    assert pager.loaded.records == [] and pager.loaded.skipped == 0
    alert = raised(clock)
    pager.core.receive(alert)  # cannot be written: logged, and the alert still rings
    assert pager.journal.error is not None
    assert pager.core.ringing
    pager.core.acknowledge(alert.alert_id)
    assert pager.sent and not pager.core.ringing
