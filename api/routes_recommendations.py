"""``/api/v1/recommendations``: what to try next, from the embedding model of past runs (see
:mod:`kgrepo.embeddings.recommend`). A recommendation is recorded in the repository (attributed to
the token's owner), so it is a write: writers and admins only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from kgrepo.api import problems
from kgrepo.api.deps import Repo, Writer
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(
    tags=["recommendations"], responses=problems.responses(401, 403, 404, 409, 413, 422)
)


class RecommendationIn(BaseModel):
    """What to recommend for: an experiment (its dataset), a dataset IRI, or bare dataset
    characteristics; a search space (``{"algorithm": {"choices": {...}}}``, see
    :func:`kgrepo.embeddings.space_from_json`) or explicit candidate configurations."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "characteristics": {"rows": 150, "features": 4, "classes": 3},
                    "candidates": [
                        {"algorithm": "svc", "C": 1.0},
                        {"algorithm": "random_forest", "n_estimators": 100},
                    ],
                    "k": 2,
                }
            ]
        },
    )

    experiment: str | None = None
    dataset: str | None = None
    characteristics: dict[str, Any] | None = None
    search_space: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] | None = None
    k: int = Field(5, ge=1, le=1000)
    include_tried: bool = False
    neighbours: int | None = Field(
        None,
        ge=1,
        le=100,
        description="how many training datasets, nearest first, represent an unseen dataset "
        "(default: chosen from the history, the 3 nearest or all of them)",
    )


class RecommendationOut(BaseModel):
    rank: int
    configuration: dict[str, Any]
    score: float
    supporting_runs: list[str]
    explanation: str
    tried: bool
    iri: str | None


class NeighbourOut(BaseModel):
    dataset: str
    weight: float


class RecommendationsOut(BaseModel):
    """The recommendations, best first, the model that made them and the recorded activity."""

    items: list[RecommendationOut]
    model: str | None
    activity: str | None
    dataset: str | None
    unseen: bool
    neighbours: list[NeighbourOut]
    candidates: int
    excluded_tried: int


@router.post("/recommendations")
def recommend(body: RecommendationIn, repo: Repo, principal: Writer) -> RecommendationsOut:
    """The top ``k`` configurations to try next, each with its score, the past runs behind it and
    an explanation; configurations the experiment already tried are left out unless
    ``include_tried``. 404 ``no-model`` until a model is trained (``kgrepo embeddings train``);
    409 ``not-enough-history`` on a repository too small to learn from."""
    from kgrepo.embeddings import RecommendationRequest
    from kgrepo.embeddings import recommend as run

    request = RecommendationRequest.from_dict(body.model_dump(exclude_none=True))
    return RecommendationsOut.model_validate(run(repo, request).to_dict())
