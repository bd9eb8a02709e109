"""kgrepo's server (installed as ``kgrepo.api``, extra ``server``): the REST API under ``/api/v1``,
the SPARQL 1.1 Protocol at ``/sparql``, tokens and roles, errors as problem+json.

``create_app(Settings(...))`` builds the FastAPI app (``kgrepo serve`` runs it on uvicorn). One
module per concept: :mod:`~kgrepo.api.settings`, :mod:`~kgrepo.api.app` (factory and lifespan),
:mod:`~kgrepo.api.deps` (dependencies), :mod:`~kgrepo.api.problems` (the error table),
:mod:`~kgrepo.api.tokens`, :mod:`~kgrepo.api.sparql` and :mod:`~kgrepo.api.sparql_runner` (the
protocol and its killable query workers), :mod:`~kgrepo.api.open_runs`, the ``routes_*`` modules,
:mod:`~kgrepo.api.models` and :mod:`~kgrepo.api.convert` (request bodies).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `kgrepo token …` (which needs only the token store) does not import FastAPI's
    # whole app, and importing the package does no work.
    if name == "create_app":
        from kgrepo.api.app import create_app

        return create_app
    if name == "Settings":
        from kgrepo.api.settings import Settings

        return Settings
    raise AttributeError(name)
