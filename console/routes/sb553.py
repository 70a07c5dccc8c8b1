"""The SB 553 violent-incident log: view for a period and establishment, export CSV and PDF."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import audit, hq
from console.pdf import log_pdf
from console.queries import sb553 as q
from console.sessions import Current
from console.web import db, is_hq, known_stores, render, require, scope

router = APIRouter()


def _registry_names(request: Request) -> set[str]:
    from broker.registry import Registry
    from shared.settings import ConfigError

    try:
        registry = Registry.load(request.app.state.settings.data_dir / "registry.json")
    except (ConfigError, OSError):
        return set()
    return {d.display_name for d in registry.devices if d.role in ("manager", "security")}


def _period(request: Request) -> tuple[date, date]:
    params = request.query_params
    try:
        end = date.fromisoformat(params["to"]) if params.get("to") else date.today()
        start = (
            date.fromisoformat(params["from"]) if params.get("from") else end - timedelta(days=365)
        )
    except ValueError:
        raise HTTPException(status_code=400, detail="Give dates as YYYY-MM-DD.") from None
    if start > end:
        raise HTTPException(status_code=400, detail="The period starts after it ends.")
    return start, end


@router.get("/sb553")
def log_page(request: Request, current: Current = require("sb553")) -> Response:
    stores = scope(current, request)
    start, end = _period(request)
    with db(request) as session:
        records = q.log_records(session, stores, start, end)
        names = q.known_names(session, stores, _registry_names(request))
        audit.record(
            session,
            current.viewer,
            "view",
            f"sb553 log {start}..{end}",
            store=",".join(stores) if stores else None,
        )
        establishments = _establishments(request, current, session, stores)
    problems: list[str] = []
    try:
        q.check_pii(records, names)
    except q.PiiFound as found:
        problems = found.problems
    return render(
        request,
        "sb553.html",
        current,
        records=records,
        start=start,
        end=end,
        problems=problems,
        columns=q.COLUMNS,
        query=request.url.query,
        establishments=establishments,
        period_query=urlencode({"from": start.isoformat(), "to": end.isoformat()}),
    )


def _establishments(
    request: Request, current: Current, session: Session, stores: tuple[str, ...] | None
) -> list[tuple[str, str]]:
    """At head office, across several stores: (store, label) for one export per establishment
    (SB 553 keeps a log per establishment)."""
    if not is_hq(request) or (stores is not None and len(stores) <= 1):
        return []
    chosen = stores if stores is not None else known_stores(session, current.viewer, True)
    names = hq.store_names(session)
    return [(s, hq.establishment(s, names)) for s in chosen]


def _establishment_label(request: Request, stores: tuple[str, ...] | None) -> str:
    if not stores:
        return "all stores"
    if is_hq(request):
        with db(request) as session:
            names = hq.store_names(session)
        return ", ".join(hq.establishment(s, names) for s in stores)
    return ", ".join(stores)


@router.get("/sb553/export.{kind}")
def export(kind: str, request: Request, current: Current = require("sb553")) -> Response:
    if kind not in ("csv", "pdf"):
        raise HTTPException(status_code=404, detail="Export as csv or pdf.")
    stores = scope(current, request)
    start, end = _period(request)
    establishment = _establishment_label(request, stores)
    with db(request) as session:
        records = q.log_records(session, stores, start, end)
        names = q.known_names(session, stores, _registry_names(request))
        try:
            q.check_pii(records, names)
        except q.PiiFound as found:
            audit.record(
                session,
                current.viewer,
                "export_refused",
                f"sb553 {kind} {start}..{end}",
                store=",".join(stores) if stores else None,
                detail=str(found),
            )
            refused = found
        else:
            refused = None
            audit.record(
                session,
                current.viewer,
                "export",
                f"sb553 {kind} {start}..{end}",
                store=",".join(stores) if stores else None,
                detail=f"{len(records)} records",
            )
    if refused is not None:
        return render(
            request,
            "sb553.html",
            current,
            status=409,
            records=records,
            start=start,
            end=end,
            problems=refused.problems,
            columns=q.COLUMNS,
            query=request.url.query,
            refused=True,
        )
    name = f"sb553-log-{'_'.join(stores) if stores else 'all_stores'}-{start}-{end}"
    if kind == "csv":
        body, media = q.to_csv(records), "text/csv; charset=utf-8"
    else:
        body = log_pdf(records, establishment=establishment, start=start, end=end)
        media = "application/pdf"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )
