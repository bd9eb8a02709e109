"""From request bodies to kgrepo objects (whose constructors check every value), and path ids to
IRIs. A path id is an absolute IRI (percent-encoded or not) or a short id relative to the
repository's base: ``/runs/5f0c…`` is ``<base>run/5f0c…``, ``/experiments/digits v2`` (encoded
in the URL as any path) is the experiment named ``digits v2``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kgrepo.api.models import ArtifactIn, EnvironmentIn, ExecutableIn, TriggerIn
from pyoxigraph import NamedNode

import kgrepo
from kgrepo import reuse
from kgrepo.artifacts import DATASET, Artifact, ArtifactRef
from kgrepo.environment import CodeVersion, Environment, KnownEnvironment, Origin
from kgrepo.errors import InvalidInput
from kgrepo.iris import segment
from kgrepo.records import Executable, Trigger
from kgrepo.repository import Repository

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_WITHOUT_CONCERNS = frozenset({"manual", "schedule", "other"})
_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "datetime": dt.datetime}


def iri(repo: Repository, area: str, value: str) -> NamedNode:
    """The IRI a path id names (``area`` is ``run``, ``artifact``, ``experiment``…); an
    experiment's short id is its name."""
    if area == "experiment" and not _SCHEME.match(value):
        return NamedNode(f"{repo.base}experiment/{segment(value)}")
    text = value if _SCHEME.match(value) else f"{repo.base}{area}/{value}"
    try:
        return NamedNode(text)
    except ValueError as err:
        raise InvalidInput(area.capitalize(), "id", value, f"not an IRI or id ({err})") from None


def origin(body: EnvironmentIn | None) -> Origin:
    """Where a run sent over REST executes: what the client sent, or nothing known."""
    if body is None:
        return Origin(None, None)
    code = CodeVersion(body.code.commit, body.code.repository) if body.code else None
    if body.digest is not None:
        return Origin(KnownEnvironment(body.digest), code)
    assert body.python_version and body.platform and body.host  # EnvironmentIn checked
    env = Environment(
        python_version=body.python_version,
        platform=body.platform,
        host=body.host,
        packages=tuple(sorted((body.packages or {}).items())),
    )
    return Origin(env, code)


def executable(body: ExecutableIn | None) -> Executable | None:
    if body is None:
        return None
    return Executable(**body.model_dump())


def trigger(body: TriggerIn | None, owner: str | None) -> Trigger:
    """The run's trigger; who caused it defaults to the token's owner."""
    if body is None:
        return Trigger.manual(by=owner)
    make = getattr(Trigger, body.cause)
    by = body.by or owner
    if body.cause in _WITHOUT_CONCERNS:
        if body.concerns is not None:
            raise InvalidInput("Trigger", "concerns", body.concerns, f"not used by a {body.cause}")
        result: Trigger = make(by, body.reason)
    else:
        result = make(by, body.reason, body.concerns)
    return result


def artifact(repo: Repository, body: ArtifactIn, where: str) -> Artifact | ArtifactRef:
    """A new artifact, or a reference to a recorded one (``{"iri": ...}``)."""
    if body.iri is not None:
        extra = body.model_dump(exclude_defaults=True, exclude={"iri"})
        if extra:
            raise InvalidInput(
                where, next(iter(extra)), "…", "give either an iri or a description, not both"
            )
        node = iri(repo, "artifact", body.iri)
        from kgrepo import _resolve

        _resolve.require(repo, node, "artifact")
        return reuse.load_artifact(repo, node.value)
    if body.name is None:
        raise InvalidInput(where, "name", None, "an artifact needs a name (or an iri)")
    kind = repo.kind(body.kind)
    common: dict[str, Any] = {
        "uri": body.uri,
        "digest": body.digest,
        "version": body.version,
        "description": body.description,
        "annotations": body.annotations or None,
    }
    attributes: dict[str, Any] = dict(body.attributes)
    for name, attribute in kind.attributes.items():
        # JSON has no datetime: a datetime attribute comes as ISO 8601 text.
        value = attributes.get(name)
        if attribute.type is dt.datetime and isinstance(value, str):
            try:
                attributes[name] = dt.datetime.fromisoformat(value)
            except ValueError:
                reason = "expected an ISO 8601 datetime with a timezone"
                raise InvalidInput(f"{kind.name} {body.name!r}", name, value, reason) from None
    if kind is DATASET:
        return kgrepo.Dataset(
            body.name, characteristics=body.characteristics or None, **common, **attributes
        )
    if body.characteristics:
        raise InvalidInput(
            f"{kind.name} {body.name!r}", "characteristics", body.characteristics, "Datasets only"
        )
    return Artifact(body.name, kind=kind, **common, **attributes)


def attribute_types(attributes: dict[str, Any]) -> dict[str, tuple[type, bool]]:
    return {name: (_TYPES[a.type], a.required) for name, a in attributes.items()}


__all__ = ["artifact", "attribute_types", "executable", "iri", "trigger"]
