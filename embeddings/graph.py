"""The training graph: the repository projected into the triples the embeddings learn from.

The projection has two stages. ``ontology/queries/training-graph.rq`` (a SPARQL CONSTRUCT, with
the primary measure bound, never formatted in) reads the raw facts: each succeeded run's datasets,
hyperparameter settings and score, and each dataset's characteristics. Python then turns them
into entity-level triples, because an embedding model learns about entities, not numbers:

* a **configuration** is an entity: a run's algorithm (the ``algorithm`` setting) and its other
  settings, numeric values replaced by their quantile bin (:class:`~.discretise.Bins`, fitted per
  ``algorithm.parameter`` over all runs and kept, so every bin maps back to an interval);
  ``(config, "algorithm", "algorithm=SVC")``, ``(config, "param:SVC.C", "SVC.C#2")``,
  ``(config, "param:SVC.kernel", "SVC.kernel=rbf")``;
* a **dataset** is an entity (its IRI) with its characteristics, binned the same way across
  datasets: ``(dataset, "characteristic:rows", "rows#1")``;
* an **outcome** links a dataset to a configuration tried on it: the score's quantile among all
  runs on that dataset (ties averaged, 1 = best), averaged over the configuration's runs, cut into
  ``outcome_levels`` levels: ``(dataset, "outcome:3", config)`` for the top quartile with 4 levels.
  Quantiles make scores comparable across datasets of different difficulty.

Runs themselves are not entities (they would each be seen once); :attr:`TrainingGraph.support`
keeps, for each (configuration, dataset), the runs behind it, to explain recommendations.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from kgrepo.embeddings.discretise import Bins, is_number
from pyoxigraph import Literal, NamedNode, QueryTriples

from kgrepo import _terms, queries
from kgrepo.errors import InvalidInput

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = ["Projection", "RunRecord", "TrainingGraph", "project"]

_TG = "urn:kgrepo:training:"
NO_ALGORITHM = "-"


@dataclass(frozen=True)
class Projection:
    """How the repository is projected: the primary ``measure`` (and whether higher is better),
    how many quantile ``bins`` per numeric parameter and characteristic, how many
    ``outcome_levels``, which setting names the ``algorithm`` and which settings are ``ignored``
    (seeds and the like say nothing about a configuration's quality)."""

    measure: str = "accuracy"
    higher_is_better: bool = True
    bins: int = 4
    outcome_levels: int = 4
    algorithm: str = "algorithm"
    ignored: tuple[str, ...] = ("seed", "random_state", "n_jobs", "verbose")

    def __post_init__(self) -> None:
        _terms.name("Projection", self.measure)
        for name in ("bins", "outcome_levels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 100:
                raise InvalidInput("Projection", name, value, "expected an integer from 2 to 100")


@dataclass(frozen=True)
class RunRecord:
    """A run as projected: its experiment, the datasets it consumed, its settings, its score."""

    iri: str
    experiment: str
    datasets: tuple[str, ...]
    params: Mapping[str, Any]
    score: float | None

    @property
    def algorithm(self) -> str:
        return str(self.params.get("algorithm", NO_ALGORITHM))


@dataclass
class TrainingGraph:
    """The projected graph: labelled ``triples`` plus what is needed to map back and explain."""

    projection: Projection
    runs: list[RunRecord]
    characteristics: dict[str, dict[str, Any]]
    parameter_bins: dict[str, Bins]
    characteristic_bins: dict[str, Bins]
    #: configuration label -> its tokens ({"algorithm": "SVC", "C": "#2", "kernel": "=rbf"})
    configs: dict[str, dict[str, str]]
    #: (configuration label, dataset IRI) -> [(run IRI, score quantile)]
    support: dict[tuple[str, str], list[tuple[str, float]]]
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    #: algorithm -> parameter -> "numeric" or "categorical", as seen in the history
    parameter_types: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- building --------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        runs: Iterable[RunRecord],
        characteristics: Mapping[str, Mapping[str, Any]],
        projection: Projection,
    ) -> TrainingGraph:
        """Builds the graph from projected runs and dataset characteristics (see module doc)."""
        runs = sorted(runs, key=lambda r: r.iri)
        ignored = set(projection.ignored) | {projection.algorithm}
        numeric: dict[str, list[float]] = defaultdict(list)
        types: dict[str, dict[str, str]] = defaultdict(dict)
        for run in runs:
            for name, value in run.params.items():
                if name in ignored:
                    continue
                kind = "numeric" if is_number(value) else "categorical"
                types[run.algorithm].setdefault(name, kind)
                if kind == "numeric":
                    numeric[f"{run.algorithm}.{name}"].append(float(value))
        parameter_bins = {k: Bins.fit(k, v, count=projection.bins) for k, v in numeric.items()}
        chars = {d: dict(c) for d, c in characteristics.items()}
        char_values: dict[str, list[float]] = defaultdict(list)
        for values in chars.values():
            for name, value in values.items():
                if is_number(value):
                    char_values[name].append(float(value))
        characteristic_bins = {
            k: Bins.fit(k, v, count=projection.bins) for k, v in char_values.items()
        }
        graph = cls(
            projection,
            runs,
            chars,
            parameter_bins,
            characteristic_bins,
            {},
            {},
            parameter_types={a: dict(p) for a, p in types.items()},
        )
        graph._make_triples()
        return graph

    def tokens(self, algorithm: str, params: Mapping[str, Any]) -> dict[str, str]:
        """The discretised form of a configuration: numeric values as their bin (``#i``),
        others as ``=value``; ignored settings left out."""
        ignored = set(self.projection.ignored) | {self.projection.algorithm}
        out = {"algorithm": algorithm}
        for name in sorted(params):
            if name in ignored:
                continue
            value = params[name]
            bins = self.parameter_bins.get(f"{algorithm}.{name}")
            if is_number(value) and bins is not None:
                out[name] = f"#{bins.bin(float(value))}"
            else:
                out[name] = f"={_text(value)}"
        return out

    @staticmethod
    def config_label(tokens: Mapping[str, str]) -> str:
        return "config:" + json.dumps(dict(sorted(tokens.items())), separators=(",", ":"))

    def _make_triples(self) -> None:
        triples: set[tuple[str, str, str]] = set()
        quantiles = self._quantiles()
        by_pair: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        for run in self.runs:
            tokens = self.tokens(run.algorithm, run.params)
            label = self.config_label(tokens)
            if label not in self.configs:
                self.configs[label] = tokens
                for name, token in tokens.items():
                    if name == "algorithm":
                        triples.add((label, "algorithm", f"algorithm={token}"))
                    else:
                        triples.add(
                            (label, f"param:{run.algorithm}.{name}", _value(run, name, token))
                        )
            for dataset in run.datasets:
                q = quantiles.get((run.iri, dataset))
                if q is not None:
                    by_pair[(label, dataset)].append((run.iri, q))
        levels = self.projection.outcome_levels
        for (label, dataset), found in by_pair.items():
            mean = sum(q for _, q in found) / len(found)
            triples.add((dataset, f"outcome:{self.level(mean)}", label))
        self.support = dict(by_pair)
        for dataset, values in self.characteristics.items():
            if not any(dataset == d for (_, d) in by_pair):
                continue  # a dataset no scored run used teaches nothing about configurations
            for name, token in self.characteristic_tokens(values).items():
                triples.add((dataset, f"characteristic:{name}", token))
        assert levels >= 2
        self.triples = sorted(triples)

    def level(self, quantile: float) -> int:
        """The outcome level of a score quantile in [0, 1] (the top level for the best)."""
        levels = self.projection.outcome_levels
        return min(int(quantile * levels), levels - 1)

    def characteristic_tokens(self, values: Mapping[str, Any]) -> dict[str, str]:
        out = {}
        for name, value in sorted(values.items()):
            bins = self.characteristic_bins.get(name)
            if is_number(value) and bins is not None:
                out[name] = f"{name}#{bins.bin(float(value))}"
            elif not is_number(value):
                out[name] = f"{name}={_text(value)}"
        return out

    def _quantiles(self) -> dict[tuple[str, str], float]:
        """Each (run, dataset)'s score quantile among the runs on that dataset (1 = best)."""
        by_dataset: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for run in self.runs:
            if run.score is not None:
                for dataset in run.datasets:
                    by_dataset[dataset].append((run.iri, run.score))
        out: dict[tuple[str, str], float] = {}
        sign = 1.0 if self.projection.higher_is_better else -1.0
        for dataset, scored in by_dataset.items():
            values = np.array([sign * s for _, s in scored])
            if len(values) == 1:
                out[(scored[0][0], dataset)] = 1.0
                continue
            order = values.argsort(kind="stable")
            ranks = np.empty(len(values))
            ranks[order] = np.arange(len(values))
            for v in np.unique(values):  # ties share their mean rank
                ranks[values == v] = ranks[values == v].mean()
            for (iri, _), rank in zip(scored, ranks / (len(values) - 1), strict=True):
                out[(iri, dataset)] = float(rank)
        return out

    # -- reading back ------------------------------------------------------------------------------
    @functools.cached_property
    def support_by_config(self) -> dict[str, list[tuple[float, str, str]]]:
        """For each configuration label, its runs as (quantile, run IRI, dataset IRI), best
        first."""
        out: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
        for (label, dataset), found in self.support.items():
            out[label].extend((q, run, dataset) for run, q in found)
        for rows in out.values():
            rows.sort(reverse=True)
        return dict(out)

    @functools.cached_property
    def outcomes(self) -> dict[tuple[str, str], float]:
        """(configuration label, dataset IRI) -> the mean score quantile of its runs there."""
        return {pair: sum(q for _, q in found) / len(found) for pair, found in self.support.items()}

    @functools.cached_property
    def dataset_vectors(self) -> dict[str, np.ndarray]:
        """Each training dataset's :meth:`characteristic_vector`."""
        return {
            d: self.characteristic_vector(self.characteristics.get(d, {})) for d in self.datasets
        }

    @functools.cached_property
    def runs_by_iri(self) -> dict[str, RunRecord]:
        return {r.iri: r for r in self.runs}

    @functools.cached_property
    def _characteristic_values(self) -> dict[str, np.ndarray]:
        return {
            name: np.array(
                sorted(
                    float(v[name]) for v in self.characteristics.values() if is_number(v.get(name))
                )
            )
            for name in self.characteristic_bins
        }

    @property
    def datasets(self) -> list[str]:
        """The datasets with scored runs, i.e. those with outcome triples."""
        return sorted({d for (_, d) in self.support})

    def characteristic_vector(self, values: Mapping[str, Any]) -> np.ndarray:
        """Numeric characteristics as their empirical quantile among the training datasets, in
        a fixed order (missing ones at 0.5): a scale-free vector for nearest-neighbour search."""
        out = []
        for name in sorted(self.characteristic_bins):
            value = values.get(name)
            if not is_number(value):
                out.append(0.5)
                continue
            seen = self._characteristic_values[name]
            x = float(value)  # type: ignore[arg-type]
            below = int(np.searchsorted(seen, x, side="left"))
            upto = int(np.searchsorted(seen, x, side="right"))
            out.append((below + upto) / 2 / max(len(seen), 1))
        return np.array(out)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the runs' raw settings, as JSON-ready data (saved with the model)."""
        return {
            "projection": {
                **{k: getattr(self.projection, k) for k in Projection.__dataclass_fields__},
                "ignored": list(self.projection.ignored),
            },
            "runs": [
                {
                    "iri": r.iri,
                    "experiment": r.experiment,
                    "datasets": list(r.datasets),
                    "params": dict(r.params),
                    "score": r.score,
                }
                for r in self.runs
            ],
            "characteristics": self.characteristics,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingGraph:
        p = dict(data["projection"])
        p["ignored"] = tuple(p["ignored"])
        runs = [
            RunRecord(r["iri"], r["experiment"], tuple(r["datasets"]), r["params"], r["score"])
            for r in data["runs"]
        ]
        return cls.build(runs, data["characteristics"], Projection(**p))


def project(repo: Repository, projection: Projection | None = None) -> TrainingGraph:
    """Projects ``repo`` into a :class:`TrainingGraph` with ``training-graph.rq``."""
    projection = projection or Projection()
    result = repo.query(queries.text("training-graph"), measure=Literal(projection.measure))
    assert isinstance(result, QueryTriples)
    datasets: dict[str, set[str]] = defaultdict(set)
    experiments: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = defaultdict(dict)
    scores: dict[str, float] = {}
    characteristics: dict[str, dict[str, Any]] = defaultdict(dict)
    for triple in result:
        s, p, o = triple.subject, triple.predicate.value, triple.object
        assert isinstance(s, NamedNode)
        name = p.removeprefix(_TG)
        if name == "dataset":
            datasets[s.value].add(o.value)
        elif name == "experiment":
            experiments[s.value] = o.value
        elif name == "score":
            scores[s.value] = float(_terms.python_value(o))
        elif name.startswith("parameter:"):
            params[s.value].setdefault(_unquote(name.removeprefix("parameter:")), _value_of(o))
        elif name.startswith("characteristic:"):
            key = _unquote(name.removeprefix("characteristic:"))
            characteristics[s.value][key] = _value_of(o)
    runs = [
        RunRecord(iri, experiments[iri], tuple(sorted(ds)), params.get(iri, {}), scores.get(iri))
        for iri, ds in datasets.items()
    ]
    return TrainingGraph.build(runs, characteristics, projection)


def _value(run: RunRecord, name: str, token: str) -> str:
    return f"{run.algorithm}.{name}{token}"


def _text(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def _value_of(term: Any) -> Any:
    return _terms.python_value(term)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)
