"""`calmdesk user` as an administrator runs it on the hub: add, reset, disable, list."""

from __future__ import annotations

import re
from pathlib import Path

from console.accounts import sign_in
from shared.db.engine import make_engine, session_factory
from shared.settings import HubSettings
from tests.support.cli import calmdesk


def check(data_dir: Path, username: str, password: str) -> str:
    engine = make_engine(HubSettings(data_dir=data_dir).resolved_database_url())
    with session_factory(engine).begin() as session:
        result = sign_in(session, username, password)
    engine.dispose()
    return "ok" if result.viewer else result.reason


def test_user_add_reset_disable_list(tmp_path: Path) -> None:
    added = calmdesk(tmp_path, "user", "add", "dana", "--name", "Dana Reyes", "--store", "demo")
    assert added.returncode == 0, added.stderr
    password = re.search(r"password (\S+) \(shown once\)", added.stdout).group(1)  # type: ignore[union-attr]
    assert check(tmp_path, "dana", password) == "ok"

    again = calmdesk(tmp_path, "user", "add", "dana", "--store", "demo")
    assert again.returncode == 2 and "already exists" in again.stderr

    reset = calmdesk(tmp_path, "user", "reset", "dana", "--password", "another long password")
    assert reset.returncode == 0
    assert check(tmp_path, "dana", password) == "wrong password"
    assert check(tmp_path, "dana", "another long password") == "ok"

    assert calmdesk(tmp_path, "user", "disable", "dana").returncode == 0
    assert check(tmp_path, "dana", "another long password") == "disabled"
    listed = calmdesk(tmp_path, "user", "list")
    assert "dana" in listed.stdout and "disabled" in listed.stdout
