"""Which database errors block recording (an outage, retried) and which quarantine the message
(its content is at fault): the line between issue 9's case 8 and a real outage."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from broker.recorder import is_outage


class DriverError(Exception):
    pass


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("INSERT …", {}, DriverError("server closed the connection")),
        InterfaceError("INSERT …", {}, DriverError("connection already closed")),
        ProgrammingError("INSERT …", {}, DriverError('relation "events" does not exist')),
        DisconnectionError("gone"),
        PoolTimeout("QueuePool limit reached"),
        ConnectionRefusedError(111, "refused"),
        DataError("INSERT …", {}, DriverError("x"), connection_invalidated=True),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_and_schema_errors_are_outages(error: Exception) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        DataError("INSERT …", {}, DriverError("unsupported Unicode escape sequence")),
        IntegrityError("INSERT …", {}, DriverError("null value in column")),
        StatementError("bind failed", "INSERT …", {}, ValueError("naive datetime")),
        ValueError("a stored payload no longer decodes"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_caused_by_the_message_are_not_outages(error: Exception) -> None:
    assert not is_outage(error)
