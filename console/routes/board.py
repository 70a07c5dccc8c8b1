"""The live board page, and the fragment its small script fetches every few seconds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.queries.board import board
from console.sessions import Current
from console.web import TEMPLATES, db, render, require, scope
from shared.protocol import utc_now

router = APIRouter()


def _board(request: Request, current: Current):  # type: ignore[no-untyped-def]
    stores = scope(current, request)
    known = tuple(
        stores or ((request.app.state.registry_store,) if request.app.state.registry_store else ())
    )
    with db(request) as session:
        return board(session, stores, utc_now(), known_stores=known)


@router.get("/board")
def board_page(request: Request, current: Current = require("board")) -> Response:
    return render(
        request,
        "board.html",
        current,
        board=_board(request, current),
        now=utc_now(),
        refresh=request.app.state.settings.refresh_seconds,
    )


@router.get("/board/live")
def board_live(request: Request, current: Current = require("board")) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "board_live.html", {"board": _board(request, current), "now": utc_now()}
    )
