"""Self-healing (invariant 9): the hub restarts a dead Mosquitto, and gives up loudly.

Mosquitto runs as a child of the hub process, so systemd's ``Restart=`` only sees the hub. A
broker killed on its own (OOM killer, ``kill -9``, a crash) would otherwise leave a live hub
beside a dead broker and every later alert failing. :class:`BrokerSupervisor` notices within
``POLL_S``, restarts it with a doubling delay (``MIN_DELAY_S`` up to ``MAX_DELAY_S``; the delay
resets once the broker has stayed up for ``STABLE_S``), and logs each death with Mosquitto's own
last log lines. After ``GIVE_UP_AFTER`` failed starts in a row it stops trying and reports a
problem: the hub then exits non-zero so systemd restarts the whole service.

:func:`dead_parts` is the hub's watchdog: any of its threads that has died alone (the recorder,
the escalation ticker, an MQTT network loop, this supervisor) is named, and the hub exits
non-zero rather than live on half-deaf.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from broker.mosquitto import BrokerError, MosquittoProcess

log = logging.getLogger(__name__)

POLL_S = 0.2
MIN_DELAY_S = 0.5
MAX_DELAY_S = 30.0
STABLE_S = 60.0
GIVE_UP_AFTER = 8


class BrokerSupervisor:
    """Watches one :class:`MosquittoProcess` from its own thread and restarts it when it dies."""

    def __init__(
        self,
        broker: MosquittoProcess,
        *,
        min_delay_s: float = MIN_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
        give_up_after: int = GIVE_UP_AFTER,
        on_restart: Callable[[int], None] | None = None,
    ) -> None:
        self.broker = broker
        self.restarts = 0
        self.problem: str | None = None
        self._min_delay_s = min_delay_s
        self._max_delay_s = max_delay_s
        self._give_up_after = give_up_after
        self._on_restart = on_restart
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broker-supervisor", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        """Start watching; the broker itself must already be running."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the broker is stopped on purpose)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        delay = self._min_delay_s
        up_since = time.monotonic()
        while not self._stop.wait(POLL_S):
            if self.broker.running:
                if time.monotonic() - up_since > STABLE_S:
                    delay = self._min_delay_s
                continue
            log.error(
                "mosquitto died (%s); restarting it in %.1f s. Its last log lines:\n%s",
                self.broker.exit_description(),
                delay,
                self.broker.log_tail(5),
            )
            failures = 0
            while not self._stop.wait(delay):
                try:
                    self.broker.start()
                except BrokerError as error:
                    failures += 1
                    delay = min(delay * 2, self._max_delay_s)
                    if failures >= self._give_up_after:
                        self.problem = (
                            f"mosquitto would not start again after {failures} attempts: {error}"
                        )
                        log.critical("%s; the hub exits so systemd restarts it", self.problem)
                        return
                    log.error("mosquitto did not start (%s); next try in %.1f s", error, delay)
                    continue
                self.restarts += 1
                log.warning("mosquitto restarted (restart #%d)", self.restarts)
                if self._on_restart is not None:
                    self._on_restart(self.restarts)
                break
            delay = min(delay * 2, self._max_delay_s)
            up_since = time.monotonic()


def dead_parts(threads: dict[str, threading.Thread | None]) -> list[str]:
    """Names of the started threads in ``threads`` that are no longer alive."""
    return [name for name, t in threads.items() if t is not None and not t.is_alive()]
