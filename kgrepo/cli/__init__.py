"""The ``kgrepo`` command line: ``kgrepo --help`` lists the commands.

The repository is ``./.kgrepo`` unless ``--repo`` (or the environment variable ``KGREPO_REPO``)
says otherwise. Each area of commands lives in its own module of this package and registers itself
on the main group when imported here.
"""

import kgrepo.cli.embeddings  # noqa: F401  (registers `embeddings train` and `recommend`)
from kgrepo.cli import compare, dag, history, lineage, listing  # noqa: F401  (registers commands)
from kgrepo.cli._core import main

__all__ = ["main"]
