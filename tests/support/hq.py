"""Stores of a chain for head office tests: each a real Mosquitto with its own store id, its
own SQLite database and an in-process hub forwarding to the central database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from broker.hub import Hub
from broker.mosquitto import MosquittoProcess, free_port
from broker.provision import DEMO_DEVICES, broker_files, provision
from broker.registry import Registry
from shared.settings import HubSettings
from tests.support.store import Store


class NamedStore(Store):
    """Like the demo store, under the store id ``store_id``."""

    def __init__(self, root: Path, store_id: str) -> None:
        self.root = root
        self.port = free_port()
        self.settings = HubSettings(data_dir=root / "var", broker_port=self.port)
        registry = Registry(
            store=store_id,
            store_name=f"Store {store_id}",
            emergency_number="112",
            broker_port=self.port,
        )
        provision(self.settings, registry, list(DEMO_DEVICES))
        self.registry = Registry.load(self.settings.registry_path)
        self.broker = MosquittoProcess(broker_files(self.settings), "127.0.0.1", self.port)
        self._links = []


@contextmanager
def forwarding_stores(root: Path, store_ids: tuple[str, ...]) -> Iterator[list[NamedStore]]:
    """Each store's broker and hub running; the hubs forward to CALMDESK_CENTRAL_URL, which
    the caller sets before entering."""
    with ExitStack() as stack:
        stores: list[NamedStore] = []
        for store_id in store_ids:
            store = NamedStore(root / store_id, store_id)
            store.broker.start()
            stack.callback(store.close)
            hub = Hub(store.device("hub"), f"sqlite:///{root / store_id / 'store.db'}")
            hub.start()
            stack.callback(hub.stop)
            assert hub.forwarder is not None, "CALMDESK_CENTRAL_URL is not set"
            assert hub.link.wait_subscribed(10), f"{store_id}: the hub did not subscribe"
            stores.append(store)
        yield stores
