"""The kiosk's runtime and view-model wired together, without any widget.

The app adds the root widget and Kivy's Clock as dispatcher; integration tests use the same
wiring with a queue as the "UI thread", so they test exactly what the app runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from kiosk.domain.escalation import KioskIdentity
from kiosk.domain.journal import AlertJournal
from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from shared import topics
from shared.alerts.driver import SteadyClock
from shared.alerts.policy import load_store_policy
from shared.device_runtime import DeviceRuntime, Dispatch
from shared.settings import DeviceConfig


def wire_kiosk(
    config: DeviceConfig,
    data_dir: Path,
    settings: KioskSettings,
    *,
    dispatch: Dispatch,
    on_exit: Callable[[], None] | None = None,
    after_frame: Dispatch | None = None,
) -> tuple[KioskViewModel, DeviceRuntime]:
    """Create (not start) the runtime and view-model for one kiosk device. ``after_frame``:
    the app's runner for work that must wait until the current frame is drawn (a tap's disk
    writes, see EscalationController); None stores at once."""
    if config.role != "kiosk":
        raise ValueError(
            f"{config.device} is provisioned as a {config.role}, not a kiosk; "
            f"run `calmdesk provision` for a kiosk device"
        )
    holder: dict[str, KioskViewModel] = {}
    store = config.store
    runtime = DeviceRuntime(
        config,
        data_dir,
        subscriptions=[
            topics.all_pager_acks(store),
            topics.all_hub_escalations(store),
            topics.all_status(store),
        ],
        on_message=lambda message: holder["vm"].on_message(message),
        on_delivery=lambda delivery: holder["vm"].on_delivery(delivery),
        on_link=lambda event: holder["vm"].on_link(event),
        dispatch=dispatch,
        owner_of=lambda alert_id: _owner(holder["vm"], alert_id),
    )
    identity = KioskIdentity(
        store=store,
        device=config.device,
        counter=config.counter or config.display_name or config.device,
        emergency_number=config.emergency_number,
        drill=settings.drill,
    )
    vm = KioskViewModel(
        identity,
        runtime,
        settings=settings,
        # the same per-store ladders as the hub, when the store ships an override to this device
        policy=load_store_policy(store, data_dir / "policies"),
        on_exit=on_exit,
        # ladder timers must not jump with the wall clock (NTP, an operator): see SteadyClock
        clock=SteadyClock(),
        # the open alert survives a restart: restored here, before the runtime resends the outbox
        journal=AlertJournal.for_device(data_dir, config.device),
        outbox=runtime.outbox,
        after_frame=after_frame,
    )
    holder["vm"] = vm
    return vm, runtime


def _owner(vm: KioskViewModel, alert_id: uuid.UUID) -> str | None:
    """Who raised an alert the kiosk restored from its journal (the runtime knows the rest)."""
    view = vm.escalation.book.get(alert_id)
    return view.kiosk if view is not None else None
