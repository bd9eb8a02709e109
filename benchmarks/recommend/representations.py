"""How should an unseen dataset be represented? The recommender's choices compared, same folds.

For a complete history and for three random 30% subsets of the grid (``--history-share``), each
dataset held out in turn, one model per fold trained exactly as ``evaluate.py`` trains it (the
runs are given to :class:`~kgrepo.embeddings.TrainingGraph` directly rather than recorded and
projected, which gives the same graph minus a minute of recording). The held-out dataset is
described by its characteristics alone and every configuration is ranked by each representation:

* ``3 nearest``, ``10 nearest``, ``all``: that many training datasets, weights 1/(d + 0.05), each
  dataset's outcome observed where the history holds it, else predicted by the model;
* ``chosen``: what ``recommend`` does by default (:func:`kgrepo.embeddings.represent.neighbourhood`:
  3 nearest or all, by leave-one-training-dataset-out rank agreement);
* ``all, observed only``: every training dataset, but only observed outcomes (no embeddings);
* ``3 nearest, shrunk``: the 3 nearest, shrunk towards the best-on-average estimate with a prior
  worth 3 datasets (an explicit empirical-Bayes prior);

plus the best-on-average and random-search baselines of ``evaluate.py``. Mean normalised regret
of the best of the first k (k = 1, 3, 5, 10).

    PYSTOW_HOME=/work/.pystow python benchmarks/recommend/representations.py
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import _failed_as_worst, quantiles, regret, training_config
from kgrepo.embeddings import Projection
from kgrepo.embeddings.graph import RunRecord, TrainingGraph
from kgrepo.embeddings.learn import train_graph
from kgrepo.embeddings.model import EmbeddingModel
from kgrepo.embeddings.represent import estimate, neighbourhood, represent
from metadataset import build, key

KS = (1, 3, 5, 10)
HISTORIES = (
    ("complete", 1.0, 0),
    ("30% seed 0", 0.3, 0),
    ("30% seed 1", 0.3, 1),
    ("30% seed 2", 0.3, 2),
)
CONFIG = training_config()  # as `evaluate.py --epochs 40` trains (BENCHMARKS.md)
Scorer = Callable[[EmbeddingModel, dict[str, Any], list[str]], np.ndarray]


def weighted(neighbours: int | None) -> Scorer:
    def score(model: EmbeddingModel, chars: dict[str, Any], labels: list[str]) -> np.ndarray:
        weights, _ = represent(model, None, chars, neighbours or len(model.graph.datasets))
        return estimate(model, weights, labels)[0]

    return score


def chosen(model: EmbeddingModel, chars: dict[str, Any], labels: list[str]) -> np.ndarray:
    return estimate(model, represent(model, None, chars, None)[0], labels)[0]


def _observed(model: EmbeddingModel, weights: dict[str, float], labels: list[str]) -> np.ndarray:
    out = np.full((len(weights), len(labels)), np.nan)
    for i, d in enumerate(weights):
        for j, label in enumerate(labels):
            out[i, j] = model.graph.outcomes.get((label, d), np.nan)
    return out


def observed_only(model: EmbeddingModel, chars: dict[str, Any], labels: list[str]) -> np.ndarray:
    weights, _ = represent(model, None, chars, len(model.graph.datasets))
    q, w = _observed(model, weights, labels), np.array(list(weights.values()))[:, None]
    seen = ~np.isnan(q)
    return np.asarray((w * np.where(seen, q, 0)).sum(0) / np.maximum((w * seen).sum(0), 1e-12))


def shrunk(model: EmbeddingModel, chars: dict[str, Any], labels: list[str]) -> np.ndarray:
    local = estimate(model, represent(model, None, chars, 3)[0], labels)[0]
    everything = {d: 1.0 for d in model.graph.datasets}
    average = np.nanmean(_observed(model, everything, labels), axis=0)
    prior = 3.0  # datasets' worth; the local estimate is worth 3
    return np.asarray((3 * local + prior * np.nan_to_num(average)) / (3 + prior))


SCORERS: dict[str, Scorer] = {
    "3 nearest": weighted(3),
    "10 nearest": weighted(10),
    "all": weighted(None),
    "chosen (default)": chosen,
    "all, observed only": observed_only,
    "3 nearest, shrunk": shrunk,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=0, help="hold out only the first N datasets")
    args = parser.parse_args()
    meta = build()
    configs, names = meta["configs"], list(meta["datasets"])
    keys = [key(c) for c in configs]
    scores = {n: _failed_as_worst(meta["datasets"][n]["scores"]) for n in names}
    iri = {n: f"urn:kgrepo-bench:dataset:{n}" for n in names}
    table: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for history, share, seed in HISTORIES:
        pick = np.random.default_rng(seed)
        size = max(1, round(share * len(keys)))
        observed = {n: set(pick.choice(keys, size, replace=False)) for n in names}
        runs = [
            RunRecord(
                f"urn:kgrepo-bench:run:{n}:{i}",
                f"urn:kgrepo-bench:experiment:{n}",
                (iri[n],),
                c,
                None if math.isnan(meta["datasets"][n]["scores"][key(c)]) else scores[n][key(c)],
            )
            for n in names
            for i, c in enumerate(configs)
            if key(c) in observed[n]
        ]
        known_q = {
            n: quantiles({c: v for c, v in scores[n].items() if c in observed[n]}) for n in names
        }
        found: dict[str, list[dict[int, float]]] = defaultdict(list)
        choices = []
        for fold, name in enumerate(names[: args.folds] if args.folds else names, 1):
            graph = TrainingGraph.build(
                [r for r in runs if iri[name] not in r.datasets],
                {iri[n]: meta["datasets"][n]["characteristics"] for n in names if n != name},
                Projection(bins=8),
            )
            model = train_graph(graph, CONFIG)
            choices.append(neighbourhood(model))
            labels_of = {
                k: graph.config_label(graph.tokens(c["algorithm"], c))
                for k, c in zip(keys, configs, strict=True)
            }
            labels = sorted({v for v in labels_of.values() if v in model.entity_to_id})
            chars = meta["datasets"][name]["characteristics"]
            for method, scorer in SCORERS.items():
                by_label = dict(zip(labels, scorer(model, chars, labels), strict=True))
                order = sorted(keys, key=lambda k: -by_label.get(labels_of[k], -1.0))
                found[method].append(regret(order, scores[name]))
            mean_q = {
                k: float(
                    np.mean([known_q[o][k] for o in names if o != name and k in known_q[o]] or [0])
                )
                for k in keys
            }
            found["best on average"].append(
                regret(sorted(keys, key=lambda k: -mean_q[k]), scores[name])
            )
            rng = np.random.default_rng(fold)
            randoms = [regret(list(rng.permutation(keys)), scores[name]) for _ in range(50)]
            found["random search"].append({k: float(np.mean([r[k] for r in randoms])) for k in KS})
        for method, rows in found.items():
            table[method][history] = [float(np.mean([r[k] for r in rows])) for k in KS]
        local = sum(c is not None for c in choices)
        print(
            f"{history}: the default chose the 3 nearest in {local}/{len(choices)} folds",
            flush=True,
        )
    print("\n| representation | " + " | ".join(h for h, _, _ in HISTORIES) + " |")
    print("|---|" + "---|" * len(HISTORIES))
    for method, cells in table.items():
        print(
            f"| {method} | "
            + " | ".join(" / ".join(f"{v:.3f}" for v in cells[h]) for h, _, _ in HISTORIES)
            + " |"
        )


if __name__ == "__main__":
    main()
