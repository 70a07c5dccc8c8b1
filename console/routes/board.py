"""The live board page, and the fragment its small script fetches every few seconds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.queries.board import Board, board, open_alerts
from console.sessions import Current
from console.web import TEMPLATES, db, is_hq, render, require, scope
from shared.protocol import utc_now

router = APIRouter()


def _board(request: Request, current: Current):  # type: ignore[no-untyped-def]
    stores = scope(current, request)
    known = tuple(
        stores or ((request.app.state.registry_store,) if request.app.state.registry_store else ())
    )
    with db(request) as session:
        if per_store_devices(request, stores):
            return Board(tuple(open_alerts(session, stores, utc_now())), (), (), ())
        return board(session, stores, utc_now(), known_stores=known)


def per_store_devices(request: Request, stores: tuple[str, ...] | None) -> bool:
    """At head office, devices and rotas are shown one store at a time: across a chain they
    would be thousands of rows (and a warning for every closed store at night)."""
    return is_hq(request) and (stores is None or len(stores) > 1)


@router.get("/board")
def board_page(request: Request, current: Current = require("board")) -> Response:
    return render(
        request,
        "board.html",
        current,
        board=_board(request, current),
        now=utc_now(),
        refresh=request.app.state.settings.refresh_seconds,
        devices_per_store=per_store_devices(request, scope(current, request)),
    )


@router.get("/board/live")
def board_live(request: Request, current: Current = require("board")) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        "board_live.html",
        {
            "board": _board(request, current),
            "now": utc_now(),
            "devices_per_store": per_store_devices(request, scope(current, request)),
        },
    )
