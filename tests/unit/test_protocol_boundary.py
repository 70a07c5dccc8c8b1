"""Issue 9 cases 7 and 8 at the protocol boundary: strict schema version, bounded timestamps,
no control characters in text (the same refusal whatever database is behind)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.alerts.driver import SteadyClock, received_at
from shared.protocol import AlertRaised, IncidentReport, ProtocolError, decode, encode


def report_json(**fields: object) -> dict[str, object]:
    base: dict[str, object] = json.loads(
        encode(
            IncidentReport(
                store="s1",
                device="kiosk-1",
                incident_id=uuid.uuid4(),
                counter="Counter 1",
                outcome="customer_left",
            )
        )
    )
    base.update(fields)
    return base


def decode_json(data: dict[str, object]) -> object:
    return decode(json.dumps(data).encode())


@pytest.mark.parametrize("version", [1.0, True, 2, "1", 0])
def test_schema_version_must_be_the_integer_1(version: object) -> None:
    with pytest.raises(ProtocolError, match="schema_version"):
        decode_json(report_json(schema_version=version))
    assert decode_json(report_json(schema_version=1))


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_years_1_and_9999_are_refused(stamp: str) -> None:
    with pytest.raises(ProtocolError, match=r"sent_at: .*outside 1970\.\.2199"):
        decode_json(report_json(sent_at=stamp))
    with pytest.raises(ProtocolError, match="follow_up_due"):
        decode_json(report_json(follow_up_due=stamp))


def test_a_reset_clock_is_still_heard() -> None:
    assert decode_json(report_json(sent_at="1970-01-01T00:00:05Z"))


@pytest.mark.parametrize("char", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085"])
def test_control_characters_are_refused_in_notes_and_names(char: str) -> None:
    with pytest.raises(ProtocolError, match=f"notes: .*U\\+{ord(char):04X}"):
        decode_json(report_json(notes=f"before{char}after"))
    with pytest.raises(ProtocolError, match="counter"):
        decode_json(report_json(counter=f"Counter{char}1"))


def test_a_lone_surrogate_is_refused() -> None:
    payload = json.dumps(report_json()).replace('"notes": ""', '"notes": "a\\ud800b"')
    with pytest.raises(ProtocolError, match="invalid message"):  # by the JSON parser itself
        decode(payload.encode())


def test_newlines_and_tabs_are_fine_in_notes_but_not_in_a_one_line_field() -> None:
    report = decode_json(report_json(notes="line one\n\tline two\r\nthree"))
    assert isinstance(report, IncidentReport) and "\t" in report.notes
    with pytest.raises(ProtocolError, match="counter"):
        decode_json(report_json(counter="Counter\n1"))


def test_a_timer_never_sees_a_message_from_its_future() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    ahead = AlertRaised(
        store="s", device="k", level="manager", counter="c", sent_at=now + timedelta(minutes=4)
    )
    assert received_at(ahead, now).sent_at == now
    behind = ahead.model_copy(update={"sent_at": now - timedelta(hours=1)})
    assert received_at(behind, now) is behind


def test_the_steady_clock_moves_with_the_monotonic_clock_not_the_wall() -> None:
    wall = [datetime(2026, 12, 1, tzinfo=UTC)]
    clock = SteadyClock(lambda: wall[0])
    first = clock()
    wall[0] -= timedelta(days=1)  # an NTP step or an operator: ignored after the start
    second = clock()
    assert timedelta(0) <= second - first < timedelta(seconds=1)
