"""Demo accounts for ``calmdesk provision --demo`` and ``calmdesk demo``: one per role, with
random passwords kept in ``var/console-demo-logins.txt`` (mode 600, never committed)."""

from __future__ import annotations

from pathlib import Path

from console.accounts import add_user, find_user, new_password
from shared.db.engine import make_engine, migrate, session_factory

DEMO_USERS = (
    ("manager", "Dana Manager", "store_manager", "demo"),
    ("safety", "Lee Safety", "safety_officer", None),
    ("auditor", "Ari Auditor", "auditor", None),
)


def logins_file(data_dir: Path) -> Path:
    return data_dir / "console-demo-logins.txt"


def ensure_demo_users(data_dir: Path, database_url: str) -> dict[str, str]:
    """Create any missing demo account; returns username -> password for those on file."""
    path = logins_file(data_dir)
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, password = line.partition(" ")
            if name and password:
                known[name] = password
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            for username, name, role, store in DEMO_USERS:
                if find_user(session, username) is None:
                    known[username] = new_password()
                    add_user(
                        session,
                        username,
                        display_name=name,
                        role=role,
                        store=store,
                        password=known[username],
                    )
    finally:
        engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("".join(f"{k} {v}\n" for k, v in known.items()), encoding="utf-8")
    return known
