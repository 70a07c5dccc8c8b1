"""Console roles and what each may do: the one registry every page and command asks.

- ``store_manager``: everything about their own store, read and write.
- ``safety_officer``: every store, read and export; changes nothing.
- ``auditor``: the SB 553 violent-incident log only (read and export); never caution notes,
  timelines or free text marked internal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConsoleRole = Literal["store_manager", "safety_officer", "auditor"]
ROLES: tuple[ConsoleRole, ...] = ("store_manager", "safety_officer", "auditor")
ROLE_TITLES: dict[str, str] = {
    "store_manager": "Store manager",
    "safety_officer": "Safety officer",
    "auditor": "Auditor",
}

# page or action -> roles allowed
PERMISSIONS: dict[str, frozenset[str]] = {
    "board": frozenset({"store_manager", "safety_officer"}),
    "incidents": frozenset({"store_manager", "safety_officer"}),
    "timeline": frozenset({"store_manager", "safety_officer"}),
    "internal_text": frozenset({"store_manager", "safety_officer"}),
    "complete_report": frozenset({"store_manager"}),
    "follow_ups": frozenset({"store_manager"}),
    "sb553": frozenset({"store_manager", "safety_officer", "auditor"}),
    "statistics": frozenset({"store_manager", "safety_officer"}),
    "cautions": frozenset({"store_manager", "safety_officer"}),
    "decide_cautions": frozenset({"store_manager"}),
    "users": frozenset({"store_manager", "safety_officer"}),
    "manage_users": frozenset({"store_manager"}),
    "devices": frozenset({"store_manager", "safety_officer"}),
    "manage_devices": frozenset({"store_manager"}),
    "audit": frozenset({"store_manager", "safety_officer"}),
    "stores": frozenset({"safety_officer"}),
}

STORE_WIDE: frozenset[str] = frozenset({"safety_officer"})
"""Roles that always see every store. An auditor sees every store unless their account names
one; a store manager sees only their own."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person, as pages and queries need them."""

    user_id: int
    username: str
    display_name: str
    role: str
    store: str | None

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def all_stores(self) -> bool:
        return self.role in STORE_WIDE or (self.role == "auditor" and not self.store)

    def sees_store(self, store: str) -> bool:
        return self.all_stores or store == self.store

    def stores(self, requested: str | None) -> tuple[str, ...] | None:
        """The stores a query may read: None = all. A manager always gets their own store."""
        if not self.all_stores:
            return (self.store or "",)
        return (requested,) if requested else None
