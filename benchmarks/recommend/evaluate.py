"""Is the recommender useful? Leave-one-dataset-out on the meta-dataset (metadataset.py).

The meta-dataset's runs are recorded through kgrepo's own API into an in-memory repository (one
experiment per dataset, one run per configuration, its cross-validated accuracy logged), and
projected once with ``training-graph.rq`` (``bins=8``: every grid value is its own bin, so every
recommendation is a grid configuration with a known score). For each held-out dataset the
recommender is trained on the other datasets' runs only and asked, through
:func:`kgrepo.embeddings.recommend`, for 25 configurations for the held-out dataset described by
its characteristics alone (an unseen dataset: every training dataset weighted by similarity, see
:mod:`kgrepo.embeddings.recommend`). Against the best configuration of the grid on that
dataset, the normalised regret of the best of the first k is
``(best - best_of_first_k) / (best - worst)``, for k = 1, 3, 5, 10, 25.

Baselines, in the same run, on the same folds:

* random search: the expected regret over 50 random orders of the grid;
* best on average: configurations by their mean score quantile over the training datasets;
* kNN datasets: by mean quantile over the 3 training datasets nearest by characteristics (the same
  characteristic vectors the recommender uses for unseen datasets);
* Optuna TPE, cold: k sequential trials over the grid as a conditional search space;
* Optuna TPE, warm: the same, with every training run added as a completed trial first.

Mean rank: per dataset and k, the methods ranked by regret (ties share ranks), averaged.

    PYSTOW_HOME=/work/.pystow python benchmarks/recommend/evaluate.py [--folds N] [--epochs E]
        [--history-share S] [--history-seed N] [--neighbours N] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kgrepo.embeddings import Projection, RecommendationRequest, TrainingConfig, recommend
from kgrepo.embeddings.graph import TrainingGraph, project
from kgrepo.embeddings.learn import train_graph
from metadataset import CACHE, build, key

import kgrepo

KS = (1, 3, 5, 10, 25)
METHODS = ("kgrepo", "random", "best-on-average", "kNN-datasets", "TPE-cold", "TPE-warm")


def record(
    meta: dict[str, Any], observed: dict[str, set[str]]
) -> tuple[kgrepo.Repository, dict[str, str], float]:
    repo = kgrepo.Repository.in_memory()
    iris = {}
    started = time.perf_counter()
    for name, d in meta["datasets"].items():
        dataset = kgrepo.Dataset(name, digest=d["digest"], characteristics=d["characteristics"])
        exp = repo.experiment(f"meta-{name}")
        for config in meta["configs"]:
            if key(config) not in observed[name]:
                continue
            score = d["scores"][key(config)]
            with exp.run() as run, run.step("cv", kind="train") as step:
                ref = step.use(dataset)
                step.set_param_dict(config)
                if not math.isnan(score):  # NaN: the configuration failed on this dataset
                    step.log_metric("accuracy", score)
        iris[name] = ref.iri.value
    return repo, iris, time.perf_counter() - started


def _failed_as_worst(scores: dict[str, float]) -> dict[str, float]:
    worst = min(v for v in scores.values() if not math.isnan(v))
    return {c: worst if math.isnan(v) else v for c, v in scores.items()}


def _mean(values: list[float | None], default: float = 0.0) -> float:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else default


def regret(order: list[str], scores: dict[str, float]) -> dict[int, float]:
    best, worst = max(scores.values()), min(scores.values())
    span = best - worst or 1.0
    out = {}
    for k in KS:
        got = max(scores[c] for c in order[:k])
        out[k] = (best - got) / span
    return out


def quantiles(scores: dict[str, float]) -> dict[str, float]:
    names = list(scores)
    values = np.array([scores[n] for n in names])
    ranks = values.argsort().argsort().astype(float)
    for v in np.unique(values):
        ranks[values == v] = ranks[values == v].mean()
    return dict(zip(names, ranks / max(len(names) - 1, 1), strict=True))


# -- Optuna ----------------------------------------
def tpe_space(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """The grid as a conditional space: algorithm, then (SVC) kernel, then each parameter."""
    groups: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    for c in configs:
        group = c["algorithm"] + (f".{c['kernel']}" if "kernel" in c else "")
        for name, value in c.items():
            if name not in ("algorithm", "kernel"):
                groups[group][name].add(value)
    return {g: {n: sorted(v, key=repr) for n, v in p.items()} for g, p in groups.items()}


def tpe_params(config: dict[str, Any]) -> dict[str, Any]:
    group = config["algorithm"] + (f".{config['kernel']}" if "kernel" in config else "")
    out = {"algorithm": config["algorithm"]}
    if "kernel" in config:
        out[f"{config['algorithm']}.kernel"] = config["kernel"]
    for name, value in config.items():
        if name not in ("algorithm", "kernel"):
            out[f"{group}.{name}"] = value
    return out


def tpe(
    configs: list[dict[str, Any]],
    scores: dict[str, float],
    history: list[tuple[dict[str, Any], float]],
    k: int,
    seed: int,
) -> list[str]:
    import optuna
    from optuna.distributions import CategoricalDistribution

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = tpe_space(configs)
    algorithms = sorted({c["algorithm"] for c in configs})
    kernels = {
        a: sorted({c["kernel"] for c in configs if c["algorithm"] == a and "kernel" in c})
        for a in algorithms
    }
    dists: dict[str, Any] = {"algorithm": CategoricalDistribution(algorithms)}
    for a, ks in kernels.items():
        if ks:
            dists[f"{a}.kernel"] = CategoricalDistribution(ks)
    for group, params in space.items():
        for name, values in params.items():
            dists[f"{group}.{name}"] = CategoricalDistribution(values)

    def suggest(trial: Any) -> dict[str, Any]:
        algorithm = trial.suggest_categorical("algorithm", algorithms)
        config: dict[str, Any] = {"algorithm": algorithm}
        group = algorithm
        if kernels[algorithm]:
            config["kernel"] = trial.suggest_categorical(f"{algorithm}.kernel", kernels[algorithm])
            group += f".{config['kernel']}"
        for name, values in space[group].items():
            config[name] = trial.suggest_categorical(f"{group}.{name}", values)
        return config

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    if history:
        study.add_trials(
            [
                optuna.trial.create_trial(
                    params=(p := tpe_params(c)), distributions={n: dists[n] for n in p}, value=v
                )
                for c, v in history
            ]
        )
    order: list[str] = []
    for _ in range(k):
        trial = study.ask()
        config = suggest(trial)
        order.append(key(config))
        study.tell(trial, scores[key(config)])
    return order


# -- the evaluation ----------------------------------------
def training_config(model: str = "DistMult", dim: int = 32, epochs: int = 40) -> TrainingConfig:
    """How the recommender is trained in each fold (``representations.py`` trains the same way)."""
    return TrainingConfig(
        model=model,
        embedding_dim=dim,
        epochs=epochs,
        batch_size=1024,
        negatives_per_positive=8,
        evaluate_every=10,
        patience=3,
        progress=False,
        seed=1,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=0, help="hold out only the first N datasets")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--model", default="DistMult")
    parser.add_argument(
        "--history-share",
        type=float,
        default=1.0,
        help="share of the grid recorded per dataset (a random subset; 1 = the whole grid)",
    )
    parser.add_argument(
        "--history-seed", type=int, default=0, help="seed of the random subset of the grid"
    )
    parser.add_argument(
        "--neighbours",
        type=int,
        default=None,
        help="training datasets representing the held-out one (default: all, weighted)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=CACHE.with_name("recommend-eval.json"),
        help="where the per-dataset regrets, training times and latencies are written (JSON)",
    )
    args = parser.parse_args()

    meta = build()
    configs = meta["configs"]
    names = list(meta["datasets"])
    pick = np.random.default_rng(args.history_seed)
    keys = [key(c) for c in configs]
    size = max(1, round(args.history_share * len(keys)))
    observed = {n: set(pick.choice(keys, size, replace=False)) for n in names}
    repo, dataset_iris, record_seconds = record(meta, observed)
    runs = sum(len(o) for o in observed.values())
    print(
        f"{len(names)} datasets x {len(configs)} configurations = {runs} runs recorded "
        f"through kgrepo in {record_seconds:.0f} s"
    )
    projection = Projection(bins=8)
    started = time.perf_counter()
    full = project(repo, projection)
    print(
        f"projection (training-graph.rq): {time.perf_counter() - started:.2f} s, "
        f"{len(full.runs)} runs"
    )
    config = training_config(args.model, args.dim, args.epochs)
    # a configuration that failed (NaN: KNN with more neighbours than a tiny dataset has rows)
    # counts as the worst of the grid
    all_scores = {n: _failed_as_worst(meta["datasets"][n]["scores"]) for n in names}
    # what the baselines may know: the recorded runs only
    all_quantiles = {
        n: quantiles({c: v for c, v in s.items() if c in observed[n]})
        for n, s in all_scores.items()
    }
    held_out = names[: args.folds] if args.folds else names
    regrets: dict[str, dict[str, dict[int, float]]] = defaultdict(dict)
    train_seconds, latencies = [], []
    for fold, name in enumerate(held_out, 1):
        iri = dataset_iris[name]
        others = [n for n in names if n != name]
        graph = TrainingGraph.build(
            [r for r in full.runs if iri not in r.datasets],
            {d: c for d, c in full.characteristics.items() if d != iri},
            projection,
        )
        t = time.perf_counter()
        model = train_graph(graph, config)
        train_seconds.append(time.perf_counter() - t)
        request = RecommendationRequest(
            characteristics=meta["datasets"][name]["characteristics"],
            k=25,
            neighbours=args.neighbours,
        )
        for _ in range(5):
            t = time.perf_counter()
            result = recommend(repo, request, model=model, record=False)
            latencies.append(time.perf_counter() - t)
        scores = all_scores[name]
        regrets["kgrepo"][name] = regret([key(i.configuration) for i in result.items], scores)
        rng = np.random.default_rng(fold)
        randoms = [regret(list(rng.permutation(keys)), scores) for _ in range(50)]
        regrets["random"][name] = {k: float(np.mean([r[k] for r in randoms])) for k in KS}
        mean_q = {c: _mean([all_quantiles[o].get(c) for o in others]) for c in keys}
        regrets["best-on-average"][name] = regret(sorted(keys, key=lambda c: -mean_q[c]), scores)
        target = graph.characteristic_vector(meta["datasets"][name]["characteristics"])
        dist = {
            o: float(
                np.linalg.norm(
                    graph.characteristic_vector(meta["datasets"][o]["characteristics"]) - target
                )
            )
            for o in others
        }
        near = sorted(others, key=lambda o: dist[o])[:3]
        # a configuration none of the neighbours tried falls back on its average elsewhere
        knn_q = {c: _mean([all_quantiles[o].get(c) for o in near], mean_q[c]) for c in keys}
        regrets["kNN-datasets"][name] = regret(sorted(keys, key=lambda c: -knn_q[c]), scores)
        regrets["TPE-cold"][name] = regret(tpe(configs, scores, [], 25, fold), scores)
        history = [
            (c, all_scores[o][key(c)]) for o in others for c in configs if key(c) in observed[o]
        ]
        regrets["TPE-warm"][name] = regret(tpe(configs, scores, history, 25, fold), scores)
        line = "  ".join(f"{m}={regrets[m][name][5]:.3f}" for m in METHODS)
        print(
            f"[{fold}/{len(held_out)}] {name:18s} train {train_seconds[-1]:5.1f} s  "
            f"represented by {len(result.neighbours):2d}  regret@5: {line}",
            flush=True,
        )
    report(regrets, held_out, train_seconds, latencies, len(configs))
    out = args.output
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"regrets": regrets, "train_seconds": train_seconds, "latencies": latencies})
    )


def report(
    regrets: dict[str, dict[str, dict[int, float]]],
    datasets: list[str],
    train_seconds: list[float],
    latencies: list[float],
    grid: int,
) -> None:
    ranks: dict[str, dict[int, list[float]]] = {m: defaultdict(list) for m in METHODS}
    for name in datasets:
        for k in KS:
            values = np.array([regrets[m][name][k] for m in METHODS])
            order = values.argsort().argsort().astype(float) + 1
            for v in np.unique(values):
                order[values == v] = order[values == v].mean()
            for m, r in zip(METHODS, order, strict=True):
                ranks[m][k].append(float(r))
    print(
        f"\nMean normalised regret over {len(datasets)} held-out datasets (grid of {grid}; "
        "lower is better), mean rank in brackets:\n"
    )
    print("| method | " + " | ".join(f"k={k}" for k in KS) + " |")
    print("|---|" + "---|" * len(KS))
    for m in METHODS:
        cells = [
            f"{np.mean([regrets[m][n][k] for n in datasets]):.3f} ({np.mean(ranks[m][k]):.2f})"
            for k in KS
        ]
        print(f"| {m} | " + " | ".join(cells) + " |")
    wins = {
        k: sum(regrets["kgrepo"][n][k] <= regrets["kNN-datasets"][n][k] for n in datasets)
        for k in KS
    }
    print(
        "\nkgrepo <= kNN-datasets on " + ", ".join(f"k={k}: {wins[k]}/{len(datasets)}" for k in KS)
    )
    print(
        f"recommender training per fold: median {statistics.median(train_seconds):.1f} s "
        f"(min {min(train_seconds):.1f}, max {max(train_seconds):.1f})"
    )
    lat = sorted(latencies)
    print(
        "one recommendation (k=25, unseen dataset, not recorded): "
        f"p50 {1000 * statistics.median(lat):.0f} ms, "
        f"p90 {1000 * lat[int(0.9 * (len(lat) - 1))]:.0f} ms over {len(lat)} calls"
    )


if __name__ == "__main__":
    main()
