"""The audit trail: who viewed, exported or changed what. Written in the same transaction as
the thing it records, so a view that is shown is a view that is logged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.roles import Viewer
from shared.db.models import AuditRow
from shared.protocol import utc_now

STORE_WIDTH = AuditRow.__table__.c.store.type.length or 48


def record(
    session: Session,
    viewer: Viewer | str,
    action: str,
    target: str,
    *,
    store: str | None = None,
    detail: str = "",
) -> None:
    username = viewer if isinstance(viewer, str) else viewer.username
    if store is not None and len(store) > STORE_WIDTH:  # a region's stores: say so in detail
        detail, store = f"stores {store}; {detail}", None
    session.add(
        AuditRow(
            at=utc_now(),
            username=username,
            store=store,
            action=action,
            target=target[:200],
            detail=detail[:500],
        )
    )


def entries(session: Session, stores: tuple[str, ...] | None, limit: int = 200) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if stores is not None:
        query = query.where(AuditRow.store.in_(stores))
    return list(session.scalars(query))
