"""The named SPARQL queries under ``ontology/queries/``, loaded by name.

Each ``.rq`` file documents itself in its leading comments, including the variables to bind;
values are always bound as inline data (:mod:`kgrepo._bind`), never formatted into the text.

>>> "SELECT" in text("experiments")
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kgrepo._ontology import resource
from kgrepo.errors import NotFound

if TYPE_CHECKING:
    from kgrepo.repository import Repository
    from kgrepo.store import Term


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


#: The most values :func:`select_each` binds in one query.
CHUNK = 500


def select_each(
    repo: Repository,
    name: str,
    variable: str,
    values: Iterable[Term],
    **bindings: Term | Sequence[Term],
) -> list[dict[str, Any]]:
    """The rows of the named query with ``variable`` bound to each of ``values`` in turn.

    The values go in as inline data, at most :data:`CHUNK` per query: with a larger block
    Oxigraph may plan the join the other way round (``artifact-info`` for 4,303 artifacts took
    269 s in one query and 3.4 s in chunks of 500; it stays linear up to about 1,000). So the
    query must give each value's rows on their own: it projects ``?variable`` and does not
    aggregate across values.
    """
    distinct = sorted(set(values), key=str)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(distinct), CHUNK):
        chunk = distinct[start : start + CHUNK]
        rows += repo.select(text(name), **{variable: chunk}, **bindings)
    return rows
