"""Hypothesis strategies for the history of one alert, as the hub may receive it.

A history is every message one alert can gather (raise, re-raise, cancel, ladder rungs from the
kiosk and from the hub, several acknowledgements, on scene, resolve), including messages the
reducer must ignore (a cancel or re-raise from another kiosk, an answer from the raising kiosk),
then delivered the way the broker may deliver them: some twice, in any order, in batches.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from shared.alerts.state import AlertMessage
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    OnScene,
    Resolved,
)

STORE = "s1"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PAGERS = {
    "pager-m1": ("Alex", "manager"),
    "pager-s1": ("Sam", "security"),
    "pager-s2": ("Kim", "security"),
}
RUNGS = ("next_manager", "all_staff", "call_for_help")


@dataclass(frozen=True)
class Delivery:
    """Messages in arrival order, cut into batches; ``restarts`` after which batch indexes the
    recorder is rebuilt on a fresh engine; ``replayed`` batches are delivered twice (a hub that
    died after committing and before acknowledging)."""

    messages: tuple[AlertMessage, ...]
    batches: tuple[tuple[AlertMessage, ...], ...]
    restarts: frozenset[int]
    replayed: frozenset[int]


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@st.composite
def alert_history(draw: st.DrawFn) -> list[AlertMessage]:
    """The distinct messages of one alert (each with its own event id)."""
    alert_id = uuid.uuid4()
    level = draw(st.sampled_from(["manager", "security"]))
    raised = AlertRaised(
        store=STORE,
        device="kiosk-1",
        alert_id=alert_id,
        level=level,
        counter="Counter 1",
        context=AlertContext(situation="angry", step_index=1, risk="medium"),
        sent_at=T0,
    )
    messages: list[AlertMessage] = [raised]
    times = st.integers(min_value=0, max_value=60).map(_at)
    kiosks = st.sampled_from(["kiosk-1", "kiosk-1", "kiosk-2"])
    pagers = st.sampled_from(sorted(PAGERS))
    for kind in draw(st.lists(st.sampled_from(_KINDS), max_size=9)):
        sent_at = draw(times)
        if kind == "reraise":
            messages.append(
                AlertRaised(
                    store=STORE,
                    device=draw(kiosks),
                    alert_id=alert_id,
                    level=draw(st.sampled_from(["manager", "security"])),
                    silent=draw(st.booleans()),
                    counter="Counter 1",
                    context=AlertContext(situation="threat", step_index=draw(st.integers(0, 5))),
                    sent_at=sent_at,
                )
            )
        elif kind == "cancel":
            messages.append(
                AlertCancelled(
                    store=STORE,
                    device=draw(kiosks),
                    alert_id=alert_id,
                    reason=draw(st.sampled_from(["false_alarm", "resolved_at_counter"])),
                    sent_at=sent_at,
                )
            )
        elif kind == "rung":
            messages.append(
                AlertEscalated.for_step(
                    alert_id,
                    draw(st.sampled_from(RUNGS)),
                    store=STORE,
                    device=draw(st.sampled_from(["kiosk-1", "hub"])),
                    notify_roles=draw(st.sampled_from([["manager"], ["manager", "security"]])),
                    extra_responders=draw(st.integers(0, 2)),
                    call_for_help=draw(st.booleans()),
                    sent_at=sent_at,
                )
            )
        else:
            device = draw(st.one_of(pagers, st.just("kiosk-1")))
            name, role = PAGERS.get(device, ("Counter", "manager"))
            common = {
                "store": STORE,
                "device": device,
                "alert_id": alert_id,
                "responder_name": name,
                "responder_role": role,
                "sent_at": sent_at,
            }
            if kind == "ack":
                eta = draw(st.none() | st.integers(0, 10))
                messages.append(Acknowledged(eta_minutes=eta, **common))  # type: ignore[arg-type]
            elif kind == "on_scene":
                messages.append(OnScene(**common))  # type: ignore[arg-type]
            else:
                note = draw(st.sampled_from(["", "calm again"]))
                messages.append(Resolved(note=note, **common))  # type: ignore[arg-type]
    return _distinct_rungs(messages)


_KINDS = ("reraise", "cancel", "rung", "ack", "ack", "on_scene", "resolve")


def _distinct_rungs(messages: list[AlertMessage]) -> list[AlertMessage]:
    """Two copies of one rung share an event id: keep the first as the history's message, and
    let :func:`deliveries` add the other copy as a redelivery (content may differ)."""
    return list({message.event_id: message for message in reversed(messages)}.values())[::-1]


@st.composite
def deliveries(draw: st.DrawFn, history: list[AlertMessage]) -> Delivery:
    """Deliver a history: duplicates, any order, batches, restarts and replayed batches."""
    copies = draw(st.lists(st.sampled_from(history), max_size=4))
    rung_twins = [
        AlertEscalated.for_step(
            m.alert_id,
            m.step_id,
            store=STORE,
            device="hub" if m.device != "hub" else "kiosk-1",
            notify_roles=m.notify_roles,
            call_for_help=m.call_for_help,
            sent_at=m.sent_at,
        )
        for m in history
        if isinstance(m, AlertEscalated) and draw(st.booleans())
    ]
    arrival = draw(st.permutations([*history, *copies, *rung_twins]))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(arrival) - 1, 1)), max_size=4)))
    bounds = [0, *[c for c in cuts if c < len(arrival)], len(arrival)]
    batches = tuple(tuple(arrival[a:b]) for a, b in itertools.pairwise(bounds) if b > a)
    indexes = st.integers(0, max(len(batches) - 1, 0))
    return Delivery(
        messages=tuple(history),
        batches=batches,
        restarts=frozenset(draw(st.sets(indexes, max_size=2))),
        replayed=frozenset(draw(st.sets(indexes, max_size=1))),
    )
