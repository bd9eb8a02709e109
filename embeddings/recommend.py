"""What to try next: ranked, explained, recorded recommendations (SPEC scenario 7).

:func:`recommend` ranks candidate configurations for a dataset by their estimated outcome there:
the quantile of the configuration's score among runs on that dataset (1 = best), observed where
the history holds it, else predicted by the embedding model
(:meth:`~.model.EmbeddingModel.expected_outcomes`):

* **the dataset** is the request's ``dataset`` (an IRI), else the dataset the request's
  ``experiment`` used most, else a bare ``characteristics`` description. A dataset the model was
  trained on is scored directly;
* an **unseen** dataset is represented by training datasets weighted by the similarity of their
  characteristics (:mod:`~kgrepo.embeddings.represent`): its ``neighbours`` nearest ones, or,
  when the request leaves it unset, either the 3 nearest or every training dataset — whichever
  the history itself shows to work better (a complete history favours the nearest few; a sparse
  one, where most of the near datasets' outcomes would be predictions, favours all of them, which
  shrinks the estimate towards the configuration's average over all past datasets);
* a configuration's **score** is the weighted mean of its outcome on the representing datasets:
  the observed quantile where the history holds it (a fact), else the model's link prediction
  (the embeddings complete a sparse history). The explanation says how much of the weight rests
  on observed outcomes;
* **the candidates** are the request's ``candidates``, or the configurations the history holds
  that fit its ``search_space`` plus the space's untried grid points, or every configuration the
  history holds. A candidate the model has no entity for is scored by its nearest known
  configurations of the same algorithm (weighted by the share of settings they share);
* configurations the experiment already tried are left out unless ``include_tried``.

Each call is recorded (unless ``record=False``) as a run of the experiment
``kgrepo-recommendations`` whose ``recommend`` step uses the embedding model and produces one
``Recommendation`` artifact per item (a custom kind: rank, score, configuration, explanation,
supporting runs); a later run that follows one can ``step.use(item.ref)``, so it traces back to
the recommendation and the model that made it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from kgrepo.embeddings import learn
from kgrepo.embeddings.model import EmbeddingModel
from kgrepo.embeddings.represent import estimate, represent
from kgrepo.embeddings.space import (
    Candidate,
    candidates_from,
    check_space,
    space_from_json,
    space_to_json,
)

import kgrepo
from kgrepo import queries
from kgrepo.artifacts import ArtifactRef
from kgrepo.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = ["MAX_K", "Recommendation", "RecommendationRequest", "Recommendations", "recommend"]

MAX_K = 1000
RECOMMENDATIONS = "kgrepo-recommendations"
_E = "RecommendationRequest"


@dataclass(frozen=True)
class RecommendationRequest:
    """What to recommend for (see module docstring); ``k`` items, 1 to :data:`MAX_K`;
    ``neighbours``: how many training datasets, nearest first, represent an unseen dataset
    (1 to 100; ``None``, the default: chosen from the history, see
    :func:`~kgrepo.embeddings.represent.neighbourhood`)."""

    experiment: str | None = None
    dataset: str | None = None
    characteristics: Mapping[str, Any] | None = None
    search_space: Mapping[str, Any] | None = None
    candidates: Sequence[Mapping[str, Any]] | None = None
    k: int = 5
    include_tried: bool = False
    neighbours: int | None = None

    def __post_init__(self) -> None:
        for name, high in (("k", MAX_K), ("neighbours", 100)):
            value = getattr(self, name)
            if name == "neighbours" and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
                raise InvalidInput(_E, name, value, f"expected an integer from 1 to {high}")
        if self.experiment is None and self.dataset is None and not self.characteristics:
            raise InvalidInput(
                _E, "experiment", None, "give an experiment, a dataset IRI or characteristics"
            )
        if self.search_space is not None and self.candidates is not None:
            raise InvalidInput(
                _E, "candidates", "both given", "give a search space or candidates, not both"
            )
        if self.characteristics is not None and not isinstance(self.characteristics, Mapping):
            raise InvalidInput(_E, "characteristics", self.characteristics, "expected a mapping")

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "dataset": self.dataset,
            "characteristics": dict(self.characteristics) if self.characteristics else None,
            "search_space": space_to_json(self.search_space) if self.search_space else None,
            "candidates": [dict(c) for c in self.candidates] if self.candidates else None,
            "k": self.k,
            "include_tried": self.include_tried,
            "neighbours": self.neighbours,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecommendationRequest:
        """The request from its JSON form (:meth:`to_dict`'s), checked like any request."""
        if not isinstance(data, Mapping):
            raise InvalidInput(_E, "request", data, "expected an object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            name = sorted(unknown)[0]
            raise InvalidInput(_E, name, data[name], "no such field")
        fields = dict(data)
        if fields.get("search_space") is not None:
            fields["search_space"] = space_from_json(fields["search_space"])
        return cls(**fields)


@dataclass(frozen=True)
class Recommendation:
    """One proposed configuration: ``score`` is the predicted quantile of its score among runs
    on the dataset (1 = best); ``supporting_runs`` are IRIs of past runs behind it."""

    rank: int
    configuration: dict[str, Any]
    score: float
    supporting_runs: tuple[str, ...]
    explanation: str
    tried: bool = False
    iri: str | None = None
    ref: ArtifactRef | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "configuration": self.configuration,
            "score": self.score,
            "supporting_runs": list(self.supporting_runs),
            "explanation": self.explanation,
            "tried": self.tried,
            "iri": self.iri,
        }


@dataclass(frozen=True)
class Recommendations:
    """The answer: ``items`` best first, the ``model`` that made them, the recorded ``activity``
    (the recommend step), the dataset they are for and how it was represented."""

    items: tuple[Recommendation, ...]
    model: str | None
    activity: str | None
    dataset: str | None
    unseen: bool
    neighbours: tuple[tuple[str, float], ...]
    candidates: int
    excluded_tried: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [i.to_dict() for i in self.items],
            "model": self.model,
            "activity": self.activity,
            "dataset": self.dataset,
            "unseen": self.unseen,
            "neighbours": [{"dataset": d, "weight": w} for d, w in self.neighbours],
            "candidates": self.candidates,
            "excluded_tried": self.excluded_tried,
        }


def recommend(
    repo: Repository,
    request: RecommendationRequest | None = None,
    *,
    model: EmbeddingModel | None = None,
    record: bool = True,
    **fields: Any,
) -> Recommendations:
    """The top ``k`` configurations for the request (or for ``RecommendationRequest(**fields)``),
    scored by ``model`` (default: the newest one trained on ``repo``, see
    :func:`kgrepo.embeddings.load`). Raises :class:`~kgrepo.embeddings.NoModel` when none has been
    trained, :class:`~kgrepo.errors.InvalidInput` for a bad request; nothing is recorded then."""
    if request is None:
        request = RecommendationRequest(**fields)
    elif fields:
        raise InvalidInput(_E, sorted(fields)[0], "given twice", "pass a request or fields")
    if not isinstance(request, RecommendationRequest):
        raise InvalidInput(_E, "request", request, "expected a RecommendationRequest")
    graph_model = model or learn.load(repo)
    graph = graph_model.graph
    space = check_space(request.search_space, graph) if request.search_space is not None else None
    experiment_iri = _experiment(repo, request.experiment)
    dataset, characteristics = _dataset(repo, request, experiment_iri)
    weights, unseen = represent(graph_model, dataset, characteristics, request.neighbours)
    candidates = candidates_from(graph, space, request.candidates)
    tried = _tried(repo, graph_model, experiment_iri) if experiment_iri else set()
    excluded = 0
    if not request.include_tried:
        kept = [c for c in candidates if c.label not in tried]
        excluded = len(candidates) - len(kept)
        candidates = kept
    scores, observed = _score(graph_model, weights, candidates)
    order = np.argsort(-scores, kind="stable")[: request.k]
    items = [
        _item(
            graph_model, rank, candidates[i], float(scores[i]), observed[i], weights, tried, unseen
        )
        for rank, i in enumerate(order, 1)
    ]
    activity = None
    if record and items:
        items, activity = _record(repo, graph_model, request, dataset, items)
    return Recommendations(
        tuple(items),
        graph_model.iri,
        activity,
        dataset,
        unseen,
        tuple(weights.items()) if unseen else (),
        len(candidates) + excluded,
        excluded,
    )


# -- the dataset -------------------------------------------------------------------------------
def _experiment(repo: Repository, name: str | None) -> str | None:
    if name is None:
        return None
    iri = name if name.startswith(("http://", "https://", "urn:")) else None
    if iri is None:
        iri = repo._minter.experiment(name).value
    if not repo.select(queries.text("experiment"), experiment=iri):
        raise NotFound(f"no experiment {name!r} in this repository")
    return iri


def _dataset(
    repo: Repository, request: RecommendationRequest, experiment: str | None
) -> tuple[str | None, dict[str, Any]]:
    dataset = request.dataset
    if dataset is None and experiment is not None:
        rows = repo.select(queries.text("experiment-datasets"), experiment=experiment)
        dataset = rows[0]["dataset"] if rows else None
    characteristics: dict[str, Any] = {}
    if dataset is not None:
        rows = repo.select(queries.text("dataset-characteristics"), dataset=dataset)
        characteristics = {r["name"]: r["value"] for r in rows}
    characteristics.update(request.characteristics or {})
    if dataset is None and not characteristics:
        raise InvalidInput(
            _E,
            "experiment",
            request.experiment,
            "its runs used no dataset yet: give the dataset's characteristics",
        )
    return dataset, characteristics


def _tried(repo: Repository, model: EmbeddingModel, experiment: str) -> set[str]:
    params: dict[str, dict[str, Any]] = {}
    for row in repo.select(queries.text("experiment-settings"), experiment=experiment):
        params.setdefault(row["run"], {}).setdefault(row["parameter"], row["value"])
    graph = model.graph
    key = graph.projection.algorithm
    return {graph.config_label(graph.tokens(str(p.get(key, "-")), p)) for p in params.values()}


# -- scoring -----------------------------------------------------------------------------------
def _score(
    model: EmbeddingModel, weights: Mapping[str, float], candidates: Sequence[Candidate]
) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's score and the share of its weight that rests on observed outcomes (NaN
    for a candidate interpolated from similar configurations)."""
    known = [c.label for c in candidates if c.label in model.entity_to_id]
    scores, observed = estimate(model, weights, known)
    known_scores = dict(zip(known, scores, strict=True))
    known_observed = dict(zip(known, observed, strict=True))
    unknown = [c for c in candidates if c.label not in model.entity_to_id]
    interpolated = _interpolate(model, weights, unknown) if unknown else {}
    return (
        np.array([known_scores.get(c.label, interpolated.get(c.label, 0.0)) for c in candidates]),
        np.array([known_observed.get(c.label, float("nan")) for c in candidates]),
    )


def _interpolate(
    model: EmbeddingModel, weights: Mapping[str, float], unknown: Sequence[Candidate]
) -> dict[str, float]:
    graph = model.graph
    by_algorithm: dict[str, list[str]] = {}
    for label, tokens in graph.configs.items():
        if label in model.entity_to_id:
            by_algorithm.setdefault(tokens["algorithm"], []).append(label)
    estimates: dict[str, np.ndarray] = {}
    out = {}
    for c in unknown:
        peers = by_algorithm.get(c.algorithm, [])
        if not peers:
            continue
        if c.algorithm not in estimates:
            estimates[c.algorithm] = estimate(model, weights, peers)[0]
        scores = estimates[c.algorithm]
        mine = graph.configs.get(c.label) or graph.tokens(c.algorithm, c.params)
        sims = np.array([_similarity(mine, graph.configs[p]) for p in peers])
        sims = sims**2 + 1e-6
        out[c.label] = float((scores * sims).sum() / sims.sum())
    return out


def _similarity(a: Mapping[str, str], b: Mapping[str, str]) -> float:
    keys = (set(a) | set(b)) - {"algorithm"}
    if not keys:
        return 1.0
    return sum(1 for k in keys if a.get(k) == b.get(k)) / len(keys)


# -- explaining --------------------------------------------------------------------------------
def _item(
    model: EmbeddingModel,
    rank: int,
    candidate: Candidate,
    score: float,
    observed: float,
    weights: Mapping[str, float],
    tried: set[str],
    unseen: bool,
) -> Recommendation:
    graph = model.graph
    top = graph.projection.outcome_levels - 1
    found = graph.support_by_config.get(candidate.label, [])
    on_target = [f for f in found if f[2] in weights]
    elsewhere = [f for f in found if f[2] not in weights]
    runs = tuple(dict.fromkeys(run for _, run, _ in [*on_target, *elsewhere][:5]))
    datasets = {d for _, _, d in elsewhere} | {d for _, _, d in on_target}
    good = {d for q, _, d in [*on_target, *elsewhere] if graph.level(q) == top}
    where = f"{len(weights)} similar datasets" if unseen else "this dataset"
    parts = [f"{candidate.algorithm}: predicted score quantile {score:.2f} on {where}"]
    if candidate.label not in model.entity_to_id:
        parts.append("not tried before; interpolated from similar configurations")
    else:
        if unseen:
            parts.append(
                f"{observed:.0%} of the similarity weight on observed runs, the rest predicted "
                "by the model"
            )
        parts.append(f"tried on {len(datasets)} dataset(s), in the top level on {len(good)}")
    if on_target:
        parts.append(f"best run there at quantile {on_target[0][0]:.2f}")
    return Recommendation(
        rank,
        _plain(candidate.configuration()),
        round(score, 6),
        runs,
        "; ".join(parts),
        candidate.label in tried,
    )


# -- recording ---------------------------------------------------------------------------------
def _record(
    repo: Repository,
    model: EmbeddingModel,
    request: RecommendationRequest,
    dataset: str | None,
    items: list[Recommendation],
) -> tuple[list[Recommendation], str]:
    kind = repo.register_kind(
        "Recommendation",
        {
            "rank": (int, True),
            "score": (float, True),
            "configuration": (str, True),
            "explanation": str,
            "supporting_runs": str,
        },
        description="A configuration the embedding recommender proposed (kgrepo.embeddings)",
    )
    exp = repo.experiment(RECOMMENDATIONS, goal="configurations proposed by the recommender")
    config: dict[str, Any] = {"k": request.k, "include_tried": request.include_tried}
    if request.neighbours is not None:
        config["neighbours"] = request.neighbours
    annotations = {"request": json.dumps(request.to_dict(), sort_keys=True, default=str)}
    if dataset is not None:
        annotations["dataset"] = dataset
    if request.experiment is not None:
        annotations["for_experiment"] = request.experiment
    exe = kgrepo.Executable("kgrepo.embeddings.recommend", version=kgrepo.__version__)
    out = []
    agent = kgrepo.Agent("kgrepo", software=True)
    with (
        exp.run(config=config, agent=agent) as run,
        run.step("recommend", kind="recommend", executable=exe, annotations=annotations) as step,
    ):
        if model.artifact is not None:
            step.use(model.artifact)
        for item in items:
            ref = step.produce(
                kind(
                    f"recommendation-{item.rank}",
                    rank=item.rank,
                    score=item.score,
                    configuration=json.dumps(item.configuration, sort_keys=True),
                    explanation=item.explanation,
                    supporting_runs=json.dumps(list(item.supporting_runs)),
                )
            )
            out.append(_with_ref(item, ref))
    return out, step.iri.value


def _with_ref(item: Recommendation, ref: ArtifactRef) -> Recommendation:
    return Recommendation(
        item.rank,
        item.configuration,
        item.score,
        item.supporting_runs,
        item.explanation,
        item.tried,
        ref.iri.value,
        ref,
    )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}
