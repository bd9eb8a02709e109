"""``/api/v1``: artifact kinds (custom ones too) and artifacts, listed with filters, sort and
cursor pagination (FR1, :func:`kgrepo.listing.list_artifacts`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from kgrepo.api import convert, problems
from kgrepo.api.deps import Reader, Repo, Writer
from kgrepo.api.models import KindIn, KindOut

from kgrepo import _resolve, listing
from kgrepo.artifacts import ArtifactKind
from kgrepo.errors import InvalidInput
from kgrepo.results import ArtifactInfo

router = APIRouter(tags=["artifacts"], responses=problems.responses(401, 403, 404, 409, 413, 422))


@router.get("/kinds", response_model=list[KindOut])
def list_kinds(repo: Repo, principal: Reader) -> list[KindOut]:
    """Every artifact kind, built-in and custom, with its attributes and their types."""
    return [_kind_out(k) for k in repo.kinds()]


@router.post("/kinds", status_code=201, response_model=KindOut)
def register_kind(body: KindIn, repo: Repo, principal: Writer) -> KindOut:
    """Registers a custom artifact kind (FR11); the same definition again returns it, a
    different one is a 409 conflict."""
    kind = repo.register_kind(
        body.name,
        convert.attribute_types(body.attributes),
        parent=body.parent,
        description=body.description,
    )
    return _kind_out(kind)


@router.get("/artifacts")
def list_artifacts(
    repo: Repo,
    principal: Reader,
    kind: Annotated[str, Query(examples=["Model"])] = "Artifact",
    where: Annotated[
        str | None,
        Query(description="JSON object field -> value", examples=['{"algorithm":"SVC"}']),
    ] = None,
    annotation: Annotated[
        str | None, Query(description="JSON object key -> value", examples=['{"team":"vision"}'])
    ] = None,
    metric: Annotated[
        str | None,
        Query(
            description="JSON object measure -> [op, value]", examples=['{"accuracy":[">=",0.9]}']
        ),
    ] = None,
    sort: Annotated[str | None, Query(examples=["metric:accuracy"])] = None,
    descending: bool = False,
    limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> listing.ArtifactPage:
    """One page of the artifacts of ``kind`` (sub-kinds included); ``next_cursor`` gives the
    next page."""
    metrics = _json("metric", metric)
    page = listing.list_artifacts(
        repo,
        kind,
        where=_json("where", where),
        annotations=_json("annotation", annotation),
        metrics={k: tuple(v) if isinstance(v, list) else v for k, v in metrics.items()}
        if metrics
        else None,
        sort=sort,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )
    return page


@router.get("/artifacts/{artifact:path}")
def get_artifact(artifact: str, repo: Repo, principal: Reader) -> ArtifactInfo:
    """An artifact: IRI, name, kind, location, digest."""
    from kgrepo.lineage import upstream

    node = _resolve.require(repo, convert.iri(repo, "artifact", artifact), "artifact")
    return upstream(repo, node, depth=0).root


def _json(field: str, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as err:
        raise InvalidInput("Listing", field, text, f"not JSON ({err})") from None
    if not isinstance(value, dict):
        raise InvalidInput("Listing", field, text, "expected a JSON object")
    return value


def _kind_out(kind: ArtifactKind) -> KindOut:
    return KindOut(
        name=kind.name,
        iri=kind.iri.value,
        parent=kind.parent.name if kind.parent else None,
        attributes={
            name: ("datetime" if a.type.__name__ == "datetime" else a.type.__name__)
            for name, a in kind.attributes.items()
        },
    )


__all__ = ["router"]
