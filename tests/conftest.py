"""Shared pytest configuration: the markers kgrepo's tests use (run with --strict-markers)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds (starts a JVM, trains a model, ...)")
    config.addinivalue_line("markers", "server: starts a server process on loopback")
