"""``kgrepo.Client``: record into a kgrepo server with the same API as an embedded repository.

A script switches between embedded and server by changing the line that opens the repository::

    repo = kgrepo.Repository.open("./.kgrepo")
    repo = kgrepo.Client("http://127.0.0.1:8000", token="kgr_…")   # the same script, on a server

then ``repo.experiment(...)``, ``exp.run(...)``, ``run.step(...)``, ``step.use/produce/set_params/
log_metric/annotate`` work as they do embedded. What differs, and why:

- A step is sent in one request when it ends (the server writes it atomically, as the embedded
  repository does), so the IRI of an artifact a step uses or produces is known once the step has
  ended; within the step, refer to it by the reference object (``log_metric(of=model)``), which is
  what embedded scripts do anyway.
- The run's agent (``prov:wasAssociatedWith``) is the owner of the token, not an argument.
- The run records where this script runs (FR9: Python, platform, host, packages, the commit of
  its working tree), sent with the run's start as an embedded run captures it: in full the first
  time, then by digest; its ``kg:host`` names the server, the process recording it.
- Errors come back as the same :mod:`kgrepo.errors` classes (InvalidInput naming entity, field,
  value and reason; NotFound; QuerySyntaxError with line and column…); what only a server has
  (401, 403, limits) is a :class:`RemoteError` with the problem document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kgrepo import kinds
from kgrepo._client_recording import RemoteExperiment, RemoteRef, RemoteRun, RemoteStep
from kgrepo.artifacts import BUILTIN_KINDS, ArtifactKind
from kgrepo.errors import (
    Conflict,
    InvalidInput,
    InvalidState,
    KgRepoError,
    NotFound,
    QuerySyntaxError,
    StoreUnavailable,
    TooLarge,
)
from kgrepo.iris import Minter, segment

if TYPE_CHECKING:
    import httpx

_PROBLEMS = "https://w3id.org/kgrepo/problems/"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", dt.datetime: "datetime"}


class RemoteError(KgRepoError):
    """An error only a server has (authentication, roles, limits): ``status`` and ``problem``."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")


class Client:
    """A kgrepo server at ``url``, used with ``token`` (``kgrepo token create``)."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self._kinds: dict[str, ArtifactKind] = dict(BUILTIN_KINDS)
        #: Digests of environments the server has recorded: later runs name them by digest.
        self._environments: set[str] = set()

    def experiment(
        self, name: str, *, goal: str | None = None, annotations: Mapping[str, Any] | None = None
    ) -> RemoteExperiment:
        """The experiment called ``name``, created on first use (as
        :meth:`Repository.experiment`)."""
        body = self._call(
            "POST",
            "/api/v1/experiments",
            {"name": name, "goal": goal, "annotations": dict(annotations or {})},
        )
        return RemoteExperiment(self, body["iri"], body["name"], body.get("goal"))

    def register_kind(
        self,
        name: str,
        attributes: Mapping[str, type | tuple[type, bool]],
        *,
        parent: ArtifactKind | str = "Artifact",
        description: str | None = None,
    ) -> ArtifactKind:
        """Registers a custom artifact kind on the server (as :meth:`Repository.register_kind`)
        and returns it; call it to make artifacts."""
        parent_kind = self._kinds.get(parent) if isinstance(parent, str) else parent
        if parent_kind is None:
            raise NotFound(f"no artifact kind {parent!r} known to this client; register it first")
        wire = {}
        for attr, spec in attributes.items():
            kind_type, required = spec if isinstance(spec, tuple) else (spec, False)
            type_name = _TYPE_NAMES.get(kind_type)
            if type_name is None:
                raise InvalidInput(
                    f"Kind {name!r}",
                    f"attribute {attr!r}",
                    kind_type,
                    "type must be str, int, float, bool or datetime",
                )
            wire[attr] = {"type": type_name, "required": required}
        out = self._call(
            "POST",
            "/api/v1/kinds",
            {
                "name": name,
                "parent": parent_kind.name,
                "description": description,
                "attributes": wire,
            },
        )
        base = out["iri"][: -len("kind/" + segment(name))]
        kind = kinds.define(Minter(base), name, attributes, parent_kind, description)
        self._kinds[name] = kind
        return kind

    def select(self, sparql: str) -> list[dict[str, Any]]:
        """A SELECT query's rows as dicts of Python values (IRIs and strings as str, numbers and
        booleans as numbers and booleans), through ``/sparql``."""
        response = self._http.post(
            "/sparql", data={"query": sparql}, headers={"Accept": "application/sparql-results+json"}
        )
        body = self._check(response)
        return [
            {name: _value(term) for name, term in row.items()}
            for row in body["results"]["bindings"]
        ]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, path, json=body)
        return self._check(response)

    @staticmethod
    def _check(response: httpx.Response) -> Any:
        if response.status_code < 400:
            return response.json()
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:500]}
        raise _error(response.status_code, problem)

    def __repr__(self) -> str:
        return f"Client({str(self._http.base_url)!r})"


def _value(term: Mapping[str, str]) -> Any:
    value = term["value"]
    datatype = term.get("datatype", "")
    if datatype in (_XSD + "integer", _XSD + "int", _XSD + "long"):
        return int(value)
    if datatype in (_XSD + "double", _XSD + "decimal", _XSD + "float"):
        return float(value)
    if datatype == _XSD + "boolean":
        return value == "true"
    return value


def _error(status: int, problem: Mapping[str, Any]) -> KgRepoError:
    slug = str(problem.get("type", "")).removeprefix(_PROBLEMS)
    detail = str(problem.get("detail", ""))
    if slug in ("invalid-input", "validation") and "field" in problem:
        return InvalidInput(
            str(problem.get("entity")),
            str(problem["field"]),
            problem.get("value"),
            str(problem.get("reason")),
        )
    if slug == "query-syntax":
        return QuerySyntaxError(detail, problem.get("line"), problem.get("column"))
    if slug == "not-found":
        return NotFound(detail)
    if slug == "conflict":
        return Conflict(detail)
    if slug in ("invalid-state", "run-not-open"):
        return InvalidState(detail)
    if slug == "store-unavailable":
        return StoreUnavailable(detail)
    if slug == "too-large":
        return TooLarge(detail)
    return RemoteError(status, problem)


__all__ = ["Client", "RemoteError", "RemoteExperiment", "RemoteRef", "RemoteRun", "RemoteStep"]
