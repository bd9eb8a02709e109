"""Shared pytest configuration: the markers kgrepo's tests use (run with --strict-markers), and the
backends the contract suite runs over.

A test that takes the ``repo`` fixture runs once per backend in :data:`BACKENDS`. A new backend (the
remote SPARQL endpoint) is one more entry there: its ``open`` may ask for other fixtures through
``request.getfixturevalue`` (e.g. a session-scoped server on loopback) and its ``marks`` carry
``pytest.mark.server``, so ``-m "not server"`` skips it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import kgrepo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds (starts a JVM, trains a model, ...)")
    config.addinivalue_line("markers", "server: starts a server process on loopback")


@dataclass(frozen=True)
class Backend:
    """How to open a fresh, empty repository of one kind.

    ``open(request, directory)`` gets the requesting test's fixture request (to reach fixtures
    such as a server) and an empty directory of its own; it returns an open repository, which the
    fixtures close after the test.
    """

    id: str
    open: Callable[[pytest.FixtureRequest, Path], kgrepo.Repository]
    marks: tuple[pytest.MarkDecorator, ...] = ()
    persistent: bool = False


BACKENDS = (
    Backend("memory", lambda request, directory: kgrepo.Repository.in_memory()),
    Backend(
        "disk",
        lambda request, directory: kgrepo.Repository.open(directory / "store"),
        persistent=True,
    ),
    # Backend("server", _open_remote, marks=(pytest.mark.server,), persistent=True),
)


@pytest.fixture(params=[pytest.param(b, id=b.id, marks=b.marks) for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend of :data:`BACKENDS` in turn."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def new_repo(
    backend: Backend, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], kgrepo.Repository]]:
    """A factory of fresh, independent repositories of the current backend (for export/import
    round trips); every repository it made is closed after the test."""
    opened: list[kgrepo.Repository] = []

    def make() -> kgrepo.Repository:
        directory = tmp_path / f"{backend.id}-{len(opened)}"
        directory.mkdir()
        repo = backend.open(request, directory)
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.close()


@pytest.fixture
def repo(new_repo: Callable[[], kgrepo.Repository]) -> kgrepo.Repository:
    """A fresh repository over each backend ("memory", "disk"), closed after the test."""
    return new_repo()
