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

import httpx
import pytest
from _live_server import LiveServer
from oxigraph_server import OxigraphServer

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


class ServerPool:
    """``oxigraph serve`` processes shared by the whole session, handed out empty.

    The k-th repository a test opens gets the k-th server, cleared (``CLEAR ALL`` takes ~1 ms; a
    new server ~100 ms): tests that open several repositories get independent stores.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.servers: list[OxigraphServer] = []
        self._test: str | None = None
        self._handed = 0

    def acquire(self, test: str) -> OxigraphServer:
        if test != self._test:
            self._test, self._handed = test, 0
        if self._handed == len(self.servers):
            self.servers.append(OxigraphServer(self.directory / f"oxigraph-{len(self.servers)}"))
        server = self.servers[self._handed]
        self._handed += 1
        server.clear()
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="session")
def oxigraph_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """The session's pool of real ``oxigraph serve`` processes on 127.0.0.1."""
    pool = ServerPool(tmp_path_factory.mktemp("oxigraph"))
    yield pool
    pool.close()


def _open_remote(request: pytest.FixtureRequest, directory: Path) -> kgrepo.Repository:
    pool: ServerPool = request.getfixturevalue("oxigraph_pool")
    return kgrepo.Repository.connect(pool.acquire(request.node.nodeid).url)


BACKENDS = (
    Backend("memory", lambda request, directory: kgrepo.Repository.in_memory()),
    Backend(
        "disk",
        lambda request, directory: kgrepo.Repository.open(directory / "store"),
        persistent=True,
    ),
    Backend("server", _open_remote, marks=(pytest.mark.server,), persistent=True),
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
    """A fresh repository over each backend ("memory", "disk", "server"), closed after the
    test."""
    return new_repo()


@pytest.fixture
def writer(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the module's live ``server`` fixture, with its writer token."""
    with server.client(server.writer) as client:
        yield client
