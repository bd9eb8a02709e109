"""The ``kgrepo`` command line: ``kgrepo --help`` lists the commands.

The repository is ``./.kgrepo`` unless ``--repo`` (or the environment variable ``KGREPO_REPO``)
says otherwise. Each area of commands lives in its own module of this package and registers itself
on the main group when imported here.
"""

from kgrepo.cli import (  # noqa: F401  (registers commands)
    compare,
    dag,
    embeddings,
    history,
    lineage,
    listing,
    serve,
)
from kgrepo.cli._core import main

__all__ = ["main"]
