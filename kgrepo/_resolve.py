"""Checking what an IRI given by a user is, before answering a question about it.

An unknown IRI is :class:`~kgrepo.errors.NotFound` (never an empty success), and an IRI of the wrong
kind (the lineage of an experiment) is :class:`~kgrepo.errors.InvalidInput` saying what it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from kgrepo import _terms, queries
from kgrepo._vocab import KG
from kgrepo.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from kgrepo.repository import Repository

#: What users ask about, and the class an IRI must have to be one.
EXPECTED = {
    "artifact": KG.Artifact,
    "run": KG.Run,
    "execution": KG.Execution,
    "experiment": KG.Experiment,
}


def types(repo: Repository, iri: NamedNode) -> set[str]:
    """The rdf:types of ``iri`` in the repository (IRIs as strings)."""
    return {row["type"] for row in repo.select(queries.text("types"), resource=iri)}


def require(repo: Repository, value: object, expected: str) -> NamedNode:
    """``value`` as an IRI that exists in ``repo`` and is an ``expected`` ("artifact", "run"…).

    Accepts an IRI string, a NamedNode, or anything with an ``iri`` attribute (an ArtifactRef, a
    Run, an Experiment).
    """
    entity = expected.capitalize()
    raw = getattr(value, "iri", value)
    iri = _terms.iri(entity, "iri", raw)
    found = types(repo, iri)
    if not found:
        raise NotFound(f"no {expected} <{iri.value}> in this repository")
    if EXPECTED[expected].value not in found:
        what = describe(found)
        raise InvalidInput(entity, "iri", iri.value, f"is {what}, not {_article(expected)}")
    return iri


def describe(found: set[str]) -> str:
    """'an Experiment', 'a Run'… from a set of type IRIs (the kgrepo class, most specific first)."""
    names = sorted(t.removeprefix(KG.NS) for t in found if t.startswith(KG.NS))
    for preferred in ("Experiment", "Run", "Execution", "Dataset", "Model", "Metrics", "Event"):
        if preferred in names:
            return _article(preferred)
    return _article(names[0]) if names else "not a kgrepo entity"


def _article(word: str) -> str:
    return f"{'an' if word[0].lower() in 'aeiou' else 'a'} {word}"
