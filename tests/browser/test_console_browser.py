"""The console in a real browser (Debian's chromium through Playwright) against a running hub,
a real Mosquitto and the database (SQLite and PostgreSQL): an alert from a kiosk's own MQTT link
appears on the live board without a reload; its timeline, the report completion, the SB 553
export (CSV content, PDF opened by pdftotext) and a chart. Screenshots of every page at desktop
and tablet width go to artifacts/screenshots/console/; every form field must have a label."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from broker.hub import Hub
from console.accounts import add_user, set_disabled
from shared import topics
from shared.protocol import (
    Acknowledged,
    AlertContext,
    AlertRaised,
    IncidentReport,
    Resolved,
    encode,
)
from tests.support.browser import (
    SCREENSHOTS,
    WIDTHS,
    chromium,
    console_server,
    pdf_text,
    screenshot_pages,
)
from tests.support.console import PASSWORD, database
from tests.support.store import Store, publish_and_wait

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/board")


def test_alert_to_sb553_export_in_a_real_browser(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    sid = store.store_id
    sessions = database(database_url)
    with sessions.begin() as session:
        add_user(
            session,
            "dana",
            display_name="Dana Reyes",
            role="store_manager",
            store=sid,
            password=PASSWORD,
        )
    hub = Hub(store.device("hub"), database_url)
    hub.start()
    assert hub.link.wait_subscribed(5)
    kiosk, _, _ = store.link("kiosk-1")
    pager, _, _ = store.link("pager-s1")
    try:
        with console_server(database_url, store.settings.data_dir) as base, chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            sign_in(page, base, "dana")
            page.evaluate("window.__notReloaded = true")

            alert = AlertRaised(
                store=sid,
                device="kiosk-1",
                level="security",
                counter="Counter 1",
                context=AlertContext(situation="threatening", step_index=1),
            )
            assert publish_and_wait(kiosk, topics.kiosk_alert(sid, "kiosk-1"), encode(alert)).ok
            card = page.locator(f'[data-alert="{alert.alert_id}"]')
            card.wait_for(timeout=15_000)
            assert "Counter 1" in card.inner_text() and "nobody yet" in card.inner_text()
            ack = Acknowledged(
                store=sid,
                device="pager-s1",
                alert_id=alert.alert_id,
                responder_name="Sam",
                responder_role="security",
            )
            assert publish_and_wait(pager, topics.pager_ack(sid, "pager-s1"), encode(ack)).ok
            page.get_by_text("Sam (security)").wait_for(timeout=15_000)
            assert page.evaluate("window.__notReloaded") is True  # updated in place
            if database_url.startswith("sqlite"):
                shoot(page, "board-open-alert")

            card.get_by_role("link", name="Timeline").click()
            page.wait_for_url(f"**/alerts/{alert.alert_id}")
            assert page.locator("tr[data-kind=acknowledged]").count() == 1

            resolved = Resolved(
                store=sid,
                device="pager-s1",
                alert_id=alert.alert_id,
                responder_name="Sam",
                responder_role="security",
            )
            report = IncidentReport(
                store=sid,
                device="kiosk-1",
                incident_id=uuid.uuid4(),
                alert_id=alert.alert_id,
                counter="Counter 1",
                situation="threatening",
                outcome="security_removed",
                violence_type="threat",
                notes="he knew my name",
            )
            assert publish_and_wait(pager, topics.pager_ack(sid, "pager-s1"), encode(resolved)).ok
            assert publish_and_wait(kiosk, topics.kiosk_incident(sid, "kiosk-1"), encode(report)).ok
            for _ in range(50):
                page.reload()
                if page.locator("tr[data-kind=incident_report]").count():
                    break
                page.wait_for_timeout(200)
            kinds = page.locator("tr[data-kind]").evaluate_all(
                "rows => rows.map(r => r.dataset.kind)"
            )
            # nobody was on shift, so the hub's ladder ran its rungs at once: they are listed too
            steps = [k for k in kinds if k != "alert_escalated"]
            assert steps == ["alert_raised", "acknowledged", "resolved", "incident_report"]
            assert kinds[0] == "alert_raised" and "alert_escalated" in kinds
            assert "he knew my name" in page.inner_text("main")  # the manager sees internal text

            page.get_by_role("link", name="Open report").click()
            page.get_by_label("Description (no names, phone numbers or e-mail addresses)").fill(
                "A customer threatened the cashier during a refund and was walked out."
            )
            page.get_by_label("Completed by: job title").fill("Store manager")
            page.get_by_label("Completed on").fill("2026-11-30")
            page.get_by_label("Corrective measures").fill("Second person at the refund desk.")
            page.get_by_role("button", name="Save the record").click()
            page.get_by_text("Saved. The record is complete").wait_for()

            page.goto(f"{base}/sb553?from=2020-01-01&to=2099-12-31")
            with page.expect_download() as got:
                page.get_by_role("link", name="Export CSV").click()
            rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text())))
            assert len(rows) == 1
            row = rows[0]
            assert row["Description"].startswith("A customer threatened the cashier")
            assert row["Violence type"].startswith("Type 2")
            assert row["Completed by (name)"] == "Dana Reyes"
            assert row["Security contacted"] == "yes"
            assert "he knew my name" not in Path(got.value.path()).read_text()
            with page.expect_download() as got_pdf:
                page.get_by_role("link", name="Export PDF").click()
            pdf = tmp_path / "log.pdf"
            got_pdf.value.save_as(pdf)
            text = pdf_text(pdf)
            assert "Violent incident log" in text and "threatened the cashier" in text

            page.goto(f"{base}/statistics?days=1825")
            chart = page.locator("figure.chart svg").first
            chart.wait_for()
            assert chart.bounding_box()["height"] > 50  # type: ignore[index]
            if database_url.startswith("sqlite"):
                screenshots_and_labels(page, base, str(alert.alert_id))

            # disabled while watching the board: its next refresh lands on the sign-in page
            sign_in(page, base, "dana")
            with sessions.begin() as session:
                set_disabled(session, "dana")
            page.wait_for_url(f"{base}/login", timeout=15_000)
    finally:
        hub.stop()


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """This page at both widths, then back to desktop."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


def screenshots_and_labels(page, base: str, alert_id: str) -> None:  # type: ignore[no-untyped-def]
    """Every page at desktop and tablet width, saved to look at; no field without a label."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report_link = page.goto(f"{base}/incidents") and page.locator("a", has_text="report #").first
    report_href = report_link.get_attribute("href")
    pages = {
        "board": "/board",
        "incidents": "/incidents",
        "timeline": f"/alerts/{alert_id}",
        "report": report_href,
        "tasks": "/tasks",
        "sb553": "/sb553?from=2020-01-01&to=2099-12-31",
        "statistics": "/statistics?days=1825",
        "cautions": "/cautions",
        "devices": "/devices",
        "users": "/users",
        "audit": "/audit",
    }
    unlabelled = screenshot_pages(page, base, pages)
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.screenshot(path=str(SCREENSHOTS / "login-desktop.png"), full_page=True)
    assert unlabelled == {}
