"""Placeholder page: statistics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.sessions import Current
from console.web import render, require

router = APIRouter()


@router.get("/statistics")
def page(request: Request, current: Current = require("statistics")) -> Response:
    return render(request, "todo.html", current, title="statistics")
