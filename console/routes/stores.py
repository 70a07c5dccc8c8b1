"""Head office's Stores page: the store health table (last synced, devices offline, open
alerts) and chain-wide figures, filtered by region and store; the table refreshes itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console import hq
from console.queries.chain import is_stale, summarise
from console.sessions import Current
from console.web import TEMPLATES, db, is_hq, render, require, scope
from shared.db.store_health import store_health
from shared.protocol import utc_now

router = APIRouter()


def _health(request: Request, current: Current) -> dict[str, Any]:
    if not is_hq(request):
        raise HTTPException(
            status_code=404,
            detail="The Stores page is head office's: run the console on the central database.",
        )
    stores = scope(current, request)
    now = utc_now()
    with db(request) as session:
        rows = store_health(session, now=now)
    if stores is not None:
        rows = [r for r in rows if r.store in stores]
    return {
        "rows": rows,
        "summary": summarise(rows, hq.STALE_AFTER_S),
        "stale": {r.store for r in rows if is_stale(r, hq.STALE_AFTER_S)},
        "stale_after_min": int(hq.STALE_AFTER_S // 60),
        "now": now,
    }


@router.get("/stores")
def stores_page(request: Request, current: Current = require("stores")) -> Response:
    return render(
        request,
        "stores.html",
        current,
        refresh=request.app.state.settings.refresh_seconds,
        **_health(request, current),
    )


@router.get("/stores/live")
def stores_live(request: Request, current: Current = require("stores")) -> Response:
    context = {**_health(request, current), "filter_query": request.url.query}
    return TEMPLATES.TemplateResponse(request, "stores_live.html", context)
