"""Issue 9, payload trust: cases 1-7 and 11 against a real Mosquitto and hub.

Each attacker is a third-party client (mosquitto_pub / mosquitto_sub) holding one device's own
valid credentials, so the broker's ACL lets every attack through: what stops it is the
authorization rule (shared/authz.py) in the hub and in each device's receive path. Victims are
the apps' real receive path (tests/support/trust.py).
"""

from __future__ import annotations

import logging
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broker.hub import Hub
from shared import topics
from shared.alerts.policy import Policy, load_policy
from shared.db.models import AlertRow, EventRow, IncidentRow, ResponderRow
from shared.device_runtime import DeviceRuntime
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    Presence,
    encode,
    rung_event_id,
)
from tests.support.cli import calmdesk
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.store import Store, eventually
from tests.support.trust import (
    attack,
    connect_with_will,
    start_hub,
    start_kiosk,
    start_pager,
    wait_for_roster,
)

SLOW_START_LADDERS = """
[[ladders.manager.steps]]
id = "manager_next_manager"
after_seconds = 2.5
notify = ["manager"]

[[ladders.manager.steps]]
id = "manager_all_staff"
after_seconds = 3.0
notify = ["manager", "security"]

[[ladders.manager.steps]]
id = "manager_call_for_help"
after_seconds = 3.5
notify = ["manager", "security"]
call_for_help = true
"""
MANAGER_STEPS = ("manager_next_manager", "manager_all_staff", "manager_call_for_help")


def ladder(tmp_path: Path) -> Policy:
    path = tmp_path / "ladder.toml"
    path.write_text(SLOW_START_LADDERS, encoding="utf-8")
    return load_policy(path)


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def alert_row(hub: Hub, alert_id: uuid.UUID) -> AlertRow | None:
    with hub.sessions() as session:
        return session.get(AlertRow, alert_id)


def events(hub: Hub, **where: object) -> list[EventRow]:
    with hub.sessions() as session:
        return list(session.scalars(select(EventRow).filter_by(**where)).all())


def raise_as(store: Store, kiosk: str, **fields: object) -> AlertRaised:
    values: dict[str, object] = {"level": "security", "counter": "Counter"}
    values.update(fields)
    alert = AlertRaised(store=store.store_id, device=kiosk, **values)  # type: ignore[arg-type]
    attack(store, kiosk, topics.kiosk_alert(store.store_id, kiosk), alert)
    return alert


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Case 1 ------------------------------------------------------------------------------------


def test_pager_ignores_alerts_on_the_wrong_channel_or_in_another_kiosks_name(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    victim = start_pager(store, "pager-s1", tmp_path)
    wait_for_roster(victim)
    sid = store.store_id
    on_ack = AlertRaised(store=sid, device="pager-m1", level="security", counter="Counter 1")
    attack(store, "pager-m1", topics.pager_ack(sid, "pager-m1"), on_ack)
    as_kiosk_1 = AlertRaised(store=sid, device="kiosk-1", level="security", counter="Counter 1")
    attack(store, "kiosk-2", topics.kiosk_alert(sid, "kiosk-2"), as_kiosk_1)
    real = raise_as(store, "kiosk-1")

    victim.ui.until(lambda: real.alert_id in victim.core.book)
    victim.ui.run(0.3)
    assert on_ack.alert_id not in victim.core.book
    assert as_kiosk_1.alert_id not in victim.core.book
    assert [a.alert_id for a in victim.core.active()] == [real.alert_id]
    assert victim.core.ringing  # for the real one
    assert alert_row(hub, on_ack.alert_id) is None and alert_row(hub, as_kiosk_1.alert_id) is None
    victim.runtime.stop()
    hub.stop()


# Case 2 ------------------------------------------------------------------------------------


def test_an_acknowledgement_carries_the_rosters_name_and_role_not_the_payloads(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    kiosk = start_kiosk(store, "kiosk-1", tmp_path)
    wait_for_roster(kiosk)
    kiosk.vm.tap_escalate("security")
    alert_id = kiosk.vm.escalation.alert_id
    assert alert_id is not None
    eventually(lambda: alert_row(hub, alert_id))
    lie = Acknowledged(
        store=store.store_id,
        device="pager-m1",  # Alex, a manager
        alert_id=alert_id,
        responder_name="Sam",
        responder_role="security",
    )
    attack(store, "pager-m1", topics.pager_ack(store.store_id, "pager-m1"), lie)

    kiosk.ui.until(lambda: kiosk.vm.escalation.view.first_responder)  # type: ignore[union-attr]
    shown = kiosk.vm.escalation.view.first_responder  # type: ignore[union-attr]
    assert (shown.name, shown.role, shown.device) == ("Alex", "manager", "pager-m1")
    eventually(lambda: alert_row(hub, alert_id).acknowledged_by)  # type: ignore[union-attr]
    row = alert_row(hub, alert_id)
    assert row is not None
    assert (row.acknowledged_by, row.acknowledged_role) == ("Alex", "manager")
    with hub.sessions() as session:
        responder = session.scalars(select(ResponderRow)).one()
        assert (responder.name, responder.role) == ("Alex", "manager")
    recorded = events(hub, event_id=lie.event_id)[0].payload
    assert (recorded["responder_name"], recorded["responder_role"]) == ("Alex", "manager")
    kiosk.runtime.stop()
    hub.stop()


# Case 3 ------------------------------------------------------------------------------------


def test_another_kiosk_cannot_cancel_re_raise_or_escalate_an_alert(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    victim = start_pager(store, "pager-s1", tmp_path)  # on duty: the ladder waits for it
    wait_for_roster(victim)
    sid = store.store_id
    real = raise_as(store, "kiosk-1")
    eventually(lambda: alert_row(hub, real.alert_id))
    victim.ui.until(lambda: real.alert_id in victim.core.book)

    kiosk_2 = topics.kiosk_alert(sid, "kiosk-2")
    attack(
        store,
        "kiosk-2",
        kiosk_2,
        AlertCancelled(store=sid, device="kiosk-2", alert_id=real.alert_id, reason="false_alarm"),
    )
    lowered = AlertRaised(
        store=sid,
        device="kiosk-2",
        alert_id=real.alert_id,
        level="manager",
        silent=True,
        counter="x",
    )
    attack(store, "kiosk-2", kiosk_2, lowered)
    escalated = AlertEscalated.for_step(
        real.alert_id, "security_call_for_help", store=sid, device="kiosk-2", call_for_help=True
    )
    attack(store, "kiosk-2", kiosk_2, escalated)
    eventually(lambda: hub.stats.rejected >= 3)

    row = alert_row(hub, real.alert_id)
    assert row is not None
    assert (row.status, row.closed_by, row.level, row.silent) == ("raised", None, "security", False)
    assert (row.escalation_steps, row.call_for_help) == (0, False)
    assert events(hub, device="kiosk-2") == []
    victim.ui.run(0.3)
    view = victim.core.book[real.alert_id]
    assert (view.status, view.level, view.silent, view.call_for_help) == (
        "raised",
        "security",
        False,
        False,
    )
    assert victim.core.ringing

    # the raising kiosk itself still can
    own = AlertCancelled(store=sid, device="kiosk-1", alert_id=real.alert_id, reason="false_alarm")
    attack(store, "kiosk-1", topics.kiosk_alert(sid, "kiosk-1"), own)
    eventually(lambda: alert_row(hub, real.alert_id).status == "cancelled")  # type: ignore[union-attr]
    assert alert_row(hub, real.alert_id).closed_by == "kiosk-1"  # type: ignore[union-attr]
    victim.runtime.stop()
    hub.stop()


# Case 4 ------------------------------------------------------------------------------------


def test_a_kiosk_posing_as_a_guard_on_duty_does_not_delay_call_for_help(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    kiosk = start_kiosk(store, "kiosk-2", tmp_path)
    wait_for_roster(kiosk)
    sid = store.store_id
    fake_guard = Presence(
        store=sid,
        device="kiosk-1",
        kind="pager",
        role="security",
        online=True,
        on_duty=True,
        display_name="Guard",
    )
    attack(store, "kiosk-1", topics.status(sid, "kiosk", "kiosk-1"), fake_guard, retain=True)
    kiosk.ui.run(1.5)  # the hub's presence is trusted once the retained status is in
    assert kiosk.vm.presence.summary().security.on_duty == 0

    kiosk.vm.tap_escalate("security")
    alert_id = kiosk.vm.escalation.alert_id
    assert alert_id is not None
    # nobody on shift: call for help at once, not after the 60 s ladder
    eventually(lambda: (r := alert_row(hub, alert_id)) and r.call_for_help, timeout=5)
    hub.stop()
    kiosk.runtime.stop()


# Case 5 ------------------------------------------------------------------------------------


def test_a_last_will_in_another_devices_name_changes_nothing(store: Store, tmp_path: Path) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    kiosk = start_kiosk(store, "kiosk-2", tmp_path)
    wait_for_roster(kiosk)
    sid = store.store_id
    online = Presence(store=sid, device="kiosk-1", kind="kiosk", role="kiosk", online=True)
    attack(store, "kiosk-1", topics.status(sid, "kiosk", "kiosk-1"), online, retain=True)
    kiosk.ui.until(lambda: kiosk.vm.presence.is_online("kiosk-1"))

    will = Presence(
        store=sid, device="kiosk-1", kind="kiosk", role="kiosk", online=False, clean=False
    )
    holder = connect_with_will(
        store, "pager-m1", topics.status(sid, "pager", "pager-m1"), encode(will)
    )
    eventually(lambda: "pager-m1" in store.broker.files.log.read_text(errors="replace"))
    holder.send_signal(signal.SIGKILL)
    holder.wait(5)
    will_topic = topics.status(sid, "pager", "pager-m1")
    eventually(lambda: any(will_topic in r for r in hub.stats.rejections), timeout=5)

    kiosk.ui.run(0.5)
    assert kiosk.vm.presence.is_online("kiosk-1")
    with hub.sessions() as session:
        assert session.scalars(select(AlertRow)).all() == []  # no "kiosk-1 went dark" page
    kiosk.runtime.stop()
    hub.stop()


# Case 6 ------------------------------------------------------------------------------------


def test_decoys_under_rung_ids_neither_record_nor_shadow_the_real_rungs(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path), ladder(tmp_path))
    victim = start_pager(store, "pager-m1", tmp_path)  # on duty and online: a timed ladder
    wait_for_roster(victim)
    sid = store.store_id
    real = raise_as(store, "kiosk-1", level="manager")
    eventually(lambda: alert_row(hub, real.alert_id))

    # the alert id is public (pagers read every alert): derive every rung id and take it first
    decoys = [
        AlertEscalated.for_step(real.alert_id, step, store=sid, device="kiosk-2", reason="decoy")
        for step in MANAGER_STEPS
    ]
    for decoy in decoys:
        attack(store, "kiosk-2", topics.kiosk_alert(sid, "kiosk-2"), decoy)
    squat = Acknowledged(
        event_id=rung_event_id(real.alert_id, "manager_call_for_help"),
        store=sid,
        device="pager-s1",
        alert_id=uuid.uuid4(),
        responder_name="Sam",
        responder_role="security",
    )
    attack(store, "pager-s1", topics.pager_ack(sid, "pager-s1"), squat)

    eventually(lambda: alert_row(hub, real.alert_id).call_for_help, timeout=10)  # type: ignore[union-attr]
    row = alert_row(hub, real.alert_id)
    assert row is not None and row.escalation_steps == len(MANAGER_STEPS)
    for step in MANAGER_STEPS:
        (recorded,) = events(hub, event_id=rung_event_id(real.alert_id, step))
        assert (recorded.device, recorded.type) == ("hub", "alert_escalated")
    assert events(hub, device="kiosk-2") == [] and events(hub, device="pager-s1") == []
    victim.ui.until(lambda: (v := victim.core.book.get(real.alert_id)) and v.call_for_help)
    view = victim.core.book[real.alert_id]
    assert set(view.escalation_steps_done) == set(MANAGER_STEPS)
    assert "decoy" not in {entry.detail.split(": ")[-1] for entry in view.timeline}
    settled = hub.stats.duplicates
    victim.ui.run(1.5)  # the hub must not keep re-publishing rungs it cannot get recorded
    assert hub.stats.duplicates == settled
    victim.runtime.stop()
    hub.stop()


# Case 7 ------------------------------------------------------------------------------------


def test_sender_clocks_ahead_do_not_hold_back_hub_rungs_and_absurd_values_are_refused(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path), ladder(tmp_path))
    victim = start_pager(store, "pager-m1", tmp_path)
    wait_for_roster(victim)
    sid = store.store_id
    now = datetime.now(UTC)
    a_day = raise_as(store, "kiosk-1", level="manager", sent_at=now + timedelta(days=1))
    ten_min = raise_as(store, "kiosk-2", level="manager", sent_at=now + timedelta(minutes=10))
    for alert in (a_day, ten_min):
        eventually(lambda a=alert: (r := alert_row(hub, a.alert_id)) and r.call_for_help, 10)  # type: ignore[misc]
        row = alert_row(hub, alert.alert_id)
        assert row is not None and abs(as_utc(row.raised_at) - now) < timedelta(minutes=1)
        victim.ui.until(lambda a=alert: (v := victim.core.book.get(a.alert_id)) and v.call_for_help)  # type: ignore[misc]

    before = hub.stats.rejected
    template = encode(AlertRaised(store=sid, device="kiosk-1", level="security", counter="c"))
    stamp = template.split(b'"sent_at":"')[1].split(b'"')[0]
    absurd = [
        template.replace(stamp, b"0001-01-01T00:00:00Z"),
        template.replace(stamp, b"9999-12-31T23:59:59Z"),
        template.replace(b'"schema_version":1', b'"schema_version":1.0'),
        template.replace(b'"schema_version":1', b'"schema_version":true'),
    ]
    for payload in absurd:
        attack(store, "kiosk-1", topics.kiosk_alert(sid, "kiosk-1"), payload)
    eventually(lambda: hub.stats.rejected == before + len(absurd))
    assert any("outside 1970..2199" in r for r in hub.stats.rejections)
    assert any("schema_version" in r for r in hub.stats.rejections)
    victim.ui.run(0.3)
    assert len(victim.core.book) == 2
    victim.runtime.stop()
    hub.stop()


# Case 8 (the protocol half): NUL refused the same way on SQLite and PostgreSQL ---------------


def test_a_nul_in_incident_notes_is_refused_at_decode_and_later_reports_are_recorded(
    store: Store, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = start_hub(store, database_url)
    sid = store.store_id
    topic = topics.kiosk_incident(sid, "kiosk-1")

    def report(notes: str) -> IncidentReport:
        return IncidentReport(
            store=sid,
            device="kiosk-1",
            incident_id=uuid.uuid4(),
            counter="c",
            outcome="customer_left",
        ).model_copy(update={"notes": notes})  # built past validation, as a hostile client would

    poison, fine = report("shouted \u0000 then left"), report("shouted\n\tthen left")
    with caplog.at_level(logging.WARNING, logger="broker.hub"):
        attack(store, "kiosk-1", topic, poison)
        attack(store, "kiosk-1", topic, fine)
        eventually(lambda: events(hub, event_id=fine.event_id), timeout=10)
    assert events(hub, event_id=poison.event_id) == []
    assert "notes: Value error, control character U+0000" in caplog.text
    with hub.sessions() as session:
        assert session.scalars(select(IncidentRow.notes)).all() == ["shouted\n\tthen left"]
    hub.stop()


# Case 11 -----------------------------------------------------------------------------------


def test_retained_alerts_and_acks_do_not_reach_devices_that_start_later(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sid = store.store_id
    retained_alert = AlertRaised(store=sid, device="kiosk-1", level="security", counter="c")
    attack(store, "kiosk-1", topics.kiosk_alert(sid, "kiosk-1"), retained_alert, retain=True)
    retained_ack = Acknowledged(
        store=sid,
        device="pager-m1",
        alert_id=retained_alert.alert_id,
        responder_name="Alex",
        responder_role="manager",
    )
    attack(store, "pager-m1", topics.pager_ack(sid, "pager-m1"), retained_ack, retain=True)

    with caplog.at_level(logging.WARNING):
        hub = start_hub(store, sqlite(tmp_path))
        victim = start_pager(store, "pager-s1", tmp_path)
        wait_for_roster(victim)
        victim.ui.run(0.5)
        eventually(lambda: hub.stats.rejected >= 2)
    assert len(victim.core.book) == 0 and not victim.core.ringing
    assert victim.core.book.pending_count() == 0
    assert alert_row(hub, retained_alert.alert_id) is None
    assert events(hub, event_id=retained_ack.event_id) == []
    assert "retained AlertRaised" in caplog.text and "retained Acknowledged" in caplog.text
    victim.runtime.stop()
    hub.stop()


# Roster distribution -----------------------------------------------------------------------


def test_a_device_provisioned_later_is_recognised_without_reinstalling_the_others(
    store: Store, tmp_path: Path
) -> None:
    hub = start_hub(store, sqlite(tmp_path))
    victim = start_pager(store, "pager-s1", tmp_path)
    wait_for_roster(victim)
    assert "kiosk-9" not in victim.runtime.roster
    done = calmdesk(
        store.settings.data_dir,
        "provision",
        "--device",
        "kiosk-9",
        "--role",
        "kiosk",
        "--counter",
        "Back door",
    )
    assert done.returncode == 0, done.stderr
    victim.ui.until(lambda: "kiosk-9" in victim.runtime.roster, timeout=10)
    alert = raise_as(store, "kiosk-9", counter="Front door")  # its counter claim is replaced

    victim.ui.until(lambda: alert.alert_id in victim.core.book)
    assert victim.core.book[alert.alert_id].counter == "Back door"
    eventually(lambda: alert_row(hub, alert.alert_id))
    assert alert_row(hub, alert.alert_id).counter == "Back door"  # type: ignore[union-attr]
    victim.runtime.stop()
    hub.stop()
    # the roster is kept on the device: messages queued while it was off are judged by it
    restarted = DeviceRuntime(
        store.device("pager-s1"), tmp_path, subscriptions=[], on_message=lambda _m: None
    )
    assert "kiosk-9" in restarted.roster
    restarted.outbox.close()


# The judge reads the database: an outage there is retried, like a write ---------------------


@pytest.mark.postgres
def test_an_outage_during_the_ownership_lookup_is_retried_and_nothing_is_lost(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL server could not be started here: {error}")
    hub = start_hub(store, server.url)
    try:
        eventually(lambda: hub.schema_ready.is_set(), timeout=15)
        eventually(lambda: hub.stats.recorded >= 1 and hub._inbox.empty())  # its own presence
        server.stop_server()
        with caplog.at_level(logging.ERROR, logger="broker.hub"):
            alert = raise_as(store, "kiosk-1")  # who raised it? the database must answer
            eventually(lambda: "stays unacknowledged" in caplog.text, timeout=10)
        assert hub._worker.is_alive()
        server.start_server()
        eventually(lambda: alert_row(hub, alert.alert_id), timeout=20)
    finally:
        hub.stop()
        server.stop()
