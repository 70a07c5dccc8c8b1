"""Devices and settings: provision (one-time password + QR code of the device file), rotate,
revoke; the emergency number, escalation ladders and retention. Changes are for the store
manager of the store this console's hub serves; everyone else with access reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from console import audit
from console import store_admin as admin
from console.queries.board import device_statuses
from console.sessions import Current
from console.web import checked_form, db, refuse_at_hq, render, require, scope
from shared.alerts.policy import DEFAULT_LADDERS
from shared.settings import ConfigError

router = APIRouter()
DEVICE_ROLES = ("kiosk", "manager", "security", "monitor")


def _page(request: Request, current: Current, status: int = 200, **extra: Any) -> Response:
    extra.setdefault("ladders_draft", None)
    data_dir = request.app.state.settings.data_dir
    try:
        registry = admin.load_registry(data_dir)
    except ConfigError:
        registry = None
    with db(request) as session:
        statuses = {
            (d.store, d.device): d for d in device_statuses(session, scope(current, request))
        }
    store = registry.store if registry else None
    ladders_path = admin.ladder_file(data_dir, store) if store else None
    ladders = (
        ladders_path.read_text(encoding="utf-8")
        if ladders_path and ladders_path.exists()
        else "# Override the default ladders here (same layout as the defaults below).\n"
    )
    return render(
        request,
        "devices.html",
        current,
        status=status,
        registry=registry,
        statuses=statuses,
        manages=bool(
            registry
            and current.viewer.may("manage_devices")
            and current.viewer.store == registry.store
        ),
        roles=DEVICE_ROLES,
        ladders=ladders,
        default_ladders=DEFAULT_LADDERS.read_text(encoding="utf-8"),
        retention=admin.load_retention(data_dir),
        hide_store_filter=True,
        **extra,
    )


@router.get("/devices")
def devices_page(request: Request, current: Current = require("devices")) -> Response:
    refuse_at_hq(request)
    return _page(request, current)


@router.post("/devices")
async def devices_action(
    request: Request, current: Current = require("manage_devices")
) -> Response:
    refuse_at_hq(request)
    form = await checked_form(request, current)
    data_dir = request.app.state.settings.data_dir
    viewer = current.viewer
    try:
        registry = admin.load_registry(data_dir)
    except ConfigError:
        raise HTTPException(
            status_code=404, detail="This console runs without a store hub."
        ) from None
    if viewer.store != registry.store:
        raise HTTPException(
            status_code=403, detail="Only this store's manager changes its devices."
        )
    action = form.get("action", "")
    device_id = str(form.get("device", "")).strip()
    extra: dict[str, Any] = {}
    try:
        if action in ("provision", "rotate"):
            done = admin.provision_device(
                data_dir,
                device_id,
                form.get("role", ""),
                form.get("name", ""),
                form.get("counter", ""),
            )
            extra = {
                "provisioned": done,
                "qr": Markup(admin.device_file_qr(done.file)),  # noqa: S704 (segno's own SVG)
                "message": f"{device_id}: new password and device file",
            }
        elif action == "revoke":
            admin.revoke_device(data_dir, device_id)
            extra = {"message": f"{device_id} revoked: it can no longer connect"}
        elif action == "emergency":
            admin.set_emergency_number(data_dir, form.get("emergency_number", ""))
            extra = {"message": "Emergency number saved; devices get it when next provisioned."}
        elif action == "ladders":
            admin.save_ladders(data_dir, registry.store, form.get("ladders", ""))
            extra = {
                "message": "Ladders validated and saved; the hub uses them from its next start."
            }
        elif action == "retention":
            admin.save_retention(
                data_dir,
                incident_years=form.get("incident_years", ""),
                caution_days=form.get("caution_days", ""),
                presence_days=form.get("presence_days", ""),
            )
            extra = {"message": "Retention saved; the daily purge follows it."}
        else:
            raise admin.AdminError(f"unknown action {action!r}")
    except admin.AdminError as error:
        return _page(
            request,
            current,
            status=400,
            error=str(error),
            ladders_draft=form.get("ladders") if action == "ladders" else None,
        )
    with db(request) as session:
        audit.record(
            session,
            viewer,
            f"device_{action}" if device_id else f"settings_{action}",
            device_id or action,
            store=viewer.store,
        )
    return _page(request, current, **extra)
