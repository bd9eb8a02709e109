"""The errors of the embeddings, each a subclass of one of kgrepo's (see :mod:`kgrepo.errors`)::

InvalidState
└── NotEnoughHistory   the repository is too small to learn from (cold start)
NotFound
└── NoModel            no embedding model has been trained in this repository
InvalidInput
└── BadModelFile       a saved model is corrupted or from another version
"""

from __future__ import annotations

from kgrepo.errors import InvalidInput, InvalidState, NotFound

__all__ = ["BadModelFile", "NoModel", "NotEnoughHistory"]

HOW_TO_TRAIN = (
    "train one with `kgrepo embeddings train` or kgrepo.embeddings.train(repo) "
    "(it needs scored runs on at least {datasets} datasets)"
)


class NotEnoughHistory(InvalidState):
    """The graph is too small to learn from: ``runs`` scored runs on ``datasets`` datasets, when
    at least ``min_runs`` and ``min_datasets`` are needed."""

    def __init__(self, runs: int, datasets: int, min_runs: int, min_datasets: int) -> None:
        self.runs = runs
        self.datasets = datasets
        self.min_runs = min_runs
        self.min_datasets = min_datasets
        super().__init__(
            f"not enough history to learn from: {runs} scored run(s) on {datasets} dataset(s); "
            f"the recommender needs at least {min_runs} scored runs on {min_datasets} datasets. "
            "Record more runs (with their dataset and primary metric) first"
        )


class NoModel(NotFound):
    """No embedding model is recorded in the repository (or the one named is not)."""


class BadModelFile(InvalidInput):
    """A saved model file is corrupted, has been changed, or was saved by another version."""
