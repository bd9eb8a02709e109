"""Artifact kinds and artifacts: the things runs consume and produce.

Built-in kinds are :data:`ARTIFACT`, :data:`DATASET`, :data:`MODEL`, :data:`METRICS` and
:data:`EVENT`. Users register their own kinds with :meth:`kgrepo.Repository.register_kind`; a custom
kind is an :class:`ArtifactKind` like the built-in ones, stored in the repository, validated by the
same shapes machinery and queried the same way (FR11).

>>> data = Dataset("digits", uri="file:///data/digits.csv", digest="sha256:ab12",
...                characteristics={"rows": 1797, "classes": 10})
>>> data.kind.name, data.attributes["storage_type"] is None
('Dataset', True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Literal, NamedNode

from kgrepo import _terms
from kgrepo._vocab import KG, XSD
from kgrepo.errors import InvalidInput

#: Python types an attribute may declare, and the XSD datatype each is stored as.
ATTRIBUTE_TYPES: dict[type, NamedNode] = {
    str: XSD.string,
    int: XSD.integer,
    float: XSD.double,
    bool: XSD.boolean,
    dt.datetime: XSD.dateTime,
}
DATATYPE_TYPES = {v: k for k, v in ATTRIBUTE_TYPES.items()}


@dataclass(frozen=True)
class Attribute:
    """A typed attribute of an artifact kind, stored under ``predicate``."""

    name: str
    type: type
    predicate: NamedNode
    required: bool = False
    description: str | None = None

    @property
    def datatype(self) -> NamedNode:
        return ATTRIBUTE_TYPES[self.type]

    def literal(self, entity: str, value: Any) -> Literal:
        """The value as a literal of the declared type; wrong types are refused, never coerced."""
        if self.type is str:
            return _terms.text(entity, self.name, value, blank_ok=True)
        if self.type is float:
            return _terms.number(entity, self.name, value)
        if self.type is int:
            return _terms.integer(entity, self.name, value)
        if self.type is bool:
            if not isinstance(value, bool):
                raise InvalidInput(entity, self.name, value, "expected a bool")
            return Literal(value)
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise InvalidInput(entity, self.name, value, "expected a timezone-aware datetime")
        return _terms.timestamp(value)


@dataclass(frozen=True)
class ArtifactKind:
    """A kind of artifact: its class IRI, its parent kind and its typed attributes.

    Calling a kind makes an artifact of it: ``Validation("v1", verdict="pass")``.
    """

    name: str
    iri: NamedNode
    parent: ArtifactKind | None = None
    own_attributes: tuple[Attribute, ...] = ()
    description: str | None = None
    builtin: bool = False

    @property
    def attributes(self) -> dict[str, Attribute]:
        """Own attributes and inherited ones, by name."""
        inherited = self.parent.attributes if self.parent else {}
        return {**inherited, **{a.name: a for a in self.own_attributes}}

    def is_a(self, other: ArtifactKind) -> bool:
        kind: ArtifactKind | None = self
        while kind is not None:
            if kind.iri == other.iri:
                return True
            kind = kind.parent
        return False

    @staticmethod
    def most_specific(kinds: Iterable[ArtifactKind], types: Iterable[str]) -> ArtifactKind | None:
        """The deepest of ``kinds`` whose IRI is among ``types`` (an artifact's ``rdf:type``
        IRIs), or None if none is: the kind to show for an artifact typed with its ancestors.

        >>> from kgrepo import ARTIFACT, MODEL
        >>> ArtifactKind.most_specific([ARTIFACT, MODEL], [ARTIFACT.iri.value, MODEL.iri.value])
        ArtifactKind('Model')
        """
        held = set(types)
        best: ArtifactKind | None = None
        for kind in kinds:
            if kind.iri.value in held and (best is None or kind.is_a(best)):
                best = kind
        return best

    def __call__(self, name: str, **fields: Any) -> Artifact:
        return Artifact(name, kind=self, **fields)

    def __repr__(self) -> str:
        return f"ArtifactKind({self.name!r})"


ARTIFACT = ArtifactKind("Artifact", KG.Artifact, builtin=True)
DATASET = ArtifactKind(
    "Dataset",
    KG.Dataset,
    ARTIFACT,
    (Attribute("storage_type", str, KG.storageType, description="blob, SQL, HDFS, …"),),
    builtin=True,
)
MODEL = ArtifactKind(
    "Model",
    KG.Model,
    ARTIFACT,
    (
        Attribute("algorithm", str, KG.algorithm),
        Attribute("framework", str, KG.framework),
        Attribute("framework_version", str, KG.frameworkVersion),
        Attribute("input_schema", str, KG.inputSchema),
        Attribute("output_schema", str, KG.outputSchema),
    ),
    builtin=True,
)
METRICS = ArtifactKind(
    "Metrics", KG.Metrics, ARTIFACT, (Attribute("scope", str, KG.scope),), builtin=True
)
EVENT = ArtifactKind(
    "Event", KG.Event, ARTIFACT, (Attribute("reason", str, KG.reason),), builtin=True
)
BUILTIN_KINDS = {k.name: k for k in (ARTIFACT, DATASET, MODEL, METRICS, EVENT)}


class Artifact:
    """Anything a step consumes or produces, described by its kind's attributes.

    ``uri`` says where the bytes live; ``digest`` (``algorithm:hex``) identifies the content:
    artifacts of the same kind and digest are the same artifact across runs and experiments.
    """

    def __init__(
        self,
        name: str,
        *,
        kind: ArtifactKind = ARTIFACT,
        uri: str | None = None,
        digest: str | None = None,
        version: str | None = None,
        description: str | None = None,
        annotations: Mapping[str, Any] | None = None,
        **attributes: Any,
    ) -> None:
        entity = f"{kind.name} {name!r}"
        self.name = _terms.name(entity, name)
        self.kind = kind
        self.uri = uri
        self.digest = digest
        self.version = version
        self.description = description
        if annotations is not None and not isinstance(annotations, Mapping):
            raise InvalidInput(entity, "annotations", annotations, "expected a mapping")
        self.annotations = dict(annotations or {})
        known = kind.attributes
        unknown = set(attributes) - set(known)
        if unknown:
            field_name = sorted(unknown)[0]
            raise InvalidInput(
                entity,
                field_name,
                attributes[field_name],
                f"{kind.name} has no such attribute; it has: {', '.join(sorted(known)) or 'none'}",
            )
        self.attributes: dict[str, Any] = {a: attributes.get(a) for a in known}
        missing = [a.name for a in known.values() if a.required and self.attributes[a.name] is None]
        if missing:
            raise InvalidInput(entity, missing[0], None, f"is required by kind {kind.name}")
        # Checked when made, so bad input fails at the line that made it, not inside a step.
        if uri is not None:
            _terms.iri(entity, "uri", uri)
        if digest is not None:
            _terms.digest(entity, digest)
        for field_name, value in (("version", version), ("description", description)):
            if value is not None:
                _terms.text(entity, field_name, value)
        for attribute in known.values():
            if self.attributes[attribute.name] is not None:
                attribute.literal(entity, self.attributes[attribute.name])
        for key, value in self.annotations.items():
            _terms.text(entity, "annotation key", key)
            _terms.scalar(entity, f"annotations[{key!r}]", value)

    @property
    def entity(self) -> str:
        """How errors name this artifact: ``Dataset 'digits'``."""
        return f"{self.kind.name} {self.name!r}"

    def __repr__(self) -> str:
        return f"{self.kind.name}({self.name!r}, digest={self.digest!r})"


class Dataset(Artifact):
    """Data. ``characteristics`` (rows, features, classes, …) are recorded as ML-Schema
    dataset characteristics."""

    def __init__(
        self,
        name: str,
        *,
        uri: str | None = None,
        digest: str | None = None,
        storage_type: str | None = None,
        characteristics: Mapping[str, int | float | str | bool] | None = None,
        **common: Any,
    ) -> None:
        super().__init__(
            name, kind=DATASET, uri=uri, digest=digest, storage_type=storage_type, **common
        )
        if characteristics is not None and not isinstance(characteristics, Mapping):
            raise InvalidInput(
                self.entity, "characteristics", characteristics, "expected a mapping"
            )
        self.characteristics = dict(characteristics or {})
        for key, value in _terms.flatten(
            self.entity, self.characteristics, what="characteristic"
        ).items():
            _terms.scalar(self.entity, f"characteristics[{key!r}]", value)


class Model(Artifact):
    """A trained model; ``framework`` is a name or a ``(name, version)`` pair."""

    def __init__(
        self,
        name: str,
        *,
        uri: str | None = None,
        digest: str | None = None,
        algorithm: str | None = None,
        framework: str | tuple[str, str] | None = None,
        input_schema: str | None = None,
        output_schema: str | None = None,
        **common: Any,
    ) -> None:
        framework_version = None
        if isinstance(framework, tuple):
            if len(framework) != 2:
                raise InvalidInput(
                    f"Model {name!r}", "framework", framework, "expected a name or (name, version)"
                )
            framework, framework_version = framework
        super().__init__(
            name,
            kind=MODEL,
            uri=uri,
            digest=digest,
            algorithm=algorithm,
            framework=framework,
            framework_version=framework_version,
            input_schema=input_schema,
            output_schema=output_schema,
            **common,
        )


@dataclass(frozen=True)
class ArtifactRef:
    """An artifact as recorded: its IRI, and the description it was recorded with."""

    iri: NamedNode
    artifact: Artifact = field(compare=False)

    @property
    def name(self) -> str:
        return self.artifact.name

    @property
    def kind(self) -> ArtifactKind:
        return self.artifact.kind

    def __str__(self) -> str:
        return self.iri.value
