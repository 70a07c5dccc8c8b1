"""Console accounts: add, reset, disable, sign in (with lockout). Plain Python on a Session.

Passwords are hashed with Argon2id (argon2-cffi). After ``MAX_FAILURES`` wrong passwords in a
row an account is locked for ``LOCKOUT``; a locked or disabled account cannot sign in even with
the right password, and the answer never says which of the two was wrong.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.roles import ROLES, STORE_WIDE, Viewer
from shared.db.models import ConsoleSessionRow, ConsoleUserRow
from shared.protocol import utc_now

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_HASHER = PasswordHasher()


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SignIn:
    viewer: Viewer | None
    reason: str = ""
    """Why it failed: for the log and tests; the page shows one message for every failure."""


def viewer_of(row: ConsoleUserRow) -> Viewer:
    return Viewer(row.id, row.username, row.display_name, row.role, row.store)


def new_password() -> str:
    """A random password of 20 characters from an unambiguous alphabet."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


def find_user(session: Session, username: str) -> ConsoleUserRow | None:
    return session.scalar(select(ConsoleUserRow).where(ConsoleUserRow.username == username))


def add_user(
    session: Session,
    username: str,
    *,
    display_name: str,
    role: str,
    store: str | None,
    password: str,
    now: datetime | None = None,
) -> ConsoleUserRow:
    """Create an account. A store manager needs a store; store-wide roles have none."""
    if not USERNAME.match(username):
        raise AccountError(
            f"username {username!r}: use 2-64 lowercase letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise AccountError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if role in STORE_WIDE:
        store = None
    elif role == "store_manager" and not store:
        raise AccountError(f"a {role} needs --store (the store they manage)")
    if not display_name.strip():
        raise AccountError("give the person's name (--name)")
    if find_user(session, username) is not None:
        raise AccountError(f"user {username!r} already exists; use `calmdesk user reset`")
    _check_password(password)
    now = now or utc_now()
    row = ConsoleUserRow(
        username=username,
        display_name=display_name.strip()[:200],
        role=role,
        store=store,
        password_hash=_HASHER.hash(password),
        disabled=False,
        failed_logins=0,
        created_at=now,
        password_changed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _existing(session: Session, username: str) -> ConsoleUserRow:
    row = find_user(session, username)
    if row is None:
        raise AccountError(f"there is no user {username!r} (`calmdesk user list`)")
    return row


def reset_password(
    session: Session, username: str, password: str, now: datetime | None = None
) -> ConsoleUserRow:
    """New password; unlocks the account and signs out every browser it had."""
    row = _existing(session, username)
    _check_password(password)
    row.password_hash = _HASHER.hash(password)
    row.password_changed_at = now or utc_now()
    row.failed_logins = 0
    row.locked_until = None
    end_sessions(session, row.id)
    return row


def set_disabled(session: Session, username: str, disabled: bool = True) -> ConsoleUserRow:
    """Disable (or enable) an account; disabling ends its sessions at once."""
    row = _existing(session, username)
    row.disabled = disabled
    if disabled:
        end_sessions(session, row.id)
    return row


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id))


def sign_in(session: Session, username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a password, counting failures; the caller commits."""
    now = now or utc_now()
    row = find_user(session, username.strip().lower())
    if row is None:
        _HASHER.hash(password)  # the same work as a real check, so timing tells nothing
        return SignIn(None, "unknown user")
    if row.locked_until is not None and row.locked_until > now:
        return SignIn(None, "locked")
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        row.failed_logins += 1
        if row.failed_logins >= MAX_FAILURES:
            row.locked_until = now + LOCKOUT
            row.failed_logins = 0
            return SignIn(None, "wrong password; locked")
        return SignIn(None, "wrong password")
    if row.disabled:
        return SignIn(None, "disabled")
    row.failed_logins = 0
    row.locked_until = None
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    return SignIn(viewer_of(row))


def list_users(session: Session, stores: tuple[str, ...] | None) -> list[ConsoleUserRow]:
    query = select(ConsoleUserRow).order_by(ConsoleUserRow.username)
    if stores is not None:
        query = query.where(ConsoleUserRow.store.in_(stores))
    return list(session.scalars(query))
