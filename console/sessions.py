"""Browser sessions: a random token in a Secure, HttpOnly, SameSite=Strict cookie; the database
keeps only its SHA-256, the user and the session's CSRF token. Every request looks the session
up again, so a disabled account (its sessions deleted) is signed out on its next request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from console.accounts import viewer_of
from console.roles import Viewer
from shared.db.models import ConsoleSessionRow, ConsoleUserRow
from shared.protocol import utc_now

COOKIE = "calmdesk_session"
IDLE_TIMEOUT = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Current:
    viewer: Viewer
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user_id: int, now: datetime | None = None) -> str:
    """Start a session; returns the cookie value (shown to nobody else, stored hashed)."""
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSessionRow(
            token_hash=_hash(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def current(session: Session, token: str | None, now: datetime | None = None) -> Current | None:
    """The signed-in viewer for a cookie, or None (unknown, expired, disabled account)."""
    if not token:
        return None
    now = now or utc_now()
    row = session.get(ConsoleSessionRow, _hash(token))
    if row is None:
        return None
    user = session.get(ConsoleUserRow, row.user_id)
    if user is None or user.disabled or now - row.last_seen_at > IDLE_TIMEOUT:
        session.delete(row)
        return None
    row.last_seen_at = now
    return Current(viewer_of(user), row.csrf_token)


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == _hash(token))
        )


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
