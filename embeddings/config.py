"""How kgrepo trains embeddings: :class:`TrainingConfig`, PyKEEN's choices under PyKEEN's names,
checked when the configuration is made (see :mod:`kgrepo.embeddings.training` for the training).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from kgrepo.errors import InvalidInput

__all__ = ["TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
    """How to train the embeddings, with PyKEEN's names: ``model``, ``negative_sampler``,
    ``training_loop`` and ``loss`` are a name PyKEEN resolves (``"DistMult"``, ``"basic"``,
    ``"lcwa"``, ``"crossentropy"``) or a class; ``model_kwargs`` and ``loss_kwargs`` go to them
    (``embedding_dim`` to the model too).

    ``training_loop`` is ``"slcwa"`` (each true triple scored against ``negatives_per_positive``
    corrupted ones from ``negative_sampler``: cheap per step, what the recommender uses) or
    ``"lcwa"`` (each head and relation scored against *every* entity at once, 1-to-N, as most
    published results on small benchmarks are trained). LCWA draws no negatives:
    ``negative_sampler`` and ``negatives_per_positive`` are ignored then, and left out of
    :meth:`to_params`. ``loss`` None keeps the model's default loss (PyKEEN's). ``label_smoothing``
    (from 0 to below 1) softens the 0/1 targets, usually with LCWA.

    Early stopping evaluates every ``evaluate_every`` epochs on the validation split
    (``validation_share`` of the triples) and stops after ``patience`` evaluations without a
    relative improvement of ``relative_delta`` in ``stopping_metric`` (a rank-based metric name
    PyKEEN resolves, both sides, realistic ranks: ``"hits_at_10"``, ``"mrr"``; a metric where
    smaller is better, such as ``"mean_rank"``, is watched for decreases). Hits@10 suits graphs
    with hundreds of entities; on a dozen entities it saturates early and MRR is the one to watch.
    ``threads`` is torch's intra-op thread count while training (None: torch's default); the
    graphs kgrepo learns from are small, and on a busy machine one thread is many times faster
    than several fighting for cores (see BENCHMARKS.md).

    Names other than the defaults are resolved by PyKEEN when the configuration is made (so it
    imports PyKEEN then); an unknown one raises :class:`~kgrepo.errors.InvalidInput`.

    >>> TrainingConfig(training_loop="lcwa", loss="crossentropy").to_params()["training_loop"]
    'lcwa'
    >>> TrainingConfig(stopping_metric="best")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kgrepo.errors.InvalidInput: TrainingConfig: field 'stopping_metric' = 'best': not a rank-...
    """

    model: str | type = "DistMult"
    embedding_dim: int = 64
    epochs: int = 200
    negative_sampler: str | type = "basic"
    negatives_per_positive: int = 8
    learning_rate: float = 0.01
    batch_size: int = 256
    seed: int = 42
    validation_share: float = 0.1
    evaluate_every: int = 10
    patience: int = 3
    relative_delta: float = 0.002
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)
    training_loop: str | type = "slcwa"
    loss: str | type | None = None
    loss_kwargs: Mapping[str, Any] = field(default_factory=dict)
    label_smoothing: float = 0.0
    stopping_metric: str = "hits_at_10"
    device: str | None = None
    threads: int | None = 1
    progress: bool = True

    def __post_init__(self) -> None:
        for name, low, high in (
            ("embedding_dim", 1, 4096),
            ("epochs", 1, 100_000),
            ("negatives_per_positive", 1, 1000),
            ("batch_size", 1, 1 << 20),
            ("evaluate_every", 1, 100_000),
            ("patience", 1, 1000),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput(
                    "TrainingConfig", name, value, f"expected an integer from {low} to {high}"
                )
        if self.threads is not None and (
            not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 1
        ):
            raise InvalidInput(
                "TrainingConfig", "threads", self.threads, "expected a positive integer or None"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidInput("TrainingConfig", "seed", self.seed, "expected an integer")
        for name, low, high in (  # type: ignore[assignment]
            ("learning_rate", 0.0, 10.0),
            ("validation_share", 0.0, 0.5),
            ("relative_delta", 0.0, 1.0),
            ("label_smoothing", 0.0, 1.0),
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidInput("TrainingConfig", name, value, "expected a number")
            if name == "label_smoothing" and not 0 <= value < 1:
                raise InvalidInput("TrainingConfig", name, value, "expected a number in [0, 1)")
            if not low <= value <= high or (name == "learning_rate" and value == 0):
                raise InvalidInput(
                    "TrainingConfig", name, value, f"expected a number in ({low}, {high}]"
                )
        for name in ("model", "negative_sampler", "training_loop", "loss"):
            value = getattr(self, name)
            if not isinstance(value, str | type) and not (name == "loss" and value is None):
                raise InvalidInput("TrainingConfig", name, value, "expected a name or a class")
        for name in ("model_kwargs", "loss_kwargs"):
            if not isinstance(getattr(self, name), Mapping):
                raise InvalidInput(
                    "TrainingConfig", name, getattr(self, name), "expected a mapping"
                )
        if not isinstance(self.stopping_metric, str):
            raise InvalidInput(
                "TrainingConfig", "stopping_metric", self.stopping_metric, "expected a name"
            )
        if self.loss is None and self.loss_kwargs:
            raise InvalidInput(
                "TrainingConfig",
                "loss_kwargs",
                dict(self.loss_kwargs),
                "given without a loss; name the loss they are for",
            )
        _check_pykeen_names(self)

    @property
    def lcwa(self) -> bool:
        """Whether the training loop scores against all entities (no negative sampling)."""
        return not _is_slcwa(self.training_loop)

    @property
    def larger_is_better(self) -> bool:
        """Whether early stopping waits for ``stopping_metric`` to grow (else to shrink)."""
        if self.stopping_metric == "hits_at_10":
            return True
        from pykeen.evaluation.rank_based_evaluator import RankBasedMetricResults
        from pykeen.metrics.ranking import rank_based_metric_resolver

        metric = RankBasedMetricResults.key_from_string(self.stopping_metric).metric
        if metric.startswith("hits_at_"):
            return True
        return bool(rank_based_metric_resolver.lookup(metric).increasing)

    @property
    def model_name(self) -> str:
        return self.model if isinstance(self.model, str) else self.model.__name__

    def to_params(self) -> dict[str, Any]:
        """The configuration as flat setting values (classes by name), for recording."""
        out = asdict(self)
        for name in ("model", "negative_sampler", "training_loop", "loss"):
            value = getattr(self, name)
            out[name] = value.__name__ if isinstance(value, type) else value
        out["model_kwargs"] = {k: v for k, v in self.model_kwargs.items()}
        out["loss_kwargs"] = {k: v for k, v in self.loss_kwargs.items()}
        if self.lcwa:
            del out["negative_sampler"], out["negatives_per_positive"]
        out["device"] = self.device or "auto"
        out["threads"] = self.threads or 0
        del out["progress"]
        return out


def _is_slcwa(loop: str | type) -> bool:
    if isinstance(loop, str):
        if loop.lower() == "slcwa":
            return True
        from pykeen.training import training_loop_resolver

        loop = training_loop_resolver.lookup(loop)
    from pykeen.training import SLCWATrainingLoop

    return issubclass(loop, SLCWATrainingLoop)


def _check_pykeen_names(config: TrainingConfig) -> None:
    """Resolves the names that are not defaults with PyKEEN's resolvers (importing PyKEEN only
    then), so a typo fails when the configuration is made, not after the graph was projected."""
    if isinstance(config.training_loop, str) and config.training_loop.lower() == "slcwa":
        loop_ok = True
    else:
        from pykeen.training import training_loop_resolver

        loop_ok = _resolves(training_loop_resolver, config.training_loop)
    if not loop_ok:
        raise InvalidInput(
            "TrainingConfig",
            "training_loop",
            config.training_loop,
            "not a PyKEEN training loop (expected 'slcwa' or 'lcwa')",
        )
    if config.loss is not None:
        from pykeen.losses import loss_resolver

        if not _resolves(loss_resolver, config.loss):
            raise InvalidInput(
                "TrainingConfig",
                "loss",
                config.loss,
                "not a PyKEEN loss (e.g. 'softplus', 'crossentropy', 'bcewithlogits', 'nssa')",
            )
    if config.stopping_metric != "hits_at_10":
        from pykeen.evaluation.rank_based_evaluator import RankBasedMetricResults

        try:
            RankBasedMetricResults.key_from_string(config.stopping_metric)
        except (KeyError, ValueError, AssertionError):
            raise InvalidInput(
                "TrainingConfig",
                "stopping_metric",
                config.stopping_metric,
                "not a rank-based metric PyKEEN knows (e.g. 'hits_at_10', 'mrr')",
            ) from None


def _resolves(resolver: Any, value: str | type) -> bool:
    """Whether PyKEEN's ``resolver`` knows ``value`` (a name, or one of its classes)."""
    if isinstance(value, type):
        return issubclass(value, resolver.base)
    try:
        resolver.lookup(value)
    except (KeyError, ValueError):
        return False
    return True
