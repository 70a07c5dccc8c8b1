"""Store scoping for queries: ``stores`` None means every store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select


def in_stores(query: Select[Any], column: Any, stores: tuple[str, ...] | None) -> Select[Any]:
    return query if stores is None else query.where(column.in_(stores))
