"""How an unseen dataset is represented (kgrepo.embeddings.represent), with real PyKEEN training
on a small history recorded through kgrepo's API: two clusters of datasets whose characteristics
say which algorithm wins on them, so the nearest datasets are the right evidence."""

from __future__ import annotations

import numpy as np
import pytest
from kgrepo.embeddings import EmbeddingModel, TrainingConfig, TrainingGraph, recommend, train
from kgrepo.embeddings.learn import train_graph
from kgrepo.embeddings.represent import LOCAL, _rank_correlation, neighbourhood

import kgrepo

pytestmark = pytest.mark.slow

CONFIG = TrainingConfig(embedding_dim=8, epochs=20, evaluate_every=10, progress=False, seed=1)
SMALL = {"rows": 100, "features": 4, "classes": 2}
LARGE = {"rows": 10_000, "features": 40, "classes": 10}


def score(cluster: str, algorithm: str, value: int, index: int) -> float:
    """Trees win on small datasets, KNN on large ones; deeper / more neighbours a little better."""
    favoured = (cluster == "small") == (algorithm == "tree")
    return (0.8 if favoured else 0.6) + 0.02 * value + 0.001 * index


@pytest.fixture(scope="module")
def clustered() -> tuple[kgrepo.Repository, EmbeddingModel]:
    repo = kgrepo.Repository.in_memory()
    for cluster, base in (("small", SMALL), ("large", LARGE)):
        for index in range(3):
            chars = {k: v + index for k, v in base.items()}
            name = f"{cluster}-{index}"
            dataset = kgrepo.Dataset(
                name, digest=f"sha256:{name.encode().hex()}", characteristics=chars
            )
            exp = repo.experiment(f"tune-{name}")
            for algorithm, parameter in (("tree", "max_depth"), ("knn", "n_neighbors")):
                for value in (1, 2, 3, 4):
                    with exp.run() as run, run.step("cv", kind="train") as step:
                        step.use(dataset)
                        step.set_params(algorithm=algorithm, **{parameter: value})
                        step.log_metric("accuracy", score(cluster, algorithm, value, index))
    return repo, train(repo, CONFIG)


def test_a_complete_history_with_telling_characteristics_is_represented_locally(
    clustered: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = clustered
    assert neighbourhood(model) == LOCAL and model.cache["neighbourhood"] == LOCAL
    result = recommend(repo, characteristics={**SMALL, "rows": 101}, k=2, record=False)
    rows = [model.graph.characteristics[d]["rows"] for d, _ in result.neighbours]
    assert result.unseen and len(rows) == LOCAL
    assert sorted(rows[:2]) == [100, 101]  # the two nearest small datasets first
    best = result.items[0]
    assert best.configuration == {"algorithm": "tree", "max_depth": 4}
    assert f"on {LOCAL} similar datasets" in best.explanation
    assert "100% of the similarity weight on observed runs" in best.explanation
    # an explicit number wins over the history's choice
    everyone = recommend(repo, characteristics=LARGE, k=1, neighbours=6, model=model, record=False)
    assert len(everyone.neighbours) == 6
    assert everyone.items[0].configuration == {"algorithm": "knn", "n_neighbors": 4}


def test_few_training_datasets_are_all_used(
    clustered: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = clustered
    chars = model.graph.characteristics
    keep = {d for d in model.graph.datasets if chars[d]["rows"] in (100, 101, 10_000, 10_001)}
    graph = TrainingGraph.build(
        [r for r in model.graph.runs if set(r.datasets) <= keep],
        {d: c for d, c in model.graph.characteristics.items() if d in keep},
        model.graph.projection,
    )
    few = train_graph(graph, CONFIG)
    assert len(few.graph.datasets) == 4 and neighbourhood(few) is None
    result = recommend(repo, characteristics=SMALL, k=1, model=few, record=False)
    assert len(result.neighbours) == 4


def test_rank_correlation_shares_ties_and_is_undefined_without_spread() -> None:
    assert _rank_correlation(np.array([1.0, 2.0, 2.0, 3.0]), np.arange(4.0)) == pytest.approx(
        0.9486833
    )
    assert _rank_correlation(np.arange(5.0), -np.arange(5.0)) == pytest.approx(-1.0)
    assert np.isnan(_rank_correlation(np.ones(4), np.arange(4.0)))
    assert np.isnan(_rank_correlation(np.arange(2.0), np.arange(2.0)))
