"""Minting stable IRIs under a configurable base (see docs/ontology.md, "IRIs")."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from pyoxigraph import NamedNode

from kgrepo.errors import InvalidInput

DEFAULT_BASE = "https://kgrepo.example/"


def segment(value: str) -> str:
    """Percent-encodes one path segment, so any name yields a valid, stable IRI."""
    return quote(value, safe="")


def new_id() -> str:
    return uuid.uuid4().hex


class Minter:
    """Mints the IRIs of one repository.

    >>> m = Minter("https://example.org/kg/")
    >>> m.experiment("digits <v2>").value
    'https://example.org/kg/experiment/digits%20%3Cv2%3E'
    """

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not isinstance(base, str) or not base.endswith(("/", "#")):
            raise InvalidInput("Repository", "base", base, "must be an IRI ending in '/' or '#'")
        try:
            NamedNode(base)
        except ValueError as err:
            raise InvalidInput("Repository", "base", base, f"not an absolute IRI ({err})") from None
        self.base = base

    def _iri(self, *parts: str) -> NamedNode:
        return NamedNode(self.base + "/".join(parts))

    def experiment(self, name: str) -> NamedNode:
        return self._iri("experiment", segment(name))

    def run(self) -> NamedNode:
        return self._iri("run", new_id())

    def artifact(self, kind: str, digest: str | None) -> NamedNode:
        return self._iri("artifact", segment(kind), segment(digest) if digest else new_id())

    def executable(self, name: str, version: str | None, digest: str | None) -> NamedNode:
        return self._iri(
            "executable", segment(name), segment(version or "-"), segment(digest or "-")
        )

    def workflow(self, name: str, version: str | None) -> NamedNode:
        return self._iri("workflow", segment(name), segment(version or "-"))

    def measure(self, name: str) -> NamedNode:
        return self._iri("measure", segment(name))

    def agent(self, name: str) -> NamedNode:
        return self._iri("agent", segment(name))

    def environment(self, digest: str) -> NamedNode:
        return self._iri("environment", digest)

    def package(self, name: str, version: str) -> NamedNode:
        return self._iri("package", segment(name), segment(version))

    def kind(self, name: str) -> NamedNode:
        return self._iri("kind", segment(name))

    def schema_graph(self) -> NamedNode:
        return self._iri("schema")

    def entity_graph(self) -> NamedNode:
        """Where entities shared by runs are described, each statement once."""
        return self._iri("entities")

    @staticmethod
    def child(parent: NamedNode, *parts: str) -> NamedNode:
        """An IRI under another one: ``child(run, "execution", "1")``."""
        return NamedNode(parent.value + "/" + "/".join(segment(p) for p in parts))
