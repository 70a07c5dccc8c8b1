"""The console at head office: on the chain's central database (SQLite, and PostgreSQL through
the ``database_url`` fixture) it is in HQ mode by itself, shows the store health table and the
chain's figures, filters every page by region and store, keeps one SB 553 log per
establishment, refuses what needs a store's own files, and lets no store manager in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.db.central import migrate_central
from shared.db.central_models import DevicePresenceRow, StoreRow, StoreSyncRow
from shared.db.models import AuditRow
from shared.protocol import utc_now
from tests.support.cli import calmdesk
from tests.support.console import (
    alert_story,
    app_client,
    csrf_of,
    database,
    record,
    sign_in,
    users,
)

LONG_WEST = tuple(f"west-store-with-a-long-id-{n:02}" for n in range(3))


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-store="([^"]+)"', html)


@pytest.fixture
def hq_world(database_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    """Central: s1 (north) synced seconds ago with an open alert and an offline pager; s2
    (south) synced 20 min ago with a closed, reported alert; s3 (south) registered, never
    synced; three stores of region west with long ids. One account per role."""
    migrate_central(database_url)
    sessions = database(database_url)
    users(sessions)
    now = utc_now()
    open_s1 = alert_story("s1", now - timedelta(minutes=3), ack_after=None)
    closed_s2 = alert_story("s2", now - timedelta(hours=2), report={})
    record(sessions, *open_s1, *closed_s2)
    with sessions.begin() as session:
        session.add_all(
            [
                StoreRow(store="s1", region="north", name="Riga"),
                StoreRow(store="s2", region="south", name="Turku"),
                StoreRow(store="s3", region="south", name="Busan"),
                *(StoreRow(store=s, region="west", name="") for s in LONG_WEST),
                StoreSyncRow(store="s1", last_event_id=3, synced_at=now - timedelta(seconds=5)),
                StoreSyncRow(store="s2", last_event_id=9, synced_at=now - timedelta(minutes=20)),
                DevicePresenceRow(
                    store="s1", device="pager-m1", kind="pager", online=False, at=now
                ),
            ]
        )
    client = app_client(database_url, tmp_path)
    try:
        yield {"client": client, "sessions": sessions, "open_s1": open_s1[0]}
    finally:
        client.close()


def test_on_the_central_database_the_console_is_head_offices(hq_world) -> None:  # type: ignore[no-untyped-def]
    client = hq_world["client"]
    assert client.app.state.hq is True
    assert sign_in(client, "safety").headers["location"] == "/stores"
    page = client.get("/stores")
    assert page.status_code == 200
    assert 'href="/stores"' in page.text and 'href="/devices"' not in page.text
    assert rows_of(page.text) == ["s1", "s2", "s3", *LONG_WEST]
    s1, s2, s3 = (
        re.search(rf'<tr data-store="{s}"[^>]*>.*?</tr>', page.text, re.S).group(0)  # type: ignore[union-attr]
        for s in ("s1", "s2", "s3")
    )
    assert "stale" not in s1 and "Riga" in s1 and "north" in s1
    assert re.search(r'data-col="offline"><span class="tag tag-warn">1<', s1)
    assert re.search(r'data-col="open">.*>1</span> on the board', s1)
    assert 'class="stale"' in s2 and "20 min" in s2 and 'data-col="open">0' in s2
    assert ">never<" in s3
    live = client.get("/stores/live?region=south")
    assert live.status_code == 200 and rows_of(live.text) == ["s2", "s3"]
    assert 'data-figure="stale">1<' in live.text and 'data-figure="never">1<' in live.text


def test_the_region_filter_narrows_every_page(hq_world) -> None:  # type: ignore[no-untyped-def]
    client = hq_world["client"]
    sign_in(client, "safety")
    board = client.get("/board?region=north")
    assert str(hq_world["open_s1"].alert_id) in board.text
    assert 'id="region-filter"' in board.text and 'value="north" selected' in board.text
    assert "/board/live?region=north" in board.text
    assert 'id="devices-per-store"' not in board.text  # region north is one store
    assert 'id="devices-per-store"' in client.get("/board?region=south").text
    one = client.get("/board/live?store=s1").text
    assert 'id="devices-per-store"' not in one and "People on duty" in one
    assert str(hq_world["open_s1"].alert_id) not in client.get("/board/live?region=south").text
    south = client.get("/incidents?region=south").text
    assert "s2-" in south or ">s2<" in south
    assert "s1" not in re.sub(r"<select.*?</select>", "", south, flags=re.S).split("<table")[-1]
    assert client.get("/statistics?region=south").status_code == 200
    # a region of several long store ids is still recorded in the audit trail
    assert client.get("/sb553?region=west").status_code == 200
    assert client.get("/incidents?region=west").status_code == 200
    with hq_world["sessions"]() as session:
        viewed = session.scalars(
            select(AuditRow).where(AuditRow.username == "safety", AuditRow.action == "view")
        ).all()
    assert any(LONG_WEST[0] in (a.store or "") + a.detail for a in viewed)


def test_the_sb553_log_is_kept_per_establishment(hq_world) -> None:  # type: ignore[no-untyped-def]
    client = hq_world["client"]
    sign_in(client, "audit")
    page = client.get("/sb553")
    assert "One log per establishment" in page.text
    assert {"s1", "s2", "s3", *LONG_WEST} <= set(rows_of(page.text))
    assert "s2 (Turku)" in page.text
    assert "/sb553/export.csv?store=s2&amp;from=" in page.text
    one = client.get("/sb553?store=s2")
    assert "One log per establishment" not in one.text
    exported = client.get("/sb553/export.csv?store=s2")
    assert exported.status_code == 200, exported.text
    assert 'filename="sb553-log-s2-' in exported.headers["content-disposition"]
    records = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(records) == 1
    assert client.get("/sb553/export.pdf?store=s2").content.startswith(b"%PDF")


def test_store_managers_and_store_files_stay_at_the_store(hq_world) -> None:  # type: ignore[no-untyped-def]
    client = hq_world["client"]
    refused = sign_in(client, "mgr-a")
    assert refused.status_code == 403 and "store&#39;s console" in refused.text
    assert client.get("/board", follow_redirects=False).status_code == 303  # not signed in
    sign_in(client, "safety")
    devices = client.get("/devices")
    assert devices.status_code == 404 and "no store files" in devices.text
    cautions = client.get("/cautions")
    assert cautions.status_code == 404 and "never leave the store" in cautions.text
    assert 'href="/cautions"' not in client.get("/stores").text
    token = csrf_of(client.get("/stores").text)
    posted = client.post("/devices", data={"csrf_token": token, "action": "revoke"})
    assert posted.status_code in (403, 404)
    assert "managed on each store" in devices.text


def test_a_stores_own_console_has_no_stores_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    users(database(url))
    client = app_client(url, tmp_path)
    sign_in(client, "safety")
    board = client.get("/board")
    assert client.app.state.hq is False and 'href="/stores"' not in board.text
    assert 'id="region-filter"' not in board.text
    assert client.get("/stores").status_code == 404
    assert client.get("/devices").status_code == 200


def test_user_and_hq_store_commands_work_against_the_central_database(
    database_url: str, tmp_path: Path
) -> None:
    migrate_central(database_url)
    manager = calmdesk(tmp_path, "user", "add", "dana", "--database-url", database_url)
    assert manager.returncode == 2 and "Store managers sign in at their own" in manager.stderr
    officer = calmdesk(
        tmp_path, "user", "add", "omar", "--role", "safety_officer", "--database-url", database_url
    )
    assert officer.returncode == 0, officer.stderr
    assert "omar" in calmdesk(tmp_path, "user", "list", "--database-url", database_url).stdout
    region = ("--region", "north", "--name", "Riga", "--database-url", database_url)
    assert calmdesk(tmp_path, "hq-store", "set", "s1", *region).returncode == 0
    assert calmdesk(tmp_path, "hq-store", "set", "Bad Id", *region).returncode == 2
    listed = calmdesk(tmp_path, "hq-store", "list", "--database-url", database_url).stdout
    assert re.search(r"s1\s+north\s+Riga", listed)
    store_db = f"sqlite:///{tmp_path / 'store.db'}"
    database(store_db)
    not_hq = calmdesk(tmp_path, "hq-store", "list", "--database-url", store_db)
    assert not_hq.returncode == 2 and "not head office's" in not_hq.stderr
