"""Typed results shared by the questions kgrepo answers (lineage, listing, history, diff).

Every result is a frozen dataclass; ``to_dict()`` gives plain JSON-ready data (datetimes as ISO
8601 text, enums as their value), which is what the CLI's ``--output json`` prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

from kgrepo.records import Cause, Status


class Result:
    """Mixin: ``to_dict()`` for frozen dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class ArtifactInfo(Result):
    """An artifact as recorded: IRI, name, kind (most specific), location and content digest."""

    iri: str
    name: str
    kind: str
    uri: str | None = None
    digest: str | None = None


@dataclasses.dataclass(frozen=True)
class ExecutableInfo(Result):
    iri: str
    name: str
    version: str | None = None
    digest: str | None = None
    uri: str | None = None


@dataclasses.dataclass(frozen=True)
class TriggerInfo(Result):
    """Why a run started: the cause, who or what caused it, why, and what changed."""

    cause: Cause
    by: str | None = None
    reason: str | None = None
    concerns: str | None = None


@dataclasses.dataclass(frozen=True)
class RunSummary(Result):
    iri: str
    experiment: str
    status: Status
    started: dt.datetime
    ended: dt.datetime | None = None
    trigger: TriggerInfo | None = None
    name: str | None = None
