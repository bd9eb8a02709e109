"""The ontology as kgrepo's writer needs it: the super-terms to materialise for each term.

kgrepo materialises the super-classes and super-properties asserted in ``ontology/kgrepo.ttl``,
transitively through kgrepo's own terms, so that plain PROV-O and ML-Schema queries work without a
reasoner. The internal hierarchies of PROV-O and ML-Schema (``mls:Dataset ⊑ mls:Data``,
``prov:used ⊑ prov:wasInfluencedBy``) are left to the client's reasoner.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from kgrepo._vocab import MLS, PROV, RDF, RDFS

_STANDARD = (MLS.NS, PROV.NS)


@dataclass(frozen=True)
class Ontology:
    """Super-terms of every term, closed transitively, excluding the term itself."""

    class_supers: dict[NamedNode, frozenset[NamedNode]]
    property_supers: dict[NamedNode, frozenset[NamedNode]]

    @classmethod
    def from_quads(cls, quads: Iterable[Quad]) -> Ontology:
        direct: dict[NamedNode, dict[NamedNode, set[NamedNode]]] = {
            RDFS.subClassOf: {},
            RDFS.subPropertyOf: {},
        }
        for q in quads:
            if q.predicate in direct and isinstance(q.object, NamedNode):
                direct[q.predicate].setdefault(q.subject, set()).add(q.object)  # type: ignore[arg-type]
        return cls(_close(direct[RDFS.subClassOf]), _close(direct[RDFS.subPropertyOf]))

    def types(self, cls: NamedNode) -> list[NamedNode]:
        """``cls`` and its super-classes."""
        return [cls, *sorted(self.class_supers.get(cls, ()), key=str)]

    def is_a(self, cls: NamedNode, ancestor: NamedNode) -> bool:
        return cls == ancestor or ancestor in self.class_supers.get(cls, ())

    def with_classes(self, extra: Iterable[tuple[NamedNode, NamedNode]]) -> Ontology:
        """A copy that also knows ``(subclass, superclass)`` pairs, e.g. custom artifact kinds."""
        direct = {c: set(s) for c, s in self.class_supers.items()}
        for sub, sup in extra:
            direct.setdefault(sub, set()).add(sup)
        return Ontology(_close(direct), self.property_supers)


def _close(direct: dict[NamedNode, set[NamedNode]]) -> dict[NamedNode, frozenset[NamedNode]]:
    closed: dict[NamedNode, frozenset[NamedNode]] = {}

    def visit(term: NamedNode, seen: frozenset[NamedNode]) -> frozenset[NamedNode]:
        if term in closed:
            return closed[term]
        result: set[NamedNode] = set()
        for parent in direct.get(term, ()):
            if parent in seen:
                continue
            result.add(parent)
            # Follow kgrepo's own terms (and custom kinds), not PROV-O's or ML-Schema's.
            if not parent.value.startswith(_STANDARD):
                result |= visit(parent, seen | {term})
        closed[term] = frozenset(result)
        return closed[term]

    for term in direct:
        visit(term, frozenset())
    return closed


def resource(name: str) -> Traversable:
    """A packaged file of ``ontology/`` (e.g. ``"kgrepo.ttl"`` or ``"queries/experiments.rq"``)."""
    return files("kgrepo.ontology").joinpath(name)


@functools.cache
def load() -> Ontology:
    """The packaged ontology (parsed once; it is immutable)."""
    data = resource("kgrepo.ttl").read_bytes()
    return Ontology.from_quads(parse(data, RdfFormat.TURTLE))


def shapes_quads() -> list[Quad]:
    return list(parse(resource("shapes.ttl").read_bytes(), RdfFormat.TURTLE))


__all__ = ["RDF", "Ontology", "load", "shapes_quads"]
