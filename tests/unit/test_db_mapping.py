"""Wire models and ORM rows are separate; this keeps them in step."""

from __future__ import annotations

from shared.db.models import AlertRow, IncidentRow
from shared.protocol import AlertContext, IncidentReport

# wire field -> column, where the names differ on purpose
INCIDENT_RENAMES = {"device": "kiosk", "sent_at": "reported_at"}
INCIDENT_NOT_STORED = {"type", "schema_version", "caution"}  # caution is split in two columns


def test_every_incident_report_field_has_a_column() -> None:
    columns = set(IncidentRow.__table__.columns.keys())
    for field in IncidentReport.model_fields:
        if field in INCIDENT_NOT_STORED:
            continue
        assert INCIDENT_RENAMES.get(field, field) in columns, f"{field} is not stored"
    assert {"caution_description", "caution_reason", "caution_approved"} <= columns


def test_alert_row_keeps_the_context_responders_need() -> None:
    columns = set(AlertRow.__table__.columns.keys())
    assert {"level", "silent", "counter", "drill", "raised_at"} <= columns
    stored_context = set(AlertContext.model_fields) - {"step_count", "flow_started_at"}
    assert stored_context <= columns, stored_context - columns
