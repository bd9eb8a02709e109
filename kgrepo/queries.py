"""The named SPARQL queries under ``ontology/queries/``, loaded by name.

Each ``.rq`` file documents itself in its leading comments, including the variables to bind;
values are always bound as inline data (:mod:`kgrepo._bind`), never formatted into the text.

>>> "SELECT" in text("experiments")
True
"""

from __future__ import annotations

import functools

from kgrepo._ontology import resource
from kgrepo.errors import NotFound


@functools.cache
def text(name: str) -> str:
    """The text of ``ontology/queries/<name>.rq``."""
    found = resource(f"queries/{name}.rq")
    if not found.is_file():
        raise NotFound(f"no named query {name!r} in ontology/queries/")
    return str(found.read_text(encoding="utf-8"))


def names() -> list[str]:
    """The names of all packaged queries."""
    folder = resource("queries")
    return sorted(p.name.removesuffix(".rq") for p in folder.iterdir() if p.name.endswith(".rq"))
