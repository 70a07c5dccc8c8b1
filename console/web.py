"""What every page shares: who is signed in, the CSRF check, the store filter and rendering."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from console import hq, sessions
from console.roles import ROLE_TITLES, Viewer
from console.sessions import Current
from shared.db.models import AlertRow, ConsoleUserRow, IncidentRow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

NAV: tuple[tuple[str, str, str], ...] = (
    ("/stores", "Stores", "stores"),
    ("/board", "Live board", "board"),
    ("/incidents", "Incident log", "incidents"),
    ("/sb553", "SB 553 log", "sb553"),
    ("/statistics", "Statistics", "statistics"),
    ("/cautions", "Caution notes", "cautions"),
    ("/devices", "Devices and settings", "devices"),
    ("/users", "People", "users"),
    ("/audit", "Audit trail", "audit"),
)


class NeedLogin(Exception):
    """No valid session: the handler sends the browser to the sign-in page."""


@contextmanager
def db(request: Request) -> Iterator[Session]:
    """One transaction, committed when the block ends without an error."""
    with request.app.state.sessions.begin() as session:
        yield session


def require(permission: str | None = None) -> Any:
    """A dependency: the signed-in viewer, allowed ``permission``; otherwise sign-in or 403."""

    def dependency(request: Request) -> Current:
        with db(request) as session:
            found = sessions.current(session, request.cookies.get(sessions.COOKIE))
        if found is None:
            raise NeedLogin()
        if permission is not None and not found.viewer.may(permission):
            raise HTTPException(status_code=403, detail="Your role may not open this page.")
        request.state.current = found
        return found

    return Depends(dependency)


async def checked_form(request: Request, current: Current) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    if not sessions.csrf_ok(current.csrf_token, _text(form.get("csrf_token"))):
        raise HTTPException(status_code=403, detail="The form's security token is missing or old.")
    out: dict[str, Any] = {}
    for key in form:
        values = [_text(v) for v in form.getlist(key)]
        out[key] = values if len(values) > 1 else values[0]
    return out


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def known_stores(session: Session, viewer: Viewer, central: bool = False) -> list[str]:
    """Every store the viewer may pick in the store filter (at head office, also every store
    registered or syncing, before it has any alert)."""
    if not viewer.all_stores:
        return [viewer.store or ""]
    query = union(
        select(AlertRow.store),
        select(IncidentRow.store),
        select(ConsoleUserRow.store).where(ConsoleUserRow.store.is_not(None)),
    )
    stores = {row[0] for row in session.execute(query)}
    if central:
        stores |= hq.central_stores(session)
    return sorted(s for s in stores if s)


def is_hq(request: Request) -> bool:
    return bool(getattr(request.app.state, "hq", False))


def nav_for(viewer: Viewer, central: bool) -> list[tuple[str, str]]:
    """The menu: what the viewer may open; at head office without the store-only pages, and
    the Stores page only there."""
    shown = []
    for href, label, perm in NAV:
        if not viewer.may(perm):
            continue
        if central and perm in hq.STORE_ONLY_PAGES:
            continue
        if not central and perm == "stores":
            continue
        shown.append((href, label))
    return shown


def filter_query(request: Request) -> str:
    """The store and region filters of this request, as a query string for links."""
    kept = {k: request.query_params[k] for k in ("store", "region") if request.query_params.get(k)}
    return urlencode(kept)


def render(
    request: Request, template: str, current: Current, status: int = 200, **context: Any
) -> Any:
    viewer = current.viewer
    central = is_hq(request)
    with db(request) as session:
        stores = known_stores(session, viewer, central)
        regions = hq.regions(session) if central and viewer.all_stores else []
    store_setting = request.app.state.registry_store
    if viewer.all_stores and store_setting and store_setting not in stores:
        stores = sorted([*stores, store_setting])
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "role_title": ROLE_TITLES.get(viewer.role, viewer.role),
            "csrf_token": current.csrf_token,
            "nav": nav_for(viewer, central),
            "stores": stores,
            "store_filter": request.query_params.get("store", ""),
            "hq": central,
            "regions": regions,
            "region_filter": request.query_params.get("region", "") if central else "",
            "filter_query": filter_query(request),
            "path": request.url.path,
            **context,
        },
        status_code=status,
    )


def scope(current: Current, request: Request) -> tuple[str, ...] | None:
    """The stores this request reads (the store filter, and at head office the region filter,
    within what the viewer may see)."""
    requested = request.query_params.get("store") or None
    if requested and not current.viewer.sees_store(requested):
        raise HTTPException(status_code=403, detail="You may not read that store.")
    stores = current.viewer.stores(requested)
    region = request.query_params.get("region") or None
    if region is None or not is_hq(request) or not current.viewer.all_stores:
        return stores
    with db(request) as session:
        in_region = hq.stores_in_region(session, region)
    return in_region if stores is None else tuple(s for s in stores if s in in_region)


def refuse_at_hq(request: Request) -> None:
    """Pages that need the store's own files answer head office with the reason."""
    if is_hq(request):
        raise HTTPException(status_code=404, detail=hq.STORE_ONLY_REFUSAL)


def guard_store(current: Current, store: str) -> None:
    """A record of another store is answered like a missing one (no hint that it exists)."""
    if not current.viewer.sees_store(store):
        raise HTTPException(status_code=404, detail="No such record.")


Handler = Callable[..., Any]
