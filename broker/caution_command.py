"""`calmdesk caution`: the manager's review of customer caution notes, on the hub's database."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from broker.cautions import (
    Caution,
    CautionError,
    approved_cautions,
    decide_caution,
    pending_cautions,
)
from broker.registry import Registry
from shared.db.engine import make_engine, migrate, session_factory
from shared.settings import ConfigError, HubSettings


def _print(cautions: list[Caution], empty: str) -> None:
    if not cautions:
        print(empty)
    for caution in cautions:
        print(f"  #{caution.number:<4} {caution.reported_at:%Y-%m-%d %H:%M} UTC  {caution.counter}")
        print(f"        description: {caution.description}")
        print(f"        reason:      {caution.reason}")
        if caution.decided_by:
            print(f"        approved by {caution.decided_by} on {caution.decided_at:%Y-%m-%d}")


def run_caution(args: argparse.Namespace) -> int:
    settings = HubSettings(data_dir=args.data_dir, **_database(args))
    try:
        store = Registry.load(settings.registry_path).store
    except (ConfigError, OSError) as error:
        print(f"no store registry in {settings.data_dir}: {error}", file=sys.stderr)
        return 2
    url = settings.resolved_database_url()
    try:
        migrate(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            if args.action == "list":
                print(f"Caution notes waiting for a manager's decision (store {store}):")
                _print(pending_cautions(session, store), "  none")
                print("Approve: calmdesk caution approve NUMBER --by NAME")
                print("Reject (erases the note): calmdesk caution reject NUMBER --by NAME")
            elif args.action == "approved":
                print(f"Approved caution notes (store {store}):")
                _print(approved_cautions(session, store), "  none")
            else:
                approve = args.action == "approve"
                decided = decide_caution(
                    session, store, args.number, approve=approve, manager=args.by or ""
                )
                verb = "approved: staff can now see it" if approve else "rejected and erased"
                print(f"caution #{decided.number} ({decided.counter}) {verb}")
        engine.dispose()
    except CautionError as error:
        print(error, file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"database not reachable ({url}): {error.__class__.__name__}", file=sys.stderr)
        return 2
    return 0


def _database(args: argparse.Namespace) -> dict[str, str]:
    return {"database_url": args.database_url} if args.database_url else {}


def add_caution_parser(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    caution = sub.add_parser(
        "caution",
        parents=[data_dir],
        help="review customer caution notes: list, approve or reject (managers)",
        description="A caution note from a wrap-up is seen by nobody until a manager approves "
        "it here. Rejecting erases it.",
    )
    caution.add_argument(
        "action", choices=["list", "approved", "approve", "reject"], help="what to do"
    )
    caution.add_argument("number", nargs="?", type=int, help="the note's number (from list)")
    caution.add_argument("--by", help="the deciding manager's name (recorded)")
    caution.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    caution.set_defaults(func=_checked)


def _checked(args: argparse.Namespace) -> int:
    if args.action in ("approve", "reject") and args.number is None:
        print(f"calmdesk caution {args.action} needs the note's NUMBER", file=sys.stderr)
        return 2
    return run_caution(args)
