"""TrainingConfig's PyKEEN choices (training loop, loss, label smoothing, early-stopping metric):
bad values refused with the field named, what is recorded, and a real LCWA training on PyKEEN's
bundled Nations through ``train_triples``."""

from __future__ import annotations

import pytest

import kgrepo

pytest.importorskip("pykeen")  # the embeddings extra

from kgrepo.embeddings.training import TrainingConfig, train_triples


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"training_loop": "owa"}, "training_loop", "not a PyKEEN training loop"),
        ({"training_loop": 3}, "training_loop", "expected a name or a class"),
        ({"training_loop": int}, "training_loop", "not a PyKEEN training loop"),
        ({"loss": "hinge-ish"}, "loss", "not a PyKEEN loss"),
        ({"loss": dict}, "loss", "not a PyKEEN loss"),
        ({"loss": 0.5}, "loss", "expected a name or a class"),
        ({"loss_kwargs": {"margin": 2.0}}, "loss_kwargs", "given without a loss"),
        ({"loss": "softplus", "loss_kwargs": [1]}, "loss_kwargs", "expected a mapping"),
        ({"stopping_metric": "best"}, "stopping_metric", "not a rank-based metric"),
        ({"stopping_metric": "hits_at_0"}, "stopping_metric", "not a rank-based metric"),
        ({"stopping_metric": 10}, "stopping_metric", "expected a name"),
        ({"label_smoothing": 1.0}, "label_smoothing", r"expected a number in \[0, 1\)"),
        ({"label_smoothing": -0.1}, "label_smoothing", r"expected a number in \[0, 1\)"),
        ({"label_smoothing": "0.1"}, "label_smoothing", "expected a number"),
        ({"negative_sampler": 8}, "negative_sampler", "expected a name or a class"),
    ],
)
def test_bad_pykeen_choices_are_refused(fields: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(kgrepo.InvalidInput, match=reason) as err:
        TrainingConfig(**fields)  # type: ignore[arg-type]
    assert err.value.field == field and err.value.value == fields[field]


def test_pykeen_names_and_classes_are_accepted() -> None:
    from pykeen.losses import CrossEntropyLoss
    from pykeen.training import LCWATrainingLoop

    by_name = TrainingConfig(training_loop="LCWA", loss="crossentropy", stopping_metric="mrr")
    by_class = TrainingConfig(training_loop=LCWATrainingLoop, loss=CrossEntropyLoss)
    assert by_name.lcwa and by_class.lcwa and not TrainingConfig().lcwa
    assert by_class.to_params()["training_loop"] == "LCWATrainingLoop"
    assert by_class.to_params()["loss"] == "CrossEntropyLoss"


def test_the_stopping_metric_sets_the_direction() -> None:
    assert TrainingConfig().larger_is_better
    assert TrainingConfig(stopping_metric="mrr").larger_is_better
    assert TrainingConfig(stopping_metric="hits@3").larger_is_better
    assert not TrainingConfig(stopping_metric="mean_rank").larger_is_better


def test_lcwa_records_no_negative_sampling() -> None:
    slcwa = TrainingConfig().to_params()
    assert slcwa["negatives_per_positive"] == 8 and slcwa["training_loop"] == "slcwa"
    assert slcwa["loss"] is None and slcwa["stopping_metric"] == "hits_at_10"
    lcwa = TrainingConfig(training_loop="lcwa", negative_sampler="bernoulli").to_params()
    assert "negative_sampler" not in lcwa and "negatives_per_positive" not in lcwa


@pytest.mark.slow
def test_lcwa_training_on_nations_runs_through_train_triples() -> None:
    from pykeen.datasets import Nations

    data = Nations()
    config = TrainingConfig(
        model="DistMult",
        embedding_dim=16,
        epochs=4,
        evaluate_every=2,
        patience=1,
        training_loop="lcwa",
        loss="crossentropy",
        label_smoothing=0.1,
        stopping_metric="mrr",
        # ignored by LCWA (PyKEEN itself refuses a sampler with LCWA)
        negative_sampler="bernoulli",
        progress=False,
        seed=5,
    )
    trained = train_triples(data.training, data.validation, data.testing, config)
    assert 1 <= trained.epochs <= 4 and trained.seconds > 0
    assert set(trained.metrics) == {"mrr", "hits_at_1", "hits_at_3", "hits_at_10"}
    m = trained.metrics
    # 14 entities: a model no better than chance has an MRR near 0.23 (mean of 1/U(1..14))
    assert 0 < m["hits_at_1"] <= m["hits_at_3"] <= m["hits_at_10"] <= 1 and 0 < m["mrr"] <= 1
    assert type(trained.model.loss).__name__ == "CrossEntropyLoss"
    assert [e for e, _ in trained.validation] == [2, 4][: len(trained.validation)]
    assert trained.validation and all(0 < v <= 1 for _, v in trained.validation)
    assert trained.best_epoch in [e for e, _ in trained.validation]
