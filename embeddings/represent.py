"""How the recommender sees a dataset, and how it estimates a configuration's outcome there.

A dataset the model was trained on is itself. An **unseen** dataset (known only by its
characteristics) is represented by training datasets weighted by similarity: each characteristic
as its quantile among the training datasets, Euclidean distance ``d``, weight ``1/(d + 0.05)``.

A configuration's estimated outcome on a represented dataset (:func:`estimate`) is the weighted
mean, over the representing datasets, of its outcome on each: the observed score quantile where
the history holds it (a fact), else the model's link prediction
(:meth:`~.model.EmbeddingModel.expected_outcomes`). Each configuration's score therefore says how
much of its weight rests on observed runs.

**How many training datasets** (:func:`neighbourhood`). Two representations are principled and
neither wins everywhere:

* the :data:`LOCAL` nearest datasets: right when their evidence is complete (every configuration
  observed on them), because close datasets predict best;
* every training dataset: the heavy-tailed weights then act as shrinkage towards the average over
  all past datasets (the "best on average" choice) — a very close dataset still dominates, but
  when no dataset is close, or when the near ones tried few configurations and most of their
  outcomes are predictions, the estimate leans on the rest of the history instead of on a few
  noisy values.

Which one suits a history is measured on the history itself, when a request leaves
``neighbours`` unset: each training dataset in turn is represented by the others (as if unseen),
and the representation whose estimates rank that dataset's observed outcomes better (mean
Spearman correlation over the training datasets) is used. This needs no held-out data, depends
only on the model, and is computed once per model. On the evaluation's meta-dataset it chooses the
local representation for a complete history and every dataset for a sparse one (BENCHMARKS.md,
"Is the recommender useful?").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from kgrepo.embeddings.discretise import is_number
from kgrepo.embeddings.model import EmbeddingModel

from kgrepo.errors import InvalidInput

__all__ = ["LOCAL", "estimate", "neighbourhood", "represent"]

#: The number of nearest training datasets of the local representation.
LOCAL = 3
#: Keeps the weight of a training dataset at distance 0 finite.
_OFFSET = 0.05


def represent(
    model: EmbeddingModel,
    dataset: str | None,
    characteristics: Mapping[str, Any],
    neighbours: int | None,
) -> tuple[dict[str, float], bool]:
    """The datasets representing the request's dataset with their weights (summing to 1, nearest
    first), and whether it is unseen. ``neighbours``: how many nearest training datasets; None:
    :func:`neighbourhood`'s choice. Raises :class:`~kgrepo.errors.InvalidInput` when an unseen
    dataset has none of the characteristics the model knows."""
    graph = model.graph
    if dataset is not None and dataset in model.entity_to_id:
        return {dataset: 1.0}, False
    if not any(is_number(characteristics.get(n)) for n in graph.characteristic_bins):
        raise InvalidInput(
            "RecommendationRequest",
            "characteristics",
            dict(characteristics),
            "the dataset is not in the model and has none of the characteristics it knows: "
            f"{', '.join(sorted(graph.characteristic_bins)) or 'none'} "
            "(kgrepo.embeddings.characteristics computes them)",
        )
    target = graph.characteristic_vector(characteristics)
    known = _datasets(model)
    distances = np.array([np.linalg.norm(graph.dataset_vectors[d] - target) for d in known])
    count = neighbours if neighbours is not None else neighbourhood(model)
    nearest = np.argsort(distances, kind="stable")[:count]  # None: all, nearest first
    weights = {known[i]: 1.0 / (float(distances[i]) + _OFFSET) for i in nearest}
    total = sum(weights.values())
    return {d: w / total for d, w in weights.items()}, True


def estimate(
    model: EmbeddingModel, weights: Mapping[str, float], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For each configuration label (known to the model): the weighted mean over ``weights``'
    datasets of its outcome there (observed quantile, else predicted), and the share of the
    weight that observed outcomes carry."""
    datasets = list(weights)
    w = np.array([weights[d] for d in datasets], dtype=float)
    w = w / (w.sum() or 1.0)
    filled, seen = _outcomes(model, datasets, labels)
    return w @ filled, w @ seen


def neighbourhood(model: EmbeddingModel) -> int | None:
    """:data:`LOCAL` or None (every training dataset): the representation of an unseen dataset
    that ranks the training datasets' own observed outcomes better, each training dataset left
    out in turn (see module docstring). Cached on the model."""
    if "neighbourhood" not in model.cache:
        model.cache["neighbourhood"] = _choose(model)
    found: int | None = model.cache["neighbourhood"]
    return found


def _choose(model: EmbeddingModel) -> int | None:
    datasets = _datasets(model)
    if len(datasets) <= LOCAL + 1:
        return None  # the local representation would be every other dataset anyway
    labels = [label for label in model.graph.configs if label in model.entity_to_id]
    filled, seen = _outcomes(model, datasets, labels)
    vectors = np.array([model.graph.dataset_vectors[d] for d in datasets])
    distances = np.linalg.norm(vectors[:, None, :] - vectors[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)  # a dataset never represents itself
    agreement = {}
    for option in (LOCAL, None):
        values = []
        for i in range(len(datasets)):
            nearest = np.argsort(distances[i], kind="stable")[: option or len(datasets) - 1]
            w = np.zeros(len(datasets))
            w[nearest] = 1.0 / (distances[i, nearest] + _OFFSET)
            estimated = w @ filled / w.sum()
            values.append(_rank_correlation(estimated[seen[i]], filled[i, seen[i]]))
        agreement[option] = np.nanmean(values) if not np.isnan(values).all() else -np.inf
    # ties keep the local representation: the simpler claim
    return LOCAL if agreement[LOCAL] >= agreement[None] else None


def _datasets(model: EmbeddingModel) -> list[str]:
    return [d for d in model.graph.datasets if d in model.entity_to_id]


def _outcomes(
    model: EmbeddingModel, datasets: Sequence[str], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The datasets x labels outcome matrix (observed quantile, else predicted) and where it was
    observed."""
    predicted = model.expected_outcomes(datasets, labels)
    observed = np.full(predicted.shape, np.nan)
    rows = {d: i for i, d in enumerate(datasets)}
    columns = {label: j for j, label in enumerate(labels)}
    for (label, dataset), quantile in model.graph.outcomes.items():
        i, j = rows.get(dataset), columns.get(label)
        if i is not None and j is not None:
            observed[i, j] = quantile
    seen = ~np.isnan(observed)
    return np.where(seen, observed, predicted), seen


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties share their mean rank); NaN when undefined."""
    if len(a) < 3:
        return float("nan")
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    _, tie, counts = np.unique(values, return_inverse=True, return_counts=True)
    return np.asarray((np.bincount(tie, weights=ranks) / counts)[tie])
