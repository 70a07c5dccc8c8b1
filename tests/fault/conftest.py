"""Prints the fault matrix (sent / recorded / lost / duplicated per fault) after the session."""

from __future__ import annotations

import pytest

from tests.support.faults import RESULTS, format_table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.section("fault matrix")
        terminalreporter.write_line(format_table(RESULTS))
