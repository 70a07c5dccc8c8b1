"""The console's web application: FastAPI, Jinja2 pages, one router per page."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from console import hq, purge_timer
from console.config import ConsoleSettings
from console.routes import (
    audit_page,
    board,
    cautions,
    devices,
    incidents,
    login,
    reports,
    sb553,
    statistics,
    stores,
    users,
)
from console.web import TEMPLATES, NeedLogin
from shared.db.central import migrate_central
from shared.db.engine import make_engine, migrate, session_factory

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}


def _registry_store(data_dir: Path) -> str | None:
    from broker.registry import Registry
    from shared.settings import ConfigError

    try:
        return Registry.load(data_dir / "registry.json").store
    except (ConfigError, OSError):
        return None


def create_app(settings: ConsoleSettings) -> FastAPI:
    """Build the app on ``settings``' database (migrated to the newest schema first).

    On the chain's central database (or with ``settings.hq``) it is head office's console."""
    if settings.hq:
        migrate_central(settings.database_url)
    else:
        migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    stop_purge = threading.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        purge_timer.start(app.state.sessions, settings.data_dir, stop_purge)
        yield
        stop_purge.set()
        engine.dispose()

    app = FastAPI(
        title="CalmDesk console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.hq = settings.hq or hq.is_central(engine)
    app.state.registry_store = None if app.state.hq else _registry_store(settings.data_dir)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), "static")
    for module in (
        login,
        board,
        incidents,
        reports,
        sb553,
        statistics,
        cautions,
        devices,
        users,
        audit_page,
        stores,
    ):
        app.include_router(module.router)

    @app.exception_handler(NeedLogin)
    async def _to_login(request: Request, _error: NeedLogin) -> Response:
        response = RedirectResponse("/login", status_code=303)
        if request.headers.get("x-calmdesk-live"):
            response = Response(status_code=401, headers={"X-Calmdesk-Login": "/login"})
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _error_page(request: Request, error: HTTPException) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"status": error.status_code, "detail": error.detail},
            status_code=error.status_code,
        )

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
