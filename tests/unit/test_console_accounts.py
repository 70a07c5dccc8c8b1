"""Console accounts: Argon2 hashes, lockout after repeated failures, disabling ends sessions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from console import sessions
from console.accounts import (
    MAX_FAILURES,
    AccountError,
    add_user,
    find_user,
    reset_password,
    set_disabled,
    sign_in,
)
from shared.protocol import utc_now
from tests.support.console import PASSWORD, database


@pytest.fixture
def db(tmp_path: Path) -> sessionmaker[Session]:
    factory = database(f"sqlite:///{tmp_path / 'console.db'}")
    with factory.begin() as session:
        add_user(
            session, "dana", display_name="Dana", role="store_manager", store="a", password=PASSWORD
        )
    return factory


def test_password_is_stored_as_an_argon2id_hash(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        row = find_user(session, "dana")
        assert row is not None
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash


def test_right_password_signs_in_and_wrong_one_does_not(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        assert sign_in(session, "dana", PASSWORD).viewer is not None
        assert sign_in(session, "dana", "not the password").viewer is None
        assert sign_in(session, "nobody", PASSWORD).viewer is None


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    db: sessionmaker[Session],
) -> None:
    now = utc_now()
    with db.begin() as session:
        for _ in range(MAX_FAILURES):
            assert sign_in(session, "dana", "wrong password!", now=now).viewer is None
        locked = sign_in(session, "dana", PASSWORD, now=now + timedelta(minutes=1))
        assert locked.viewer is None and locked.reason == "locked"
        later = sign_in(session, "dana", PASSWORD, now=now + timedelta(minutes=16))
        assert later.viewer is not None


def test_disabling_ends_every_session_and_blocks_sign_in(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        user = find_user(session, "dana")
        assert user is not None
        token = sessions.open_session(session, user.id)
    with db.begin() as session:
        assert sessions.current(session, token) is not None
        set_disabled(session, "dana")
    with db.begin() as session:
        assert sessions.current(session, token) is None
        assert sign_in(session, "dana", PASSWORD).reason == "disabled"


def test_reset_unlocks_and_signs_out(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        user = find_user(session, "dana")
        assert user is not None
        token = sessions.open_session(session, user.id)
        for _ in range(MAX_FAILURES):
            sign_in(session, "dana", "wrong password!")
        reset_password(session, "dana", "a brand new password")
    with db.begin() as session:
        assert sessions.current(session, token) is None
        assert sign_in(session, "dana", "a brand new password").viewer is not None


@pytest.mark.parametrize(
    ("username", "role", "store", "password", "message"),
    [
        ("Bad Name", "store_manager", "a", PASSWORD, "username"),
        ("kim", "store_manager", None, PASSWORD, "needs --store"),
        ("kim", "boss", "a", PASSWORD, "role"),
        ("kim", "auditor", None, "short", "at least"),
        ("dana", "auditor", None, PASSWORD, "already exists"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(
    db: sessionmaker[Session],
    username: str,
    role: str,
    store: str | None,
    password: str,
    message: str,
) -> None:
    with db.begin() as session, pytest.raises(AccountError, match=message):
        add_user(session, username, display_name="Kim", role=role, store=store, password=password)


def test_idle_sessions_expire(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        user = find_user(session, "dana")
        assert user is not None
        token = sessions.open_session(session, user.id)
    with db.begin() as session:
        later = utc_now() + sessions.IDLE_TIMEOUT + timedelta(minutes=1)
        assert sessions.current(session, token, now=later) is None
