"""People: the console's accounts. A store manager adds, resets and disables the accounts of
their own store; a safety officer reads every store's list."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console import audit
from console.accounts import (
    AccountError,
    add_user,
    find_user,
    new_password,
    reset_password,
    set_disabled,
)
from console.accounts import list_users as accounts_in
from console.roles import ROLE_TITLES
from console.sessions import Current
from console.web import checked_form, db, render, require, scope

router = APIRouter()
MANAGER_MAY_CREATE = ("store_manager", "auditor")


def _page(
    request: Request,
    current: Current,
    *,
    message: str = "",
    error: str = "",
    password: str = "",
    status: int = 200,
) -> Response:
    with db(request) as session:
        users = accounts_in(session, scope(current, request))
        audit.record(session, current.viewer, "view", "users", store=current.viewer.store)
    return render(
        request,
        "users.html",
        current,
        status=status,
        users=users,
        roles=[(r, ROLE_TITLES[r]) for r in MANAGER_MAY_CREATE],
        message=message,
        error=error,
        password=password,
    )


@router.get("/users")
def users_page(request: Request, current: Current = require("users")) -> Response:
    return _page(request, current)


@router.post("/users")
async def users_action(request: Request, current: Current = require("manage_users")) -> Response:
    form = await checked_form(request, current)
    viewer = current.viewer
    action = form.get("action", "")
    username = str(form.get("username", "")).strip().lower()
    try:
        with db(request) as session:
            if action == "add":
                role = form.get("role", "")
                if role not in MANAGER_MAY_CREATE:
                    raise AccountError("a store manager may add store managers and auditors")
                password = new_password()
                add_user(
                    session,
                    username,
                    display_name=form.get("display_name", ""),
                    role=role,
                    store=viewer.store,
                    password=password,
                )
                done = f"Account {username} added. Give them this password once:"
            else:
                target = find_user(session, username)
                if target is None or target.store != viewer.store:
                    raise HTTPException(status_code=404, detail="No such account in your store.")
                password = ""
                if action == "reset":
                    password = new_password()
                    reset_password(session, username, password)
                    done = f"New password for {username} (shown once):"
                elif action in ("disable", "enable"):
                    if username == viewer.username:
                        raise AccountError("you cannot disable your own account")
                    set_disabled(session, username, action == "disable")
                    done = f"Account {username} {action}d."
                else:
                    raise AccountError(f"unknown action {action!r}")
            audit.record(session, viewer, f"user_{action}", username, store=viewer.store)
    except AccountError as error:
        return _page(request, current, error=str(error), status=400)
    return _page(request, current, message=done, password=password)
