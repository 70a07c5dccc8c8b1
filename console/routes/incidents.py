"""The incident log with its filters, and one alert's timeline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console import audit
from console.queries.incident_log import LogFilters, distinct_values, incident_log, timeline
from console.sessions import Current
from console.web import db, guard_store, render, require, scope

router = APIRouter()


@router.get("/incidents")
def log_page(request: Request, current: Current = require("incidents")) -> Response:
    stores = scope(current, request)
    filters = LogFilters.parse(dict(request.query_params))
    with db(request) as session:
        entries = incident_log(session, stores, filters)
        choices = distinct_values(session, stores)
    return render(request, "incidents.html", current, entries=entries, f=filters, **choices)


@router.get("/alerts/{alert_id}")
def timeline_page(
    alert_id: str, request: Request, current: Current = require("timeline")
) -> Response:
    try:
        key = uuid.UUID(alert_id)
    except ValueError:
        raise HTTPException(status_code=404, detail="No such alert.") from None
    with db(request) as session:
        alert, steps = timeline(session, key)
        if alert is None:
            raise HTTPException(status_code=404, detail="No such record.")
        guard_store(current, alert.store)
        audit.record(session, current.viewer, "view", f"timeline {alert_id}", store=alert.store)
    return render(request, "timeline.html", current, alert=alert, steps=steps)
