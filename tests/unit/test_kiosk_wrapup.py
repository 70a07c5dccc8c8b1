"""Wrap-up form → IncidentReport: validation, SB 553 fields, no personal information."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.wrapup import WrapUp, WrapUpError, looks_personal
from shared.protocol import IncidentReport, decode, encode

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def form(**fields: object) -> WrapUp:
    base: dict[str, object] = {
        "store": "s1",
        "device": "kiosk-1",
        "counter": "Counter 1",
        "situation": "angry",
        "steps_reached": 3,
        "started_at": T0,
    }
    base.update(fields)
    return WrapUp(**base)  # type: ignore[arg-type]


def test_outcome_is_required() -> None:
    with pytest.raises(WrapUpError) as error:
        form().to_report(T0)
    assert error.value.key == "kiosk.wrapup.error_outcome"


def test_full_report_carries_sb553_fields_follow_up_and_round_trips() -> None:
    alert_id = uuid.uuid4()
    report = form(
        alert_id=alert_id,
        outcome="security_removed",
        violence_type="threat",
        perpetrator="stranger",
        alone_or_unable_to_get_help=True,
        injuries=False,
        notes="Threatened to come back.",
        follow_up=True,
        follow_up_in="tomorrow",
        drill=True,
    ).to_report(T0)
    assert isinstance(report, IncidentReport)
    assert report.alert_id == alert_id and report.violence_type == "threat"
    assert report.perpetrator == "stranger"
    assert form(outcome="customer_left").to_report(T0).perpetrator == "customer"  # the default
    assert report.alone_or_unable_to_get_help and report.completed_by_role == "staff"
    assert report.follow_up_due == T0 + timedelta(hours=24) and report.drill
    assert report.steps_reached == 3 and report.counter == "Counter 1"
    assert decode(encode(report)) == report


def test_near_miss_has_no_alert() -> None:
    report = form(outcome="resolved_on_spot", near_miss=True).to_report(T0)
    assert report.near_miss and report.alert_id is None and report.follow_up_due is None


def test_caution_needs_both_fields_and_carries_only_description_and_reason() -> None:
    with pytest.raises(WrapUpError) as error:
        form(outcome="customer_left", caution=True, caution_description="Shouted").to_report(T0)
    assert error.value.key == "kiosk.wrapup.error_caution"
    report = form(
        outcome="customer_left",
        caution=True,
        caution_description="Shouted at staff",
        caution_reason="Repeated abuse",
    ).to_report(T0)
    assert report.caution is not None and report.caution.reason == "Repeated abuse"


@pytest.mark.parametrize("text", ["call me on +358 40 123 4567", "mail jo@example.com"])
def test_personal_details_in_free_text_are_refused(text: str) -> None:
    assert looks_personal(text)
    with pytest.raises(WrapUpError) as error:
        form(outcome="customer_left", notes=text).to_report(T0)
    assert error.value.key == "kiosk.wrapup.error_personal"


def test_ordinary_text_with_small_numbers_is_fine() -> None:
    assert not looks_personal("Waited 20 min at till 3, refund of 15 EUR")
