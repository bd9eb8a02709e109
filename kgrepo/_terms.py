"""Turning Python values into RDF terms, with errors that name the entity, field and value."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pyoxigraph import Literal, NamedNode

from kgrepo._vocab import XSD
from kgrepo.errors import InvalidInput

Scalar = str | int | float | bool

_NOT_FINITE = "must be finite: NaN and infinity neither sort nor compare"

#: The form of a content digest, ``algorithm:value`` (the same as ontology/shapes.ttl).
DIGEST = re.compile(r"[A-Za-z0-9_.+-]+:[A-Za-z0-9+/=_.-]+\Z")


def text(entity: str, field: str, value: Any, *, blank_ok: bool = False) -> Literal:
    """An ``xsd:string`` literal; refuses non-strings and (unless ``blank_ok``) blank strings."""
    if not isinstance(value, str):
        raise InvalidInput(entity, field, value, f"expected a string, got {type(value).__name__}")
    if not blank_ok and not value.strip():
        raise InvalidInput(entity, field, value, "must not be empty or whitespace")
    return Literal(value)


def digest(entity: str, value: Any) -> Literal:
    """A content digest ``algorithm:value``, e.g. ``sha256:9f86d081…``."""
    literal = text(entity, "digest", value)
    if not DIGEST.match(value):
        raise InvalidInput(entity, "digest", value, "expected algorithm:hex, e.g. sha256:9f86d0…")
    return literal


def name(entity: str, value: Any) -> str:
    """Checks a name (any non-blank string) and returns it."""
    return text(entity, "name", value).value


def iri(entity: str, field: str, value: Any) -> NamedNode:
    """An absolute IRI, e.g. ``file:///data/x.csv``, ``s3://bucket/key`` or ``https://…``."""
    if isinstance(value, NamedNode):
        return value
    if not isinstance(value, str):
        raise InvalidInput(
            entity, field, value, f"expected an IRI string, got {type(value).__name__}"
        )
    try:
        return NamedNode(value)
    except ValueError as err:
        raise InvalidInput(
            entity,
            field,
            value,
            f"not an absolute IRI ({err}); expected e.g. https://… or file:///…",
        ) from None


def uri_literal(entity: str, field: str, value: Any) -> Literal:
    """An ``xsd:anyURI`` literal holding an absolute IRI."""
    return Literal(iri(entity, field, value).value, datatype=XSD.anyURI)


def number(entity: str, field: str, value: Any) -> Literal:
    """A finite ``xsd:double``. NaN and infinities are refused: they sort and compare badly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(entity, field, value, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise InvalidInput(entity, field, value, _NOT_FINITE)
    return Literal(float(value))


def integer(entity: str, field: str, value: Any) -> Literal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(entity, field, value, f"expected an integer, got {type(value).__name__}")
    return Literal(value)


def scalar(entity: str, field: str, value: Any) -> Literal:
    """A typed literal for a setting or annotation value.

    ``bool`` → xsd:boolean, ``int`` → xsd:integer, ``float`` → xsd:double (finite only),
    ``str`` → xsd:string, lists and tuples of these → their JSON text as xsd:string.
    """
    if isinstance(value, bool | int | str):
        return Literal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(entity, field, value, _NOT_FINITE)
        return Literal(value)
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, float) and not math.isfinite(item):
                raise InvalidInput(entity, field, value, "holds " + repr(item) + "; " + _NOT_FINITE)
            if not isinstance(item, bool | int | str | float):
                raise InvalidInput(
                    entity, field, value, "lists may only hold str, int, float, bool"
                )
        return Literal(json.dumps(list(value)))
    raise InvalidInput(
        entity,
        field,
        value,
        f"unsupported type {type(value).__name__}; "
        "use str, int, finite float, bool or a list of them",
    )


def flatten(
    entity: str, values: Mapping[str, Any], prefix: str = "", *, what: str = "parameter"
) -> dict[str, Any]:
    """Flattens nested mappings into dotted keys: ``{"opt": {"lr": 0.1}}`` → ``{"opt.lr": 0.1}``."""
    if not isinstance(values, Mapping):
        raise InvalidInput(entity, what, values, "expected a mapping of name to value")
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput(entity, f"{what} name", key, "must be a non-empty string")
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(entity, value, full + ".", what=what))
        else:
            flat[full] = value
    return flat


def timestamp(moment: dt.datetime | None = None) -> Literal:
    """An ``xsd:dateTime`` (now in UTC, unless given), to the millisecond."""
    moment = moment or dt.datetime.now(dt.UTC)
    # Milliseconds: finer precision breaks OWL tools (HermiT refuses it) and no clock is that exact.
    return Literal(moment.isoformat(timespec="milliseconds"), datatype=XSD.dateTime)


def python_value(term: Any) -> Any:
    """The Python value of a literal (int, float, bool, datetime or str), or the IRI string."""
    if isinstance(term, NamedNode):
        return term.value
    if not isinstance(term, Literal):
        return str(term)
    datatype = term.datatype
    raw = term.value
    try:
        if datatype == XSD.integer:
            return int(raw)
        if datatype in (XSD.double, XSD.decimal):
            return float(raw)
        if datatype == XSD.boolean:
            return raw in ("true", "1")
        if datatype == XSD.dateTime:
            return dt.datetime.fromisoformat(raw)
    except ValueError:
        return raw
    return raw
