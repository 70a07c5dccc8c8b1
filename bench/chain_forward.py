"""Forwarding a store's record to the central database, against direct inserts, in one run.

1. **Backlog drain.** A store database (SQLite, as a hub keeps it) holds N recorded events
   (alerts raised and cancelled, as after a long WAN outage). Baseline: the same rows inserted
   straight into an empty central database in batches of 100 with ``INSERT … ON CONFLICT DO
   NOTHING`` and nothing else. CalmDesk: the hub's :class:`~broker.forwarder.Forwarder`
   draining the backlog into another empty central database (read from SQLite, insert, derive
   the alert rows with the recorder's reducer, upsert ``store_sync``, move the watermark).
2. **Live lag.** Events recorded at a steady rate while the forwarder runs; the lag of each
   is ``central_at - recorded_at`` (both clocks are this machine's). Baseline: the same rate
   with each event inserted directly into the central database as it is recorded, so its lag
   is one commit.

The central database is a throwaway PostgreSQL 15 (as in the tests; ``fsync=off`` unless
``--cluster`` is given, which runs the 3-node Patroni cluster with synchronous replication and
goes through HAProxy). Run: ``.venv/bin/python -m bench.chain_forward [N] [--cluster]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from broker.central_ingest import ForwardedEvent
from broker.forwarder import Forwarder, read_batch, read_lag
from broker.recorder import Recorder
from shared.db.central import make_central_engine, migrate_central
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import EventRow
from shared.protocol import AlertCancelled, AlertRaised

STORE = "bench-1"
LIVE_RATE = 20.0  # events per second
LIVE_SECONDS = 10.0


def record_events(sessions: sessionmaker[Session], count: int) -> None:
    recorder = Recorder(sessions)
    for _ in range(count // 2):
        raised = AlertRaised(store=STORE, device="kiosk-1", level="manager", counter="Till 1")
        recorder.record(raised)
        recorder.record(
            AlertCancelled(
                store=STORE, device="kiosk-1", alert_id=raised.alert_id, reason="false_alarm"
            )
        )


def store_database(folder: Path, name: str) -> sessionmaker[Session]:
    url = f"sqlite:///{folder / name}"
    migrate(url)
    return session_factory(make_engine(url))


def all_events(sessions: sessionmaker[Session]) -> list[ForwardedEvent]:
    with sessions() as session, session.begin():
        return read_batch(session, STORE, 0, 10**9)


def direct_insert(central: sessionmaker[Session], events: list[ForwardedEvent]) -> float:
    started = time.perf_counter()
    for start in range(0, len(events), 100):
        with central.begin() as session:
            for event in events[start : start + 100]:
                session.execute(
                    insert(EventRow)
                    .values(**event.values())
                    .on_conflict_do_nothing(index_elements=["event_id"])
                )
    return time.perf_counter() - started


def drain(local: sessionmaker[Session], url: str) -> float:
    forwarder = Forwarder(STORE, local, url)
    started = time.perf_counter()
    while forwarder.forward_once():
        pass
    elapsed = time.perf_counter() - started
    forwarder.stop()
    return elapsed


def lags_ms(central: sessionmaker[Session]) -> list[float]:
    with central() as session:
        rows = session.execute(
            text(
                "SELECT extract(epoch FROM central_at - recorded_at) * 1000 FROM events "
                "WHERE type = 'alert_raised'"
            )
        ).scalars()
        return sorted(float(v) for v in rows)


def live(local: sessionmaker[Session], central_url: str, *, direct: bool) -> list[float]:
    central = session_factory(make_central_engine(central_url))
    recorder = Recorder(local)
    forwarder = None if direct else Forwarder(STORE, local, central_url)
    if forwarder is not None:
        forwarder.start()
    interval = 1.0 / LIVE_RATE
    deadline = time.monotonic() + LIVE_SECONDS
    while time.monotonic() < deadline:
        raised = AlertRaised(store=STORE, device="kiosk-1", level="manager", counter="Till 1")
        recorder.record(raised)
        if direct:
            with local() as session, session.begin():
                row = read_batch(session, STORE, 0, 10**9)[-1]
            with central.begin() as session:
                session.execute(insert(EventRow).values(**row.values()))
        time.sleep(interval)
    if forwarder is not None:
        while read_lag(local, STORE).pending:
            time.sleep(0.05)
        forwarder.stop()
    return lags_ms(central)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class CentralSite:
    """A throwaway PostgreSQL, or the Patroni cluster with ``--cluster``; fresh databases."""

    def __init__(self, cluster: bool) -> None:
        from tests.support.central import new_database
        from tests.support.postgres import PostgresServer

        self._new_database = new_database
        self.cluster = None
        if cluster:
            from tests.support.cluster import CentralCluster

            self.cluster = CentralCluster()
            self.cluster.start()
            self.server = _ClusterAsServer(self.cluster.url)
        else:
            self.server = PostgresServer()
            self.server.start()

    def new_central(self) -> str:
        url = self._new_database(self.server)  # type: ignore[arg-type]
        migrate_central(url)
        return url

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
        else:
            self.server.stop()


class _ClusterAsServer:
    def __init__(self, url: str) -> None:
        self.url = url


def main(count: int, cluster: bool) -> None:
    site = CentralSite(cluster)
    folder = Path(tempfile.mkdtemp(prefix="calmdesk-bench-chain-"))
    try:
        local = store_database(folder, "store.db")
        started = time.perf_counter()
        record_events(local, count)
        recorded_s = time.perf_counter() - started
        events = all_events(local)

        baseline_url = site.new_central()
        baseline_s = direct_insert(session_factory(make_central_engine(baseline_url)), events)
        forward_s = drain(local, site.new_central())

        live_forward = live(store_database(folder, "live1.db"), site.new_central(), direct=False)
        live_direct = live(store_database(folder, "live2.db"), site.new_central(), direct=True)
    finally:
        site.close()

    where = (
        "3-node Patroni cluster, synchronous replication, via HAProxy"
        if cluster
        else ("single PostgreSQL 15, fsync=off")
    )
    print(f"central: {where}; store: SQLite (WAL, synchronous=FULL)")
    print(
        f"recording {len(events)} events in the store took {recorded_s:.1f} s "
        f"({len(events) / recorded_s:.0f}/s)"
    )
    print(f"backlog of {len(events)} events:")
    print(
        f"  direct insert (baseline): {baseline_s:.2f} s = {len(events) / baseline_s:,.0f} events/s"
    )
    print(
        f"  forwarder drain:          {forward_s:.2f} s = {len(events) / forward_s:,.0f} events/s"
        f" ({forward_s / baseline_s:.1f}x the baseline's time)"
    )
    for name, values in (("forwarder", live_forward), ("direct insert", live_direct)):
        print(
            f"live lag at {LIVE_RATE:.0f} events/s, {name}: p50 {statistics.median(values):.1f} ms,"
            f" p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms"
            f" (n={len(values)})"
        )


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(arguments[0]) if arguments else 2000, "--cluster" in sys.argv)
