"""The daily purge, run by the console process: once at start, then every 24 hours."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.queries.retention import purge
from console.store_admin import load_retention
from shared.protocol import utc_now

log = logging.getLogger(__name__)
DAY_S = 24 * 3600.0


def run_once(sessions: sessionmaker[Session], data_dir: Path) -> None:
    try:
        with sessions.begin() as session:
            result = purge(session, utc_now(), load_retention(data_dir))
        log.info("daily purge: %s", result)
    except SQLAlchemyError as error:
        log.error("daily purge failed (%s); retrying at the next run", error.__class__.__name__)


def start(
    sessions: sessionmaker[Session], data_dir: Path, stop: threading.Event, every_s: float = DAY_S
) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            run_once(sessions, data_dir)
            stop.wait(every_s)

    thread = threading.Thread(target=loop, name="console-purge", daemon=True)
    thread.start()
    return thread
