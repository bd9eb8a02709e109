"""Link-prediction embeddings over the repository: what to try next (SPEC scenario 7).

Installed as ``kgrepo.embeddings`` with the extra ``kgrepo[embeddings]``. torch and pykeen are
imported only where a model is trained or used, so ``import kgrepo.embeddings`` stays light.

The pieces, one module each: :mod:`~kgrepo.embeddings.characteristics` (dataset meta-features to
record on a Dataset), :mod:`~kgrepo.embeddings.graph` (the repository projected into training
triples), :mod:`~kgrepo.embeddings.training` (PyKEEN, with its overheads removed),
:mod:`~kgrepo.embeddings.learn` (train and record the model in the repository, load it back),
:mod:`~kgrepo.embeddings.space` (search spaces and candidates),
:mod:`~kgrepo.embeddings.represent` (how an unseen dataset is represented and a configuration's
outcome estimated) and :mod:`~kgrepo.embeddings.recommend` (ranked, explained, recorded
recommendations).
"""

try:  # numpy (and torch, pykeen) come with the extra; without it, say how to get them
    import numpy  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised by tests/test_packaging.py
    raise ImportError(
        "kgrepo.embeddings needs the 'embeddings' extra: pip install torch==2.13.0 "
        "'kgrepo[embeddings]' (torch first and pinned, see the README)"
    ) from err

from kgrepo.embeddings.characteristics import characteristics, describe_dataset
from kgrepo.embeddings.errors import BadModelFile, NoModel, NotEnoughHistory
from kgrepo.embeddings.graph import Projection, TrainingGraph, project
from kgrepo.embeddings.learn import load, train
from kgrepo.embeddings.model import EmbeddingModel
from kgrepo.embeddings.recommend import (
    Recommendation,
    RecommendationRequest,
    Recommendations,
    recommend,
)
from kgrepo.embeddings.space import Choice, Range
from kgrepo.embeddings.training import TrainingConfig

__all__ = [
    "BadModelFile",
    "Choice",
    "EmbeddingModel",
    "NoModel",
    "NotEnoughHistory",
    "Projection",
    "Range",
    "Recommendation",
    "RecommendationRequest",
    "Recommendations",
    "TrainingConfig",
    "TrainingGraph",
    "characteristics",
    "describe_dataset",
    "load",
    "project",
    "recommend",
    "train",
]
