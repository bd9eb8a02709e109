"""kgrepo's ontology as package data: ``kgrepo.ttl``, ``shapes.ttl``, ``imports/`` and ``queries/``.

Installed as ``kgrepo.ontology``; read the files with :func:`kgrepo.ontology.path`.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable


def path(name: str) -> Traversable:
    """The packaged file ``name`` (e.g. ``"kgrepo.ttl"`` or ``"queries/lineage.rq"``)."""
    return files(__name__).joinpath(name)
