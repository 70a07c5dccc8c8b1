"""Sign in and out. The sign-in form carries its own CSRF token (a cookie and a hidden field
that must match), since there is no session yet to hold one."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console import audit, sessions
from console.accounts import sign_in
from console.hq import HQ_ROLES, STORE_MANAGER_REFUSAL
from console.sessions import Current
from console.web import TEMPLATES, db, is_hq, require

router = APIRouter()
log = logging.getLogger(__name__)
LOGIN_CSRF = "calmdesk_login_csrf"
SIGN_IN_FAILED = "Wrong username or password, or the account is locked or disabled."


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=request.app.state.settings.secure_cookies,
        samesite="strict",
        path="/",
    )


def _login_page(request: Request, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "error": error, "hq": is_hq(request)},
        status_code=status,
    )
    _cookie(response, request, LOGIN_CSRF, token)
    return response


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/stores" if is_hq(request) else "/board", status_code=303)


def _landing(request: Request, role: str) -> str:
    if role == "auditor":
        return "/sb553"
    return "/stores" if is_hq(request) else "/board"


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    given = form.get("csrf_token")
    if not sessions.csrf_ok(
        request.cookies.get(LOGIN_CSRF, ""), given if isinstance(given, str) else ""
    ):
        raise HTTPException(status_code=403, detail="The form's security token is missing or old.")
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:1024]
    with db(request) as session:
        result = sign_in(session, username, password)
        if result.viewer is not None and is_hq(request) and result.viewer.role not in HQ_ROLES:
            audit.record(session, result.viewer, "sign_in_refused", "console", detail="head office")
            return _login_page(request, STORE_MANAGER_REFUSAL, status=403)
        if result.viewer is None:
            audit.record(
                session, username or "?", "sign_in_failed", "console", detail=result.reason
            )
            log.info("console sign-in failed for %r: %s", username, result.reason)
        else:
            token = sessions.open_session(session, result.viewer.user_id)
            audit.record(session, result.viewer, "sign_in", "console", store=result.viewer.store)
    if result.viewer is None:
        return _login_page(request, SIGN_IN_FAILED, status=401)
    response = RedirectResponse(_landing(request, result.viewer.role), status_code=303)
    _cookie(response, request, sessions.COOKIE, token)
    response.delete_cookie(LOGIN_CSRF, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, current: Current = require()) -> Response:
    from console.web import checked_form

    await checked_form(request, current)
    with db(request) as session:
        sessions.close_session(session, request.cookies.get(sessions.COOKIE))
        audit.record(session, current.viewer, "sign_out", "console", store=current.viewer.store)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
