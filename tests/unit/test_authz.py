"""The one authorization rule (shared/authz.py): each clause, as plain function calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.authz import MAX_CLOCK_AHEAD, RosterIndex, judge, judge_payload
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    AlertState,
    IncidentRecorded,
    IncidentReport,
    Message,
    Presence,
    Roster,
    RosterEntry,
    encode,
)

S = "s1"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ROSTER = RosterIndex(
    Roster(
        store=S,
        device="hub",
        devices=[
            RosterEntry(id="hub", kind="hub", role="hub", display_name="Store hub"),
            RosterEntry(id="kiosk-1", kind="kiosk", role="kiosk", counter="Counter 1"),
            RosterEntry(id="kiosk-2", kind="kiosk", role="kiosk", display_name="Till 2"),
            RosterEntry(id="pager-m1", kind="pager", role="manager", display_name="Alex"),
            RosterEntry(id="pager-s1", kind="pager", role="security", display_name="Sam"),
            RosterEntry(id="console", kind="pager", role="monitor", display_name="Console"),
        ],
    )
)
UNKNOWN = RosterIndex()
ALERT = uuid.uuid4()


def raised(kiosk: str = "kiosk-1", **fields: object) -> AlertRaised:
    values: dict[str, object] = {
        "alert_id": ALERT,
        "level": "security",
        "counter": "x",
        "sent_at": NOW,
    }
    values.update(fields)
    return AlertRaised(store=S, device=kiosk, **values)  # type: ignore[arg-type]


def ack(pager: str = "pager-m1", **fields: object) -> Acknowledged:
    values: dict[str, object] = {"responder_name": "Alex", "responder_role": "manager"}
    values.update(fields)
    return Acknowledged(store=S, device=pager, alert_id=ALERT, sent_at=NOW, **values)  # type: ignore[arg-type]


def rung(device: str, step: str = "security_second_guard", **fields: object) -> AlertEscalated:
    return AlertEscalated.for_step(ALERT, step, store=S, device=device, sent_at=NOW, **fields)


def presence(device: str, kind: str, **fields: object) -> Presence:
    values: dict[str, object] = {"kind": kind, "role": "kiosk", "online": True}
    values.update(fields)
    return Presence(store=S, device=device, sent_at=NOW, **values)  # type: ignore[arg-type]


def verdict_of(
    topic: str,
    message: Message,
    *,
    retained: bool = False,
    roster: RosterIndex = ROSTER,
    owner: str | None = "kiosk-1",
    now: datetime = NOW,
):  # type: ignore[no-untyped-def]
    return judge(
        topic, message, retained=retained, roster=roster, owner_of=lambda _a: owner, now=now
    )


def kiosk_alert(kiosk: str = "kiosk-1") -> str:
    return topics.kiosk_alert(S, kiosk)


def test_a_well_formed_alert_on_its_own_topic_is_accepted_with_the_rosters_counter() -> None:
    verdict = verdict_of(kiosk_alert(), raised(), owner=None)
    assert verdict.accepted
    assert verdict.message.counter == "Counter 1"  # type: ignore[union-attr]
    assert "counter 'x' replaced" in verdict.reason


@pytest.mark.parametrize(
    ("topic", "message", "why"),
    [
        (topics.pager_ack(S, "pager-s1"), raised("pager-s1"), "does not belong on the ack"),
        (kiosk_alert("kiosk-1"), raised("kiosk-2"), "claims s1/kiosk-2"),
        (topics.kiosk_alert("s2", "kiosk-1"), raised(), "claims s1/kiosk-1"),
        (kiosk_alert(), ack("kiosk-1"), "does not belong on the alert"),
        ("calmdesk/v1/s1/pager/pager-s1/whatever", ack("pager-s1"), "unknown channel"),
        ("elsewhere/x", ack(), "not a CalmDesk v1 topic"),
    ],
)
def test_store_device_and_channel_must_match_the_topic(
    topic: str, message: Message, why: str
) -> None:
    verdict = verdict_of(topic, message, owner=None)
    assert not verdict.accepted
    assert why in verdict.reason


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        (kiosk_alert(), raised()),
        (topics.pager_ack(S, "pager-m1"), ack()),
        (
            topics.kiosk_incident(S, "kiosk-1"),
            IncidentReport(
                store=S,
                device="kiosk-1",
                incident_id=uuid.uuid4(),
                counter="c",
                outcome="customer_left",
            ),
        ),
        (topics.hub_escalation(S, "hub"), rung("hub")),
        (
            topics.hub_receipt(S, "hub", "kiosk-1"),
            IncidentRecorded(
                store=S, device="hub", report_event_id=uuid.uuid4(), for_device="kiosk-1"
            ),
        ),
    ],
)
def test_retained_messages_on_channels_never_retained_are_ignored(
    topic: str, message: Message
) -> None:
    verdict = verdict_of(topic, message, retained=True, owner=None)
    assert not verdict.accepted
    assert "never retained" in verdict.reason


def test_retained_presence_is_fine() -> None:
    topic = topics.status(S, "pager", "pager-s1")
    message = presence("pager-s1", "pager", role="security", display_name="Sam")
    assert verdict_of(topic, message, retained=True).accepted


def test_a_device_missing_from_the_roster_is_refused() -> None:
    verdict = verdict_of(topics.pager_ack(S, "pager-x9"), ack("pager-x9"))
    assert not verdict.accepted
    assert "not in store s1's roster" in verdict.reason


def test_a_pager_cannot_claim_another_name_or_role() -> None:
    message = ack("pager-m1", responder_name="Sam", responder_role="security")
    verdict = verdict_of(topics.pager_ack(S, "pager-m1"), message)
    assert verdict.accepted
    corrected = verdict.message
    assert isinstance(corrected, Acknowledged)
    assert (corrected.responder_name, corrected.responder_role) == ("Alex", "manager")
    assert corrected.event_id == message.event_id


def test_a_kiosk_claiming_to_be_a_guard_on_duty_stays_a_kiosk() -> None:
    message = presence("kiosk-1", "pager", role="security", on_duty=True, display_name="Guard")
    verdict = verdict_of(topics.status(S, "kiosk", "kiosk-1"), message, retained=True)
    assert verdict.accepted
    corrected = verdict.message
    assert isinstance(corrected, Presence)
    assert (corrected.kind, corrected.role, corrected.display_name) == ("kiosk", "kiosk", "")


def test_a_will_naming_another_device_is_refused() -> None:
    will = presence("kiosk-1", "kiosk", online=False, clean=False)
    verdict = verdict_of(topics.status(S, "pager", "pager-s1"), will, retained=True)
    assert not verdict.accepted
    assert "claims s1/kiosk-1" in verdict.reason


def test_a_monitor_has_no_presence_and_cannot_answer() -> None:
    topic = topics.status(S, "pager", "console")
    assert not verdict_of(topic, presence("console", "pager", role="manager")).accepted
    verdict = verdict_of(topics.pager_ack(S, "console"), ack("console"))
    assert "cannot answer alerts" in verdict.reason


def test_kind_in_the_roster_must_match_the_topic() -> None:
    message = presence("pager-s1", "kiosk")
    verdict = verdict_of(topics.status(S, "kiosk", "pager-s1"), message)
    assert "is a pager, not a kiosk" in verdict.reason


def test_without_a_roster_claims_stand_but_the_topic_fixes_the_kind() -> None:
    verdict = verdict_of(
        topics.status(S, "kiosk", "kiosk-1"),
        presence("kiosk-1", "pager", role="kiosk"),
        roster=UNKNOWN,
    )
    assert verdict.accepted and verdict.message.kind == "kiosk"  # type: ignore[union-attr]
    guard = presence("kiosk-1", "pager", role="security", on_duty=True)
    assert not verdict_of(topics.status(S, "kiosk", "kiosk-1"), guard, roster=UNKNOWN).accepted
    message = ack("pager-m1", responder_name="Sam")
    kept = verdict_of(topics.pager_ack(S, "pager-m1"), message, roster=UNKNOWN).message
    assert kept is not None and kept.responder_name == "Sam"  # type: ignore[attr-defined]


# Alert ownership ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        AlertCancelled(store=S, device="kiosk-2", alert_id=ALERT, reason="false_alarm"),
        raised("kiosk-2", level="manager", silent=True),
        rung("kiosk-2"),
    ],
    ids=["cancel", "re-raise", "escalate"],
)
def test_only_the_raising_kiosk_changes_its_alert(message: Message) -> None:
    verdict = verdict_of(kiosk_alert("kiosk-2"), message, owner="kiosk-1")
    assert not verdict.accepted
    assert "raised by kiosk-1" in verdict.reason
    assert verdict_of(kiosk_alert("kiosk-2"), message, owner="kiosk-2").accepted


def test_the_hub_may_escalate_any_alert_but_not_cancel_it() -> None:
    topic = topics.hub_escalation(S, "hub")
    assert verdict_of(topic, rung("hub"), owner="kiosk-1").accepted
    assert verdict_of(topic, rung("hub"), owner=None).accepted
    cancel = AlertCancelled(store=S, device="hub", alert_id=ALERT, reason="device_back_online")
    assert not verdict_of(topic, cancel, owner="kiosk-1").accepted
    assert verdict_of(topic, cancel, owner="hub").accepted  # its own kiosk-lost alert


def test_cancel_or_kiosk_rung_for_an_alert_never_seen_is_refused() -> None:
    cancel = AlertCancelled(store=S, device="kiosk-2", alert_id=ALERT, reason="false_alarm")
    assert "has not been seen" in verdict_of(kiosk_alert("kiosk-2"), cancel, owner=None).reason
    assert not verdict_of(kiosk_alert("kiosk-2"), rung("kiosk-2"), owner=None).accepted


# Ids that cannot be squatted -----------------------------------------------------------------


def test_a_rung_must_carry_its_derived_id() -> None:
    good = rung("kiosk-1")
    forged = good.model_copy(update={"event_id": uuid.uuid4()})
    assert verdict_of(kiosk_alert(), good).accepted
    verdict = verdict_of(kiosk_alert(), forged)
    assert "not its derived id" in verdict.reason


def test_other_messages_cannot_take_a_rungs_id() -> None:
    rung_id = rung("hub").event_id
    decoy = ack("pager-m1").model_copy(update={"event_id": rung_id})
    verdict = verdict_of(topics.pager_ack(S, "pager-m1"), decoy)
    assert "reserved for ladder rungs" in verdict.reason


# Clocks --------------------------------------------------------------------------------------


def test_a_sender_clock_far_ahead_is_replaced_by_the_receive_time() -> None:
    for ahead in (timedelta(minutes=10), timedelta(days=1)):
        message = raised(sent_at=NOW + ahead)
        verdict = verdict_of(kiosk_alert(), message, owner=None)
        assert verdict.accepted
        assert verdict.message.sent_at == NOW  # type: ignore[union-attr]
        assert "receive time used" in verdict.reason


def test_a_little_ahead_or_any_amount_behind_is_kept() -> None:
    for sent in (NOW + MAX_CLOCK_AHEAD, NOW - timedelta(days=1)):
        verdict = verdict_of(kiosk_alert(), raised(sent_at=sent), owner=None)
        assert verdict.message.sent_at == sent  # type: ignore[union-attr]


# Hub-only channels and the roster itself -------------------------------------------------


def test_alert_state_must_be_on_its_own_alert_topic() -> None:
    state = AlertState(
        store=S,
        device="hub",
        alert_id=ALERT,
        kiosk="kiosk-1",
        level="security",
        status="raised",
        raised_at=NOW,
    )
    assert verdict_of(topics.hub_alert_state(S, "hub", ALERT), state, retained=True).accepted
    other = topics.hub_alert_state(S, "hub", uuid.uuid4())
    assert not verdict_of(other, state, retained=True).accepted


def test_a_roster_is_taken_only_from_a_hub_that_lists_itself() -> None:
    roster = ROSTER.roster
    assert roster is not None
    topic = topics.hub_roster(S, "hub")
    assert verdict_of(topic, roster, retained=True, roster=UNKNOWN).accepted
    assert verdict_of(topic, roster, retained=True).accepted
    stranger = Roster(store=S, device="hub2", devices=[*roster.devices])
    verdict = verdict_of(topics.hub_roster(S, "hub2"), stranger, roster=UNKNOWN)
    assert "does not list hub2 as the hub" in verdict.reason
    listed = Roster(
        store=S,
        device="hub2",
        devices=[RosterEntry(id="hub2", kind="hub", role="hub"), *roster.devices],
    )
    assert not verdict_of(topics.hub_roster(S, "hub2"), listed).accepted


def test_undecodable_payloads_are_refused_with_the_reason() -> None:
    verdict = judge_payload(kiosk_alert(), b"{not json", retained=False, roster=ROSTER)
    assert not verdict.accepted and "invalid message" in verdict.reason
    good = judge_payload(
        kiosk_alert(), encode(raised(sent_at=datetime.now(UTC))), retained=False, roster=ROSTER
    )
    assert good.accepted
