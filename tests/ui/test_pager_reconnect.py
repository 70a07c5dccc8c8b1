"""Acceptance 2, with the real pager app on a real broker: alerts raised while the pager was
offline arrive on reconnect (persistent session), marked late; one resolved meanwhile is
listed in today's history but never rung."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shared import topics
from shared.protocol import Acknowledged, AlertContext, AlertRaised, Resolved, encode
from staff_app.session import PagerSession
from staff_app.xdrive import PagerWindow, Xvfb, tools_missing
from tests.support.store import Store, publish_and_wait

pytestmark = [pytest.mark.ui, pytest.mark.timeout(90)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "pager"

if tools_missing():
    pytest.skip(
        f"needs {', '.join(tools_missing())} to run the pager window", allow_module_level=True
    )


def start_pager(store: Store, xvfb: Xvfb, trace: Path) -> PagerWindow:
    pager = PagerWindow("pager-s1", store.settings.data_dir, xvfb.display, trace)
    pager.find_window()
    pager.wait_for(lambda events: any(e["event"] == "state" and e["online"] for e in events))
    return pager


def test_offline_pager_shows_backlog_late_and_never_rings_an_alert_resolved_meanwhile(
    store: Store, tmp_path: Path
) -> None:
    data_dir = store.settings.data_dir
    PagerSession(signed_in=True, on_duty=True, lang="en").save(data_dir, "pager-s1")
    kiosk, _, _ = store.link("kiosk-1")
    colleague, _, _ = store.link("pager-s2")
    sid = store.store_id
    with Xvfb(600, 900) as xvfb:
        first = start_pager(store, xvfb, tmp_path / "run1.jsonl")
        first.stop()  # SIGTERM: a clean exit; the broker keeps the persistent session
        assert first.proc.returncode == 0, first.log_path.read_text()

        def raised(counter: str) -> AlertRaised:
            return AlertRaised(
                store=sid,
                device="kiosk-1",
                level="security",
                counter=counter,
                context=AlertContext(situation="threatening", step_index=1, step_count=7),
            )

        open_alert, closed_alert = raised("Counter 1"), raised("Counter 9")
        for message in (open_alert, closed_alert):
            assert publish_and_wait(kiosk, topics.kiosk_alert(sid, "kiosk-1"), encode(message)).ok
        for cls in (Acknowledged, Resolved):
            reply = cls(
                store=sid,
                device="pager-s2",
                alert_id=closed_alert.alert_id,
                responder_name="Kim",
                responder_role="security",
            )
            assert publish_and_wait(colleague, topics.pager_ack(sid, "pager-s2"), encode(reply)).ok
        time.sleep(2.5)  # the alerts are now clearly older than the next connection

        second = start_pager(store, xvfb, tmp_path / "run2.jsonl")
        try:
            shown = second.wait_for(
                lambda events: [
                    e
                    for e in events
                    if e["event"] == "state" and e["screen"] == "alert" and e["ringing"]
                ]
            )[0]
            assert shown["alert"] == str(open_alert.alert_id)
            assert shown["late"] and shown["late_text"].startswith("received late, raised 00:0")
            assert shown["band"] == "SECURITY NEEDED"
            second.wait_for(lambda events: any(e["event"] == "ring" for e in events))
            time.sleep(0.5)
            xvfb.screenshot(ARTIFACTS / "test_late_reconnect.png")
            states = second.events("state")
            assert all(str(closed_alert.alert_id) not in s["ringing"] for s in states)
            assert str(closed_alert.alert_id) in states[-1]["history"]
            assert str(closed_alert.alert_id) not in states[-1]["active"]
        finally:
            second.stop()
