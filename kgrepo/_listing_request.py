"""FR1: a listing's request (kind, filters, sort), checked and turned into terms.

:func:`parse_request` is where :func:`kgrepo.listing.list_artifacts` refuses bad input, naming the
field and the value: an unknown kind, field or measure, a value of the wrong type, an unknown
operator, a limit out of range. What it returns (:class:`Request`) holds only checked terms, and
its :meth:`~Request.fingerprint` identifies the listing, so a cursor is never used for another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from kgrepo import _terms, queries
from kgrepo._vocab import KG, RDFS
from kgrepo.artifacts import ArtifactKind
from kgrepo.errors import InvalidInput

if TYPE_CHECKING:
    from kgrepo.repository import Repository

#: The largest page :func:`kgrepo.listing.list_artifacts` returns.
MAX_LIMIT = 1000
#: The comparisons a metric condition may use.
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
#: The entity bad input is reported on.
ENTITY = "Listing"


# -- the fields a listing can filter and sort on ---------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Field:
    """A field a listing filters or sorts on: its name, the predicate it is stored under and the
    Python type of its values (``anyuri``: text stored as ``xsd:anyURI``)."""

    name: str
    predicate: NamedNode
    type: type
    anyuri: bool = False

    @property
    def by_value(self) -> bool:
        """Compared by value (a filter: 1.0 equals 1.00, an instant equals itself in another
        time zone) rather than by term (an index lookup)."""
        return self.type in (float, dt.datetime)


#: Fields every artifact has, besides its kind's attributes.
COMMON_FIELDS = {
    f.name: f
    for f in (
        Field("name", RDFS.label, str),
        Field("uri", KG.uri, str, anyuri=True),
        Field("digest", KG.digest, str),
        Field("version", KG.version, str),
        Field("description", RDFS.comment, str),
        Field("created", KG.createdAt, dt.datetime),
    )
}


def _fields(kind: ArtifactKind) -> dict[str, Field]:
    own = {a.name: Field(a.name, a.predicate, a.type) for a in kind.attributes.values()}
    return {**COMMON_FIELDS, **own}


# -- the request, checked --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Request:
    """A checked listing request: the kind, filters and sort as terms."""

    kind: ArtifactKind
    where: tuple[tuple[Field, Literal], ...]
    annotations: tuple[tuple[str, Literal], ...]
    metrics: tuple[tuple[str, NamedNode, str, Literal], ...]
    sort: str
    sort_field: Field | None
    sort_measure: NamedNode | None
    descending: bool

    def fingerprint(self) -> str:
        """Identifies the listing (kind, filters, sort), so a cursor is not used for another."""
        text = json.dumps(
            [
                self.kind.iri.value,
                [[f.name, str(v)] for f, v in self.where],
                [[k, str(v)] for k, v in self.annotations],
                [[m, op, str(v)] for m, _, op, v in self.metrics],
                self.sort,
                self.descending,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_request(
    repo: Repository,
    kind: str | ArtifactKind,
    where: Mapping[str, Any] | None,
    annotations: Mapping[str, Any] | None,
    metrics: Mapping[str, tuple[str, float]] | None,
    sort: str | None,
    descending: bool,
) -> Request:
    """The request of :func:`kgrepo.listing.list_artifacts`, checked (InvalidInput or NotFound
    naming the field and the value otherwise)."""
    if isinstance(kind, ArtifactKind):
        kind = kind.name
    if not isinstance(kind, str):
        raise InvalidInput(ENTITY, "kind", kind, "expected a kind name, e.g. 'Model'")
    found = repo.kind(kind)
    fields = _fields(found)
    if not isinstance(descending, bool):
        raise InvalidInput(ENTITY, "descending", descending, "expected True or False")
    checked_where = []
    for name, value in _mapping("where", where).items():
        field = _field(fields, found, name)
        checked_where.append((field, _literal(field, f"where.{name}", value)))
    checked_annotations = tuple(
        (
            _terms.text(ENTITY, "annotation key", key).value,
            _annotation_literal(f"annotations.{key}", value),
        )
        for key, value in _mapping("annotations", annotations).items()
    )
    measures: dict[str, NamedNode] | None = None
    checked_metrics = []
    for name, condition in _mapping("metrics", metrics).items():
        measures = measures if measures is not None else _measures(repo)
        measure = _measure(measures, "metrics", name)
        op, threshold = _condition(f"metrics.{name}", condition)
        checked_metrics.append((name, measure, op, threshold))
    sort = "name" if sort is None else sort
    if not isinstance(sort, str):
        raise InvalidInput(ENTITY, "sort", sort, "expected a field name or 'metric:<measure>'")
    sort_field: Field | None = None
    sort_measure: NamedNode | None = None
    if sort.startswith("metric:"):
        measures = measures if measures is not None else _measures(repo)
        sort_measure = _measure(measures, "sort", sort.removeprefix("metric:"))
    elif sort in fields:
        sort_field = fields[sort]
    else:
        raise InvalidInput(
            ENTITY,
            "sort",
            sort,
            f"{found.name} has no such field; sort by one of: {', '.join(sorted(fields))}, "
            "or metric:<measure>",
        )
    return Request(
        found,
        tuple(checked_where),
        checked_annotations,
        tuple(checked_metrics),
        sort,
        sort_field,
        sort_measure,
        descending,
    )


def _mapping(name: str, value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(ENTITY, name, value, "expected a mapping")
    for key in value:
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput(ENTITY, name, key, "keys must be non-empty strings")
    return value


def _field(fields: Mapping[str, Field], kind: ArtifactKind, name: str) -> Field:
    found = fields.get(name)
    if found is None:
        raise InvalidInput(
            ENTITY,
            "where",
            name,
            f"{kind.name} has no such field; it has: {', '.join(sorted(fields))}",
        )
    return found


def _literal(field: Field, label: str, value: Any) -> Literal:
    """``value`` as the literal the field is stored as (text is parsed for typed fields)."""
    if isinstance(value, str) and field.type is not str:
        value = _parse(field, label, value)
    if field.type is str:
        if field.anyuri:
            return _terms.uri_literal(ENTITY, label, value)
        return _terms.text(ENTITY, label, value, blank_ok=True)
    if field.type is float:
        return _terms.number(ENTITY, label, value)
    if field.type is int:
        return _terms.integer(ENTITY, label, value)
    if field.type is bool:
        if not isinstance(value, bool):
            raise InvalidInput(ENTITY, label, value, "expected a bool")
        return Literal(value)
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(ENTITY, label, value, "expected a timezone-aware datetime")
    return _terms.timestamp(value)


def _parse(field: Field, label: str, text: str) -> Any:
    try:
        if field.type is int:
            return int(text)
        if field.type is float:
            return float(text)
        if field.type is bool:
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise ValueError(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        expected = {int: "an integer", float: "a number", bool: "true or false"}.get(
            field.type, "an ISO 8601 date and time with a time zone"
        )
        raise InvalidInput(ENTITY, label, text, f"expected {expected}") from None


def _annotation_literal(label: str, value: Any) -> Literal:
    if isinstance(value, str):
        return Literal(value)
    if isinstance(value, bool | int | float):
        return _terms.scalar(ENTITY, label, value)
    raise InvalidInput(
        ENTITY, label, value, f"expected text, a number or a bool, got {type(value).__name__}"
    )


def _measures(repo: Repository) -> dict[str, NamedNode]:
    return {
        row["name"]: NamedNode(row["measure"]) for row in repo.select(queries.text("list-measures"))
    }


def _measure(measures: Mapping[str, NamedNode], label: str, name: str) -> NamedNode:
    found = measures.get(name)
    if found is None:
        known = ", ".join(sorted(measures)) or "none yet"
        raise InvalidInput(
            ENTITY, label, name, f"no metric of this measure is recorded; measures: {known}"
        )
    return found


def _condition(label: str, condition: Any) -> tuple[str, Literal]:
    if not isinstance(condition, tuple | list) or len(condition) != 2:
        raise InvalidInput(
            ENTITY, label, condition, "expected (operator, number), e.g. ('>=', 0.9)"
        )
    op, threshold = condition
    if op == "==":
        op = "="
    if op not in OPERATORS:
        raise InvalidInput(ENTITY, label, op, f"unknown operator; use one of {' '.join(OPERATORS)}")
    return op, _terms.number(ENTITY, label, threshold)


def check_limit(limit: Any) -> int:
    """``limit`` if it is a page size kgrepo serves (1 to :data:`MAX_LIMIT`)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(ENTITY, "limit", limit, f"expected an integer from 1 to {MAX_LIMIT}")
    return limit
