"""Custom artifact kinds (FR11): registered once, stored in the repository's schema graph.

A custom kind is written as an OWL class under the repository's base (``<base>kind/<Name>``), a
sub-class of its parent kind, with one datatype property per attribute and a SHACL node shape; so
it is stored, validated and queried exactly like the built-in kinds.
"""

from __future__ import annotations

import datetime as dt
import keyword
from collections.abc import Iterable, Mapping
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from kgrepo._vocab import KG, OWL, RDF, RDFS, SH, XSD
from kgrepo.artifacts import (
    ATTRIBUTE_TYPES,
    BUILTIN_KINDS,
    DATATYPE_TYPES,
    ArtifactKind,
    Attribute,
)
from kgrepo.errors import Conflict, InvalidInput
from kgrepo.iris import Minter

#: Names every artifact has already; attributes may not reuse them.
RESERVED = frozenset(
    {"name", "kind", "uri", "digest", "version", "description", "annotations", "characteristics"}
)


def define(
    minter: Minter,
    name: str,
    attributes: Mapping[str, type | tuple[type, bool]],
    parent: ArtifactKind,
    description: str | None,
) -> ArtifactKind:
    """Checks a kind definition and builds it. ``attributes`` maps a name to a type, or to
    ``(type, required)``; types are ``str``, ``int``, ``float``, ``bool`` and ``datetime``."""
    entity = f"Kind {name!r}"
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidInput("Kind", "name", name, "must be a Python identifier, e.g. 'Validation'")
    if name in BUILTIN_KINDS:
        raise Conflict(f"{name!r} is a built-in artifact kind; choose another name")
    if not isinstance(parent, ArtifactKind):
        raise InvalidInput(
            entity, "parent", parent, "expected an ArtifactKind, e.g. kgrepo.DATASET"
        )
    if description is not None and not isinstance(description, str):
        raise InvalidInput(entity, "description", description, "expected a string")
    if not isinstance(attributes, Mapping):
        raise InvalidInput(entity, "attributes", attributes, "expected a mapping of name to type")
    iri = minter.kind(name)
    own = []
    # Sorted: the stored kind (reloaded from the store) has no declaration order to keep.
    for attr, spec in sorted(attributes.items()):
        kind_type, required = spec if isinstance(spec, tuple) else (spec, False)
        if not isinstance(attr, str) or not attr.isidentifier() or keyword.iskeyword(attr):
            raise InvalidInput(entity, "attribute name", attr, "must be a Python identifier")
        if attr in RESERVED or attr in parent.attributes:
            raise InvalidInput(
                entity,
                "attribute name",
                attr,
                "is already an attribute of every artifact"
                if attr in RESERVED
                else f"is inherited from {parent.name}",
            )
        if kind_type not in ATTRIBUTE_TYPES:
            raise InvalidInput(
                entity,
                f"attribute {attr!r}",
                kind_type,
                "type must be str, int, float, bool or datetime",
            )
        if not isinstance(required, bool):
            raise InvalidInput(
                entity, f"attribute {attr!r}", spec, "expected a type or (type, required)"
            )
        own.append(Attribute(attr, kind_type, Minter.child(iri, attr), required))
    return ArtifactKind(name, iri, parent, tuple(own), description)


def check_compatible(old: ArtifactKind, new: ArtifactKind) -> None:
    """Raises :class:`Conflict` if ``new`` redefines ``old`` differently."""
    if old.parent != new.parent:
        raise Conflict(
            f"kind {old.name!r} is registered with parent {_name(old.parent)}, "
            f"not {_name(new.parent)}"
        )
    before = {a.name: (a.type, a.required) for a in old.own_attributes}
    after = {a.name: (a.type, a.required) for a in new.own_attributes}
    for attr in sorted(set(before) | set(after)):
        if before.get(attr) != after.get(attr):
            raise Conflict(
                f"kind {old.name!r} attribute {attr!r} is registered as {_spec(before.get(attr))}, "
                f"redefinition says {_spec(after.get(attr))}; register a new kind name instead"
            )


def to_quads(kind: ArtifactKind, graph: NamedNode) -> list[Quad]:
    """The kind as OWL and SHACL statements in the schema graph."""
    assert kind.parent is not None
    shape = Minter.child(kind.iri, "shape")
    triples: list[tuple[Any, NamedNode, Any]] = [
        (kind.iri, RDF.type, OWL.Class),
        (kind.iri, RDF.type, KG.ArtifactKind),
        (kind.iri, RDFS.subClassOf, kind.parent.iri),
        (kind.iri, RDFS.label, Literal(kind.name)),
        (shape, RDF.type, SH.NodeShape),
        (shape, SH.targetClass, kind.iri),
    ]
    if kind.description:
        triples.append((kind.iri, RDFS.comment, Literal(kind.description)))
    for attr in kind.own_attributes:
        prop_shape = Minter.child(shape, attr.name)
        triples += [
            (attr.predicate, RDF.type, OWL.DatatypeProperty),
            (attr.predicate, RDFS.label, Literal(attr.name)),
            (attr.predicate, RDFS.domain, kind.iri),
            (attr.predicate, RDFS.range, attr.datatype),
            (shape, SH.property, prop_shape),
            (prop_shape, SH.path, attr.predicate),
            (prop_shape, SH.name, Literal(attr.name)),
            (prop_shape, SH.datatype, attr.datatype),
            (prop_shape, SH.maxCount, Literal(1)),
        ]
        if attr.required:
            triples.append((prop_shape, SH.minCount, Literal(1)))
    return [Quad(s, p, o, graph) for s, p, o in triples]


def from_rows(
    rows: Iterable[Mapping[str, Any]], known: Mapping[str, ArtifactKind]
) -> dict[str, ArtifactKind]:
    """Rebuilds kinds from the rows of ``custom-kinds.rq`` (parents before children)."""
    found: dict[NamedNode, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(
            row["kind"],
            {
                "name": row["name"].value,
                "parent": row["parent"],
                "description": row.get("description"),
                "attrs": {},
            },
        )
        if row.get("attribute") is not None:
            required = row["required"].value == "true"
            entry["attrs"][row["attribute"]] = (
                row["attributeName"].value,
                row["datatype"],
                required,
            )
    by_iri = {k.iri: k for k in known.values()}
    kinds: dict[str, ArtifactKind] = {}
    pending = dict(found)
    while pending:
        progressed = False
        for iri, entry in list(pending.items()):
            parent = by_iri.get(entry["parent"])
            if parent is None:
                continue
            attrs = tuple(
                Attribute(n, DATATYPE_TYPES.get(dtype, str), prop, req)
                for prop, (n, dtype, req) in sorted(entry["attrs"].items(), key=lambda x: x[1][0])
            )
            desc = entry["description"].value if entry["description"] is not None else None
            kind = ArtifactKind(entry["name"], iri, parent, attrs, desc)
            kinds[kind.name] = by_iri[iri] = kind
            del pending[iri]
            progressed = True
        if not progressed:
            break
    return kinds


def _name(kind: ArtifactKind | None) -> str:
    return kind.name if kind else "none"


def _spec(spec: tuple[type, bool] | None) -> str:
    if spec is None:
        return "absent"
    kind_type, required = spec
    label = "datetime" if kind_type is dt.datetime else kind_type.__name__
    return f"{label}{' (required)' if required else ''}"


__all__ = ["XSD", "check_compatible", "define", "from_rows", "to_quads"]
