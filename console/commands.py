"""``calmdesk console`` serves the web console; ``calmdesk user ...`` manages its accounts."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from console.accounts import (
    AccountError,
    add_user,
    list_users,
    new_password,
    reset_password,
    set_disabled,
)
from console.config import ConsoleSettings
from console.hq import HQ_ROLES, STORE_MANAGER_REFUSAL, is_central
from console.hq_commands import add_parser as add_hq_store_parser
from console.roles import ROLES
from shared.db.engine import make_engine, migrate, session_factory
from shared.settings import HubSettings

log = logging.getLogger(__name__)
DEFAULT_PORT = 8553


def _url(args: argparse.Namespace) -> str:
    overrides = {"database_url": args.database_url} if args.database_url else {}
    return HubSettings(data_dir=args.data_dir, **overrides).resolved_database_url()


def run_user(args: argparse.Namespace) -> int:
    url = _url(args)
    try:
        migrate(url)
        engine = make_engine(url)
        with session_factory(engine).begin() as session:
            if args.action == "list":
                for u in list_users(session, None):
                    state = "disabled" if u.disabled else "active"
                    where = u.store or "all stores"
                    print(f"{u.username:20} {u.role:15} {where:12} {state:8} {u.display_name}")
                return 0
            if not args.username:
                print(f"calmdesk user {args.action} needs a USERNAME", file=sys.stderr)
                return 2
            password = args.password or (new_password() if args.action in ("add", "reset") else "")
            if args.action == "add":
                if args.role not in HQ_ROLES and is_central(engine):
                    raise AccountError(STORE_MANAGER_REFUSAL)
                add_user(
                    session,
                    args.username,
                    display_name=args.name or args.username,
                    role=args.role,
                    store=args.store,
                    password=password,
                )
            elif args.action == "reset":
                reset_password(session, args.username, password)
            else:
                set_disabled(session, args.username, args.action == "disable")
        engine.dispose()
    except AccountError as error:
        print(f"calmdesk user: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"database not reachable ({url}): {error.__class__.__name__}", file=sys.stderr)
        return 2
    if args.action in ("add", "reset"):
        shown = "" if args.password else f" password {password} (shown once)"
        print(f"{args.username}: {args.action} done;{shown}")
    else:
        print(
            f"{args.username}: {args.action}d (signed out everywhere)"
            if args.action == "disable"
            else f"{args.username}: enabled"
        )
    return 0


def serve(settings: ConsoleSettings, host: str, port: int, stop: threading.Event | None = None):  # type: ignore[no-untyped-def]
    """Start uvicorn on a thread; returns the server (``server.should_exit = True`` stops it)."""
    import uvicorn

    from console.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-http", daemon=True)
    thread.start()
    return server, thread


def run_console(args: argparse.Namespace) -> int:
    import uvicorn

    from console.app import create_app

    settings = ConsoleSettings.from_hub(args.data_dir, args.database_url)
    if args.insecure_cookies:
        settings = ConsoleSettings(**{**settings.__dict__, "secure_cookies": False})
    if args.hq:
        settings = ConsoleSettings(**{**settings.__dict__, "hq": True})
    app = create_app(settings)
    where = "head office console" if app.state.hq else "console"
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"CalmDesk {where} on http://{args.host}:{args.port}/ (database {shown})")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def add_parsers(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    console = sub.add_parser(
        "console",
        parents=[data_dir],
        help="serve the web console (incident log, live board, SB 553 export) for people",
        description="Serves the back office on HOST:PORT. Put it behind TLS (a reverse proxy) "
        "anywhere but loopback.",
    )
    console.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    console.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    console.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    console.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="drop the Secure flag (only for plain http on a non-loopback name)",
    )
    console.add_argument(
        "--hq",
        action="store_true",
        help="head office: migrate the central schema too (HQ mode is also chosen by itself "
        "when --database-url is the chain's central database)",
    )
    console.set_defaults(func=run_console)

    user = sub.add_parser(
        "user",
        parents=[data_dir],
        help="console accounts: add, reset, disable, enable, list",
        description="Accounts are per person. A store manager sees their store; a safety officer "
        "every store (read and export); an auditor only the SB 553 log.",
    )
    user.add_argument("action", choices=["add", "reset", "disable", "enable", "list"])
    user.add_argument("username", nargs="?")
    user.add_argument("--name", help="the person's full name")
    user.add_argument("--role", choices=ROLES, default="store_manager")
    user.add_argument("--store", help="the store a store manager (or a store's auditor) belongs to")
    user.add_argument("--password", help="set this password instead of a generated one")
    user.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    user.set_defaults(func=run_user)
    add_hq_store_parser(sub, data_dir)


__all__ = ["DEFAULT_PORT", "Path", "add_parsers", "serve"]
