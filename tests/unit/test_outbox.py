"""The durable outbox: stored before sending, removed only on proof, never silently dropped."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from shared.outbox import MAX_ATTEMPTS, Outbox, OutboxError


def test_entries_survive_reopening_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    ids = [uuid.uuid4() for _ in range(3)]
    box = Outbox(path)
    for n, event_id in enumerate(ids):
        assert box.put(event_id, f"t/{n}", b"p")
    box.close()
    assert [e.event_id for e in Outbox(path).entries()] == ids


def test_same_event_is_stored_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    event_id = uuid.uuid4()
    assert box.put(event_id, "t", b"p")
    assert not box.put(event_id, "t", b"p")
    assert box.count() == 1


def test_broker_ack_removes_plain_messages_but_keeps_those_awaiting_a_receipt(
    tmp_path: Path,
) -> None:
    box = Outbox(tmp_path / "o.db")
    alert, report = uuid.uuid4(), uuid.uuid4()
    box.put(alert, "t", b"a")
    box.put(report, "t", b"r", needs_receipt=True)
    box.broker_accepted(alert)
    box.broker_accepted(report)
    assert [(e.event_id, e.state) for e in box.entries()] == [(report, "awaiting")]
    assert box.receipt(report)
    assert box.entries() == []


def test_unfixable_rejection_moves_the_entry_aside_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = Outbox(tmp_path / "o.db")
    event_id = uuid.uuid4()
    box.put(event_id, "t", b"p")
    assert box.broker_rejected(event_id, "Not authorized", retryable=False) == "dead"
    assert box.entries() == []
    assert [e.last_error for e in box.entries("dead")] == ["Not authorized"]
    assert "moved aside" in caplog.text


def test_retryable_rejections_give_up_after_a_bounded_number_of_attempts(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    event_id = uuid.uuid4()
    box.put(event_id, "t", b"p")
    states = [
        box.broker_rejected(event_id, "Quota exceeded", retryable=True) for _ in range(MAX_ATTEMPTS)
    ]
    assert states[:-1] == ["pending"] * (MAX_ATTEMPTS - 1) and states[-1] == "dead"


def test_an_unwritable_outbox_fails_loudly_before_anything_is_claimed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    box._db.execute("PRAGMA query_only = ON")  # stands in for a full or read-only disk
    with pytest.raises(OutboxError, match="outbox"):
        box.put(uuid.uuid4(), "t", b"p")
