"""The audit trail page: who viewed, exported or changed what."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import audit
from console.sessions import Current
from console.web import db, render, require, scope

router = APIRouter()


@router.get("/audit")
def audit_page(request: Request, current: Current = require("audit")) -> Response:
    with db(request) as session:
        rows = audit.entries(session, scope(current, request))
    return render(request, "audit.html", current, entries=rows)
