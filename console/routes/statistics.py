"""Statistics with pictures: weekly alerts, time to acknowledge, the hour × weekday heat map,
near misses against escalations per situation, and drill results."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import charts
from console.queries.statistics import WEEKDAYS, statistics
from console.sessions import Current
from console.web import db, render, require, scope
from shared.protocol import utc_now

router = APIRouter()
PERIODS = {"90": 90, "365": 365, "1825": 1825}


@router.get("/statistics")
def statistics_page(request: Request, current: Current = require("statistics")) -> Response:
    days = PERIODS.get(request.query_params.get("days", "90"), 90)
    with db(request) as session:
        stats = statistics(session, scope(current, request), utc_now() - timedelta(days=days))
    weeks = [w.strftime("%d %b") for w in stats.weeks]
    pictures = {
        "level": charts.bar_chart("Alerts per week by level", weeks, stats.per_week_level),
        "situation": charts.bar_chart(
            "Alerts per week by situation",
            weeks,
            {k.replace("_", " "): v for k, v in stats.per_week_situation.items()},
        ),
        "ack": charts.line_chart(
            "Seconds to acknowledge per week",
            weeks,
            {"median (p50)": stats.ack_p50, "slowest tenth (p90)": stats.ack_p90},
            "seconds",
        ),
        "heat": charts.heat_map("Alerts by weekday and hour (UTC)", list(WEEKDAYS), stats.heat),
        "outcomes": charts.bar_chart(
            "Near misses and escalations per situation",
            [s.situation.replace("_", " ") for s in stats.situations],
            {
                "calmed without help": [s.near_misses for s in stats.situations],
                "help called": [s.escalations for s in stats.situations],
            },
        ),
    }
    return render(
        request,
        "statistics.html",
        current,
        stats=stats,
        pictures=pictures,
        weeks=weeks,
        days=days,
    )
