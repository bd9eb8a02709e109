"""SHACL validation on the write path, compiled from ``ontology/shapes.ttl``.

pySHACL validates a record in tens of milliseconds, longer than writing it; recording must not
slow a training loop. So the shapes are compiled once into plain Python checks. The compiler
supports the SHACL subset the shapes use (``sh:targetClass``; property shapes with a single-IRI
``sh:path``, ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:nodeKind``, ``sh:pattern``,
``sh:flags``, ``sh:in``, ``sh:minLength``, ``sh:name``, ``sh:message``) and refuses shapes using
anything else, so the fast path can never silently check less than the shapes say.
``tests/test_validation.py`` checks that it agrees with pySHACL on valid and invalid records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from kgrepo._vocab import RDF, RDFS, SH, XSD
from kgrepo.errors import ValidationError

Term = NamedNode | BlankNode | Literal
Triple = tuple[Term, NamedNode, Term]

_FIRST, _REST, _NIL = (NamedNode(RDF.NS + n) for n in ("first", "rest", "nil"))
_NODE_KNOWN = {RDF.type, SH.targetClass, SH.property, RDFS.comment, RDFS.label}
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_KNOWN = {
    SH.path,
    SH.name,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH.flags,
    SH.in_,
    SH.minLength,
    SH.message,
    RDFS.comment,
}


@dataclass(frozen=True)
class PropertyRule:
    """One property shape."""

    path: NamedNode
    field: str
    min_count: int = 0
    max_count: int | None = None
    datatype: NamedNode | None = None
    node_kind: NamedNode | None = None
    pattern: re.Pattern[str] | None = None
    allowed: frozenset[Term] | None = None
    min_length: int | None = None
    message: str | None = None

    def violation(self, values: Sequence[Term]) -> tuple[object, str] | None:
        """The first offending value and the reason, or None."""
        if len(values) < self.min_count:
            return None, self.message or f"is required (at least {self.min_count} value)"
        if self.max_count is not None and len(values) > self.max_count:
            shown = sorted(str(_show(v)) for v in values)
            return shown, self.message or f"takes at most {self.max_count} value(s)"
        for value in values:
            reason = self._value_violation(value)
            if reason:
                return _show(value), self.message or reason
        return None

    def _value_violation(self, value: Term) -> str | None:
        if self.node_kind == SH.IRI and not isinstance(value, NamedNode):
            return "must be an IRI"
        if self.node_kind == SH.Literal and not isinstance(value, Literal):
            return "must be a literal value"
        if self.datatype is not None and (
            not isinstance(value, Literal)
            or value.datatype != self.datatype
            or not _well_formed(value.value, self.datatype)
        ):
            return f"must be of type {_local(self.datatype)}"
        if self.allowed is not None and value not in self.allowed:
            return "must be one of " + ", ".join(sorted(str(_show(a)) for a in self.allowed))
        if self.min_length is not None and len(_lexical(value)) < self.min_length:
            return f"must be at least {self.min_length} characters long"
        if self.pattern is not None and not self.pattern.search(_lexical(value)):
            return f"must match {self.pattern.pattern!r}"
        return None


@dataclass(frozen=True)
class NodeRule:
    shape: NamedNode | BlankNode
    target: NamedNode
    properties: tuple[PropertyRule, ...]


class Validator:
    """Checks the triples of one write against the shapes of the classes its subjects have.

    Every subject typed in the write is checked against the shapes targeting its types (kgrepo
    writes super-types too, so a ``kg:Dataset`` meets the ``kg:Artifact`` shape as well).
    """

    def __init__(self, rules: Iterable[NodeRule] = ()) -> None:
        self._by_class: dict[NamedNode, list[NodeRule]] = defaultdict(list)
        self._paths: set[NamedNode] = {RDF.type}
        for rule in rules:
            self.add(rule)

    @classmethod
    def from_quads(cls, quads: Iterable[Quad]) -> Validator:
        return cls(compile_shapes(quads))

    def add(self, rule: NodeRule) -> None:
        self._by_class[rule.target].append(rule)
        self._paths = {RDF.type, *(p.path for r in self.rules() for p in r.properties)}

    def rules(self) -> list[NodeRule]:
        return [rule for rules in self._by_class.values() for rule in rules]

    def check(self, triples: Iterable[Triple], describe: Callable[[Term], str]) -> None:
        """Raises :class:`ValidationError` for the first violation found."""
        values: dict[Term, dict[NamedNode, dict[Term, None]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        paths = self._paths
        for s, p, o in triples:
            if p in paths:  # statements no shape constrains (materialised copies) are skipped
                values[s][p][o] = None  # a set that keeps order: RDF statements are a set
        for subject, props in values.items():
            for cls in props.get(RDF.type, ()):
                for rule in self._by_class.get(cls, ()):  # type: ignore[arg-type]
                    for prop in rule.properties:
                        found = prop.violation(list(props.get(prop.path, ())))
                        if found is not None:
                            value, reason = found
                            raise ValidationError(
                                describe(subject), prop.field, value, reason, _name(rule.shape)
                            )


def compile_shapes(quads: Iterable[Quad]) -> list[NodeRule]:
    """Compiles the node shapes found in ``quads``; refuses SHACL features it does not support."""
    out: dict[Term, dict[NamedNode, list[Term]]] = defaultdict(lambda: defaultdict(list))
    for q in quads:
        out[q.subject][q.predicate].append(q.object)  # type: ignore[index,arg-type]
    rules = []
    for shape, props in out.items():
        if SH.NodeShape not in props.get(RDF.type, ()) and SH.targetClass not in props:
            continue  # a property shape or list node, compiled with its node shape
        unknown = set(props) - _NODE_KNOWN
        if unknown:
            raise ValueError(
                f"unsupported SHACL terms in node shape {shape}: {sorted(map(str, unknown))}"
            )
        for target in props.get(SH.targetClass, ()):
            properties = tuple(_property(out, p) for p in props.get(SH.property, ()))
            rules.append(NodeRule(shape, target, properties))  # type: ignore[arg-type]
    return rules


def _property(out: dict[Term, dict[NamedNode, list[Term]]], node: Term) -> PropertyRule:
    props = out[node]
    unknown = set(props) - _KNOWN
    if unknown:
        raise ValueError(
            f"unsupported SHACL terms in a property shape: {sorted(map(str, unknown))}"
        )
    path = _one(props, SH.path)
    if not isinstance(path, NamedNode):
        raise ValueError(f"only single-IRI sh:path is supported, got {path}")
    flags = 0
    for letter in _text(props, SH.flags) or "":
        if letter not in _FLAGS:
            raise ValueError(f"unsupported sh:flags letter {letter!r} (supported: imsx)")
        flags |= _FLAGS[letter]
    pattern = _text(props, SH.pattern)
    if pattern is not None and not flags & re.MULTILINE:
        # XPath's "$" ends the string; Python's also matches before a final newline.
        pattern = re.sub(r"(?<!\\)\$", r"\\Z", pattern)
    allowed = _one(props, SH.in_)
    return PropertyRule(
        path=path,
        field=_text(props, SH.name) or _local(path),
        min_count=_int(props, SH.minCount) or 0,
        max_count=_int(props, SH.maxCount),
        datatype=_one(props, SH.datatype),  # type: ignore[arg-type]
        node_kind=_one(props, SH.nodeKind),  # type: ignore[arg-type]
        pattern=re.compile(pattern, flags) if pattern is not None else None,
        allowed=frozenset(_list(out, allowed)) if allowed is not None else None,
        min_length=_int(props, SH.minLength),
        message=_text(props, SH.message),
    )


def _one(props: dict[NamedNode, list[Term]], key: NamedNode) -> Term | None:
    values = props.get(key, [])
    return values[0] if values else None


def _text(props: dict[NamedNode, list[Term]], key: NamedNode) -> str | None:
    value = _one(props, key)
    return value.value if isinstance(value, Literal) else None


def _int(props: dict[NamedNode, list[Term]], key: NamedNode) -> int | None:
    value = _text(props, key)
    return int(value) if value is not None else None


def _list(out: dict[Term, dict[NamedNode, list[Term]]], head: Term) -> list[Term]:
    items = []
    while head != _NIL:
        node = out[head]
        items.append(node[_FIRST][0])
        head = node[_REST][0]
    return items


_LEXICAL = {
    XSD.integer: re.compile(r"[+-]?[0-9]+\Z"),
    XSD.double: re.compile(r"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)\Z"),
    XSD.boolean: re.compile(r"(true|false|1|0)\Z"),
}


def _well_formed(lexical: str, datatype: NamedNode) -> bool:
    """Whether ``lexical`` is a valid value of ``datatype`` (as pySHACL checks it)."""
    if datatype == XSD.dateTime:
        try:
            dt.datetime.fromisoformat(lexical)
        except ValueError:
            return False
        return "T" in lexical
    pattern = _LEXICAL.get(datatype)
    return pattern is None or pattern.match(lexical) is not None


def _lexical(term: Term) -> str:
    return term.value if isinstance(term, Literal | NamedNode) else str(term)


def _local(iri: NamedNode) -> str:
    return re.split(r"[#/]", iri.value)[-1]


def _show(term: Term) -> object:
    if isinstance(term, NamedNode):
        return _local(term) if "#" in term.value else term.value
    if isinstance(term, Literal):
        return term.value
    return str(term)


def _name(node: Term) -> str:
    return node.value if isinstance(node, NamedNode) else str(node)
