"""The application factory: ``create_app(settings)`` builds a FastAPI app; its lifespan opens the
store (and the token store and the query workers) and closes them at shutdown. Nothing happens at
import time, so tests build as many apps, on as many stores, as they like.

The store is embedded (a directory, or memory; one worker process) or a SPARQL server (an
``http(s)://`` URL, :meth:`kgrepo.Repository.connect`), which several workers share: ``kgrepo
serve --workers N`` starts them with uvicorn's ``--factory`` on :func:`app_from_env`, each reading
its settings from ``KGREPO_*`` variables. :func:`query_runner` picks who evaluates ``/sparql``
queries accordingly, and :class:`~kgrepo.api.open_runs.OpenRuns` keeps no run in a worker's memory
when the store is shared.

>>> app = create_app(Settings(store=None))
>>> sorted(p for p in app.openapi()["paths"] if p.startswith("/sparql"))
['/sparql', '/sparql/update']
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from kgrepo.api import (
    problems,
    routes_artifacts,
    routes_lineage,
    routes_recommendations,
    routes_runs,
    sparql,
)
from kgrepo.api.deps import ServerState
from kgrepo.api.open_runs import OpenRuns
from kgrepo.api.settings import Settings
from kgrepo.api.sparql_remote import RemoteQueryRunner
from kgrepo.api.sparql_runner import GatedStore, QueryRunner
from kgrepo.api.tokens import TokenStore

from kgrepo import demo as demo_module
from kgrepo.remote import SparqlStore
from kgrepo.repository import Repository

_log = logging.getLogger("kgrepo.api")

DESCRIPTION = """
kgrepo's server: record experiments, runs, steps and artifacts over REST (`/api/v1`), ask the
lineage questions, and query the knowledge graph with SPARQL 1.1 (`/sparql`).

Every request needs `Authorization: Bearer <token>` (`kgrepo token create --name NAME --role
reader|writer|admin`) unless the server allows anonymous reads. Errors are RFC 9457
`application/problem+json` with a stable `type` per error class.
"""


def open_store(settings: Settings) -> Repository:
    """The repository the settings name: a SPARQL server (``http(s)://`` URL), or an embedded
    store on disk or in memory (wrapped in a :class:`GatedStore` for the forked query workers)."""
    if settings.remote:
        assert settings.store is not None
        return Repository.connect(settings.store, base=settings.base)
    return Repository(GatedStore(settings.store), base=settings.base)


def query_runner(settings: Settings, repository: Repository) -> QueryRunner | RemoteQueryRunner:
    """Who evaluates ``/sparql`` queries: the remote server itself for a URL store (limits
    enforced on the HTTP exchange), forked workers over the embedded store otherwise (killed at the
    time limit). Both have ``run(QueryRequest)``, its awaitable ``answer(QueryRequest)``, and
    ``close()``."""
    workers, timeout, rows = settings.query_workers, settings.query_timeout, settings.max_rows
    if isinstance(repository.store, SparqlStore):
        return RemoteQueryRunner(repository.store, workers, timeout, rows)
    assert isinstance(repository.store, GatedStore)
    return QueryRunner(repository.store, workers, timeout, rows)


def create_app(settings: Settings) -> FastAPI:
    """A kgrepo server on ``settings``; the store is opened when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        repository = open_store(settings)
        tokens = TokenStore(settings.tokens_path)
        runner = query_runner(settings, repository)
        runs = OpenRuns(repository, shared=settings.remote, workers=settings.workers)
        try:
            # With several workers, `kgrepo serve` abandons the stale runs once, before starting
            # them: workers doing it at once would each write the same run's end.
            abandoned = runs.abandon_stale() if settings.workers == 1 else 0
            if abandoned:
                _log.warning("abandoned %d runs left open by a previous server", abandoned)
            if settings.demo and settings.workers == 1 and not repository.experiments():
                demo_module.record(repository)
                demo_module.record_tuning(repository)
            app.state.kgrepo = ServerState(settings, repository, tokens, runner, runs)
            yield
        finally:
            runner.close()
            tokens.close()
            repository.close()

    app = FastAPI(
        title="kgrepo",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_middleware(problems.BodyLimit, limit=settings.max_body)
    app.include_router(sparql.router)
    # Lineage first: its routes end in a suffix (/lineage, /dag, /trace) that the catch-all
    # `{iri:path}` routes of the others would otherwise swallow.
    app.include_router(routes_lineage.router, prefix="/api/v1")
    app.include_router(routes_runs.router, prefix="/api/v1")
    app.include_router(routes_artifacts.router, prefix="/api/v1")
    app.include_router(routes_recommendations.router, prefix="/api/v1")
    app.add_api_route("/healthz", healthz, tags=["server"], summary="Liveness")
    return app


async def healthz() -> dict[str, str]:
    """``{"status": "ok"}`` while the server runs (no token needed)."""
    return {"status": "ok"}


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` (how ``kgrepo serve`` starts its workers)."""
    return create_app(Settings.from_env())


__all__ = ["app_from_env", "create_app", "open_store", "query_runner"]
