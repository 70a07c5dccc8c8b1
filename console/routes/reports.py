"""One incident's record: the employee's wrap-up, the manager's completion, follow-up tasks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console import audit
from console import sb553_fields as F
from console.queries import reports as q
from console.sessions import Current
from console.web import checked_form, db, guard_store, render, require

router = APIRouter()


def _load(session: Any, current: Current, row_id: int) -> tuple[Any, Any]:
    incident, review = q.report(session, row_id)
    if incident is None:
        raise HTTPException(status_code=404, detail="No such record.")
    guard_store(current, incident.store)
    return incident, review


def _page(
    request: Request,
    current: Current,
    row_id: int,
    *,
    error: str = "",
    form: dict[str, Any] | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    with db(request) as session:
        incident, review = _load(session, current, row_id)
        values = form or (q.values_of(review) if review else q.defaults(incident))
        task_list = q.tasks(session, None, incident_row_id=incident.id)
        audit.record(session, current.viewer, "view", f"report {row_id}", store=incident.store)
    return render(
        request,
        "report.html",
        current,
        status=status,
        incident=incident,
        review=review,
        v=values,
        tasks=task_list,
        error=error,
        saved=saved,
        F=F,
        hide_store_filter=True,
    )


@router.get("/reports/{row_id}")
def report_page(row_id: int, request: Request, current: Current = require("incidents")) -> Response:
    return _page(request, current, row_id, saved=request.query_params.get("saved") == "1")


@router.post("/reports/{row_id}")
async def complete_report(
    row_id: int, request: Request, current: Current = require("complete_report")
) -> Response:
    form = await checked_form(request, current)
    try:
        data = q.Completion.from_form(form)
        with db(request) as session:
            incident, _ = _load(session, current, row_id)
            q.complete(session, incident, data)
            audit.record(
                session, current.viewer, "complete_report", f"report {row_id}", store=incident.store
            )
    except q.ReportError as error:
        shown = {
            **form,
            "circumstances": _list(form, "circumstances"),
            "incident_types": _list(form, "incident_types"),
        }
        for key in ("in_log", "security_contacted", "police_contacted", "injuries"):
            shown[key] = form.get(key) == "yes"
        return _page(request, current, row_id, error=str(error), form=shown, status=400)
    return RedirectResponse(f"/reports/{row_id}?saved=1", status_code=303)


def _list(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key, [])
    return value if isinstance(value, list) else [value]


@router.post("/reports/{row_id}/tasks")
async def add_task(
    row_id: int, request: Request, current: Current = require("follow_ups")
) -> Response:
    form = await checked_form(request, current)
    try:
        with db(request) as session:
            incident, _ = _load(session, current, row_id)
            task = q.add_task(
                session,
                incident,
                title=form.get("title", ""),
                owner=form.get("owner", ""),
                due=form.get("due", ""),
                by=current.viewer.username,
            )
            audit.record(
                session, current.viewer, "add_task", f"task {task.id}", store=incident.store
            )
    except q.ReportError as error:
        return _page(request, current, row_id, error=str(error), status=400)
    return RedirectResponse(f"/reports/{row_id}#tasks", status_code=303)


@router.post("/tasks/{task_id}/close")
async def close_task(
    task_id: int, request: Request, current: Current = require("follow_ups")
) -> Response:
    form = await checked_form(request, current)
    back = form.get("back", "/tasks")
    back = (
        back
        if isinstance(back, str) and back.startswith("/") and not back.startswith("//")
        else "/tasks"
    )
    try:
        with db(request) as session:
            q.close_task(
                session,
                task_id,
                current.viewer.store or "",
                note=form.get("note", ""),
                by=current.viewer.username,
            )
            audit.record(
                session, current.viewer, "close_task", f"task {task_id}", store=current.viewer.store
            )
    except q.ReportError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    return RedirectResponse(back, status_code=303)


@router.get("/tasks")
def task_page(request: Request, current: Current = require("incidents")) -> Response:
    from console.web import scope

    with db(request) as session:
        task_list = q.tasks(session, scope(current, request), open_only=False)
    return render(request, "tasks.html", current, tasks=task_list)
