"""Training a PyKEEN link-prediction model on labelled triples, with PyKEEN's overheads removed.

:func:`train_triples` is the one place kgrepo calls PyKEEN's ``pipeline``: the repository's
training graph (:func:`kgrepo.embeddings.train`) and the soundness benchmark on Nations and
Kinships (``benchmarks/recommend/``) both go through it, so the benchmark measures this code.

Two overheads dominate training on small graphs (measured in ``BENCHMARKS.md``):

* PyKEEN calls ``gc.collect()`` after every epoch; a full collection walks every object the
  process holds (torch and pykeen alone leave hundreds of thousands), about 0.4 s here. While
  training, :func:`_frozen_gc` moves the objects that exist before training into the collector's
  permanent generation (``gc.freeze()``), so each collection only walks objects made during
  training, then ``gc.unfreeze()`` puts them back: nothing is leaked, the per-epoch collection
  still frees training garbage, and nothing stays changed after the call.
* torch 2.13 imports ``torch._dynamo`` (2–3 s) the first time an optimizer is built
  (``Optimizer.add_param_group`` is wrapped in ``torch._disable_dynamo``) and in every
  ``step``; it is a once-per-process cost that cannot be skipped without replacing torch's
  optimizers, so it is left alone and reported.

torch and pykeen are imported inside the functions: ``import kgrepo.embeddings`` stays light.
"""

from __future__ import annotations

import gc
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgrepo.embeddings.config import TrainingConfig

__all__ = ["TrainedTriples", "TrainingConfig", "device", "train_triples"]


@dataclass
class TrainedTriples:
    """A trained PyKEEN model with its metrics (filtered, both sides, on ``testing``).

    ``validation`` is early stopping's history: ``(epoch, value of the stopping metric on the
    validation split)`` at each evaluation (empty without validation); ``stopped`` whether early
    stopping ended the training, in which case the weights kept are those of ``best_epoch``;
    otherwise the ``epochs`` cap ended it and the last weights are kept, as PyKEEN does.
    """

    model: Any
    training: Any
    metrics: dict[str, float]
    epochs: int
    seconds: float
    device: str
    validation: list[tuple[int, float]] = field(default_factory=list)
    stopped: bool = False
    best_epoch: int | None = None


def device(requested: str | None) -> str:
    """The torch device: the requested one, else CUDA when present, else the CPU."""
    import torch

    if requested is not None:
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def train_triples(
    training: Any, validation: Any | None, testing: Any, config: TrainingConfig
) -> TrainedTriples:
    """Trains ``config.model`` on the PyKEEN triples factory ``training`` and evaluates it on
    ``testing`` (filtered by training and validation), with early stopping on ``validation``
    when given."""
    from pykeen.pipeline import pipeline

    where = device(config.device)
    stopper: dict[str, Any] = {}
    if validation is not None:
        stopper = {
            "stopper": "early",
            "stopper_kwargs": {
                "frequency": config.evaluate_every,
                "patience": config.patience,
                "relative_delta": config.relative_delta,
                "metric": config.stopping_metric,
                "larger_is_better": config.larger_is_better,
            },
        }
    sampling: dict[str, Any] = {}
    if not config.lcwa:
        sampling = {
            "negative_sampler": config.negative_sampler,
            "negative_sampler_kwargs": {"num_negs_per_pos": config.negatives_per_positive},
        }
    loss: dict[str, Any] = {}
    if config.loss is not None:
        loss = {"loss": config.loss, "loss_kwargs": dict(config.loss_kwargs)}
    smoothing = {"label_smoothing": config.label_smoothing} if config.label_smoothing else {}
    started = time.perf_counter()
    with (
        _frozen_gc(),
        quiet_pykeen(),
        threads(config.threads),
        tempfile.TemporaryDirectory(prefix="kgrepo-stopper-") as scratch,
    ):
        if stopper:
            # PyKEEN keeps the best weights under its own checkpoint folder and removes them only
            # when it stops early; a run that reaches the epoch cap would leave them behind
            stopper["stopper_kwargs"]["best_model_path"] = Path(scratch) / "best.pt"
        result = pipeline(
            training=training,
            validation=validation if validation is not None else testing,
            testing=testing,
            model=config.model,
            model_kwargs={"embedding_dim": config.embedding_dim, **config.model_kwargs},
            optimizer="Adam",
            optimizer_kwargs={"lr": config.learning_rate},
            training_loop=config.training_loop,
            # the memory search probes batch sizes with an extra training pass; it is for GPUs
            training_loop_kwargs={"automatic_memory_optimization": where != "cpu"},
            training_kwargs={
                "num_epochs": config.epochs,
                "batch_size": min(config.batch_size, training.num_triples),
                "use_tqdm": config.progress,
                "use_tqdm_batch": False,
                # pinning needs an accelerator; on the CPU torch only warns about it
                "pin_memory": where != "cpu",
                **smoothing,
            },
            evaluation_kwargs={"use_tqdm": False},
            random_seed=config.seed,
            device=where,
            **sampling,
            **loss,
            **stopper,
        )
    seconds = time.perf_counter() - started
    # PyKEEN's EarlyStopper keeps each evaluation's value; its base class Stopper does not
    history: list[float] = getattr(result.stopper, "results", []) if stopper else []
    every = config.evaluate_every
    evaluations = [(every * (i + 1), float(v)) for i, v in enumerate(history)]
    return TrainedTriples(
        result.model,
        training,
        _metrics(result.metric_results),
        len(result.losses),
        seconds,
        where,
        evaluations,
        bool(getattr(result.stopper, "stopped", False)),
        getattr(result.stopper, "best_epoch", None) if stopper else None,
    )


def _metrics(results: Any) -> dict[str, float]:
    names = {
        "mrr": "both.realistic.inverse_harmonic_mean_rank",
        "hits_at_1": "both.realistic.hits_at_1",
        "hits_at_3": "both.realistic.hits_at_3",
        "hits_at_10": "both.realistic.hits_at_10",
    }
    return {k: float(results.get_metric(v)) for k, v in names.items()}


@contextmanager
def _frozen_gc() -> Iterator[None]:
    """Objects older than the training are left out of the per-epoch collections (see module
    docstring); they are handed back to the collector afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def threads(count: int | None) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def quiet_pykeen() -> Iterator[None]:
    """PyKEEN and torch_max_mem log at INFO/WARNING on every run (evaluation times, a note that
    CPU memory is not auto-tuned), and PyKEEN warns about an argument it passes itself; kgrepo's
    callers did not ask for them."""
    import logging

    loggers = [logging.getLogger(n) for n in ("pykeen", "torch_max_mem")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # PyKEEN 1.11 passes shuffle=True to its own instances, then warns that it is ignored
            warnings.filterwarnings(
                "ignore", "Training instances are always shuffled", DeprecationWarning
            )
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def split(
    triples: Sequence[tuple[str, str, str]], share: float, seed: int
) -> tuple[Any, Any | None]:
    """A PyKEEN triples factory of ``triples`` split into training and validation (``share``;
    every entity stays in training). With ``share`` 0 or too few triples, no validation."""
    import numpy as np
    from pykeen.triples import TriplesFactory

    factory = TriplesFactory.from_labeled_triples(np.array(list(triples), dtype=str))
    if share <= 0 or len(triples) * share < 2:
        return factory, None
    training, validation = factory.split([1 - share, share], random_state=seed)
    return training, validation
