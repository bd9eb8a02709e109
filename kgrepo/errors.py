"""The errors kgrepo raises.

Every error kgrepo raises on purpose is a :class:`KgRepoError`; catch that to catch them all::

    KgRepoError
    ├── InvalidInput          bad user input; nothing was written
    │   └── ValidationError   a record breaks a SHACL shape of ontology/shapes.ttl
    ├── QuerySyntaxError      a SPARQL text does not parse (line and column given)
    ├── InvalidState          an object used when it no longer may be (a step after its run ended)
    ├── NotFound              an IRI or name that is not in the repository
    ├── Conflict              the input contradicts what the repository already holds
    └── StoreUnavailable      the store cannot be opened (locked by another process, missing)

The core never raises HTTP errors; the REST layer maps these classes to statuses in one table.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "InvalidInput",
    "InvalidState",
    "KgRepoError",
    "NotFound",
    "QuerySyntaxError",
    "StoreUnavailable",
    "TooLarge",
    "ValidationError",
]


class KgRepoError(Exception):
    """Base class of every error kgrepo raises on purpose."""


class InvalidInput(KgRepoError, ValueError):
    """Bad input: names the entity, the field, the value and the reason. Nothing was written.

    >>> err = InvalidInput("Dataset 'digits'", "uri", "not a uri", "not an absolute IRI")
    >>> str(err)
    "Dataset 'digits': field 'uri' = 'not a uri': not an absolute IRI"
    """

    def __init__(self, entity: str, field: str, value: Any, reason: str) -> None:
        self.entity = entity
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{entity}: field {field!r} = {_shorten(value)}: {reason}")


class ValidationError(InvalidInput):
    """A record breaks a SHACL shape of ``ontology/shapes.ttl`` (``shape`` names it)."""

    def __init__(self, entity: str, field: str, value: Any, reason: str, shape: str) -> None:
        self.shape = shape
        super().__init__(entity, field, value, reason)


class QuerySyntaxError(KgRepoError, ValueError):
    """A SPARQL query or update does not parse; ``line`` and ``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


class InvalidState(KgRepoError, RuntimeError):
    """An object used when it no longer may be, e.g. a step of a run that has ended."""


class NotFound(KgRepoError, LookupError):
    """An IRI or name that is not in the repository."""


class Conflict(KgRepoError):
    """The input contradicts what the repository already holds (e.g. a custom kind redefined)."""


class StoreUnavailable(KgRepoError, OSError):
    """The store cannot be opened, e.g. another process holds its lock."""


class TooLarge(KgRepoError):
    """An answer would hold more than the limit the caller set; it was not read. The message
    says how to ask for less (e.g. a lineage ``depth``)."""


def _shorten(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
