"""``calmdesk hq-store``: head office registers its stores' regions and names, for the HQ
console's filters and the SB 553 log's establishment names. Stores appear on the Stores page
by themselves when they first sync; this only adds where they are and what they are called."""

from __future__ import annotations

import argparse
import re
import sys

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from console.hq import is_central
from shared.db.central_models import StoreRow
from shared.db.engine import make_engine, session_factory
from shared.protocol import ID_PATTERN


def run_hq_store(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url)
    try:
        if not is_central(engine):
            print(
                "calmdesk hq-store: that database is not head office's "
                "(migrate it with migrate_central, or run `calmdesk console --hq` once)",
                file=sys.stderr,
            )
            return 2
        with session_factory(engine).begin() as session:
            if args.action == "list":
                for row in session.scalars(select(StoreRow).order_by(StoreRow.store)):
                    print(f"{row.store:12} {row.region or '-':16} {row.name}")
                return 0
            if not args.store or not re.fullmatch(ID_PATTERN, args.store):
                print(
                    "calmdesk hq-store set needs a STORE id (lowercase letters, digits, - and _)",
                    file=sys.stderr,
                )
                return 2
            row = session.get(StoreRow, args.store) or StoreRow(store=args.store)
            if args.region is not None:
                row.region = args.region.strip()[:64]
            if args.name is not None:
                row.name = args.name.strip()[:200]
            row.region = row.region or ""
            row.name = row.name or ""
            session.add(row)
        print(f"{args.store}: region {row.region or '-'}, name {row.name or '-'}")
        return 0
    except SQLAlchemyError as error:
        print(f"database not reachable: {error.__class__.__name__}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def add_parser(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "hq-store",
        parents=[data_dir],
        help="head office: set a store's region and name in the central database, or list them",
        description="Registers where a store is (region) and what it is called, for the head "
        "office console's region filter and the SB 553 log's establishment names.",
    )
    parser.add_argument("action", choices=["set", "list"])
    parser.add_argument("store", nargs="?", help="the store id, as in the store's registry")
    parser.add_argument("--region", help="the region the store belongs to")
    parser.add_argument("--name", help="the store's name (the establishment)")
    parser.add_argument(
        "--database-url", required=True, help="SQLAlchemy URL of head office's central database"
    )
    parser.set_defaults(func=run_hq_store)
