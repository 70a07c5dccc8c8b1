"""Caution notes: the manager's review (approve, or reject which erases), expiry, erasure
requests and holds. Every view is written to the audit trail with the notes shown."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from broker.cautions import CautionError, approved_cautions, decide_caution, pending_cautions
from console import audit
from console.queries.retention import HOLD_KINDS, open_holds, request_erasure, set_hold
from console.sessions import Current
from console.store_admin import load_retention
from console.web import (
    checked_form,
    db,
    known_stores,
    refuse_at_hq,
    render,
    require,
    scope,
)
from shared.db.models import IncidentRow
from shared.protocol import utc_now

router = APIRouter()


@router.get("/cautions")
def cautions_page(request: Request, current: Current = require("cautions")) -> Response:
    refuse_at_hq(request)
    expiry = timedelta(days=load_retention(request.app.state.settings.data_dir).caution_days)
    now = utc_now()
    stores = scope(current, request)
    with db(request) as session:
        names = list(stores) if stores is not None else known_stores(session, current.viewer)
        pending, approved, holds = [], [], {}
        for store in names:
            pending += [(store, c) for c in pending_cautions(session, store)]
            approved += [
                (store, c, c.decided_at + expiry)
                for c in approved_cautions(session, store)
                if c.decided_at is None or c.decided_at + expiry > now
            ]
        for _, c, *_ in [*pending, *approved]:
            holds[c.number] = [HOLD_KINDS[h.kind] for h in open_holds(session, c.number)]
        shown = ",".join(str(c.number) for _, c, *_ in [*pending, *approved]) or "none"
        audit.record(
            session,
            current.viewer,
            "view",
            "caution notes",
            store=",".join(stores) if stores else None,
            detail=f"notes shown: {shown}",
        )
    return render(
        request,
        "cautions.html",
        current,
        pending=pending,
        approved=approved,
        holds=holds,
        hold_kinds=HOLD_KINDS,
        expiry_days=expiry.days,
        message=request.query_params.get("done", ""),
    )


@router.post("/cautions/{number}")
async def decide(
    number: int, request: Request, current: Current = require("decide_cautions")
) -> Response:
    refuse_at_hq(request)
    form = await checked_form(request, current)
    action = form.get("action", "")
    viewer = current.viewer
    store = viewer.store or ""
    with db(request) as session:
        row = session.get(IncidentRow, number)
        if row is None or row.store != store:
            raise HTTPException(status_code=404, detail="No such caution note in your store.")
        try:
            if action in ("approve", "reject"):
                decide_caution(
                    session, store, number, approve=action == "approve", manager=viewer.display_name
                )
                verdict = "approved" if action == "approve" else "rejected and erased"
                done = f"caution #{number} {verdict}"
            elif action == "erase":
                _, done = request_erasure(session, number, viewer.username, utc_now())
            elif action.startswith(("hold:", "release:")):
                verb, kind = action.split(":", 1)
                set_hold(session, number, kind, viewer.username, utc_now(), open_it=verb == "hold")
                state = "opened" if verb == "hold" else "closed"
                done = f"{HOLD_KINDS.get(kind, kind)} {state} on #{number}"
            else:
                raise HTTPException(status_code=400, detail="Unknown action.")
        except (CautionError, ValueError) as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        audit.record(
            session, viewer, f"caution_{action.split(':')[0]}", f"caution {number}", store=store
        )
    return RedirectResponse(f"/cautions?done={quote(done)}", status_code=303)
