"""Sort keys: metric values as short texts whose order is the values' order (FR1).

Sorting is what an on-disk store does worst: an ``ORDER BY`` reads and compares every row, which
took 4.8 s for 28,794 metrics on a 3.6 M-quad store here. So kgrepo sorts at write time. With
each metric of an artifact, it writes ``<artifact> <measure>#ascending/<Kind> "key"`` and the same
with ``#descending`` and the key of the reversed order. Oxigraph's on-disk indexes are ordered by
(predicate, object, subject): reading the artifacts of one such predicate *without* ``ORDER BY``
yields them in value order, and a page is the first rows of that scan, read lazily. The kind is
in the predicate so that the scan holds only artifacts of that kind: checking each row's kind
cost 40 µs a row on disk, most of a page read 5,000 rows in (a kind with sub-kinds merges the
scans of each).

A key is 11 characters of an alphabet in ASCII order, encoding the 64 bits of the value as a
double, mapped so that byte order is numeric order (the sign bit flipped for positives, every bit
for negatives). 11 characters stay within Oxigraph's inline strings (at most 15 bytes), which the
index orders byte by byte; longer strings would be stored by hash, in no useful order.

Values order as doubles: integers beyond 2**53 may share a key with their neighbours (their
order among themselves is then by IRI, like ties).

>>> ascending = [key(v) for v in (-2.5, -0.0, 0.0, 1e-9, 0.5, 3, 1e300)]
>>> ascending == sorted(ascending)
True
>>> descending = [key(v, descending=True) for v in (1e300, 3, 0.5, 1e-9, 0.0, -2.5)]
>>> descending == sorted(descending)
True
>>> key(0.97)
'jyw9EM1Ypkc'
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Quad

from kgrepo import _terms, queries
from kgrepo._vocab import KG, OWL, RDF, RDFS, XSD
from kgrepo.artifacts import ArtifactKind
from kgrepo.iris import segment

if TYPE_CHECKING:
    from kgrepo.repository import Repository

#: The format :func:`index` writes and :func:`indexed` checks (``kg:sortKeyFormat``): 2 = one
#: predicate per measure, direction and kind (1, before it: per measure and direction).
FORMAT = 2

#: 64 characters, in ASCII order, so that comparing keys as text compares the numbers.
ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_ALL = (1 << 64) - 1
_TRUE = Literal("true", datatype=XSD.boolean)
_SIGN = 1 << 63


def key(value: float | int | Decimal, *, descending: bool = False) -> str:
    """The sort key of ``value`` (a finite number), for ascending or descending order."""
    (bits,) = struct.unpack(">Q", struct.pack(">d", float(value)))
    bits = bits ^ _ALL if bits & _SIGN else bits | _SIGN
    if bits == _SIGN ^ _ALL:  # -0.0 sorts with 0.0
        bits = _SIGN
    if descending:
        bits ^= _ALL
    bits <<= 2  # 66 bits: 11 characters of 6 bits
    return "".join(ALPHABET[(bits >> (60 - 6 * i)) & 63] for i in range(11))


def predicate(measure: NamedNode, kind: ArtifactKind, *, descending: bool = False) -> NamedNode:
    """The property linking an artifact of ``kind`` to the key of its value of ``measure``.

    >>> from kgrepo import MODEL
    >>> predicate(NamedNode("https://kgrepo.example/measure/accuracy"), MODEL).value
    'https://kgrepo.example/measure/accuracy#ascending/Model'
    """
    direction = "descending" if descending else "ascending"
    return NamedNode(f"{measure.value}#{direction}/{segment(kind.name)}")


def indexed(repo: Repository) -> bool:
    """Whether every metric of ``repo`` carries its sort keys in this :data:`FORMAT` (the schema
    graph says so)."""
    return repo.store.contains(_marker(repo))


def _marker(repo: Repository) -> Quad:
    schema = repo._minter.schema_graph()
    return Quad(schema, KG.sortKeyFormat, Literal(str(FORMAT), datatype=XSD.integer), schema)


def index(repo: Repository) -> int:
    """Writes the sort keys of every metric that ranks an artifact, then marks the repository as
    indexed; returns how many metric values were read. Idempotent (statements are a set), so an
    index interrupted by a crash is simply run again at the next open."""
    types: dict[NamedNode, set[str]] = {}
    metrics: dict[tuple[Any, ...], Any] = {}
    for row in repo.query(queries.text("metric-sort-values")):
        types.setdefault(row["artifact"], set()).add(row["type"].value)
        metrics[row["graph"], row["metric"], row["artifact"], row["measure"]] = row["value"]
    kinds = repo.kinds()
    quads: set[Quad] = set()
    for (graph, _, artifact, measure), literal in metrics.items():
        kind = ArtifactKind.most_specific(kinds, types[artifact]) or repo.kind("Artifact")
        value = _terms.python_value(literal)
        for descending in (False, True):
            sort_by = predicate(measure, kind, descending=descending)
            text = Literal(key(value, descending=descending))
            quads.add(Quad(artifact, sort_by, text, graph))
            quads.add(Quad(sort_by, RDF.type, OWL.DatatypeProperty, repo._entities))
            quads.add(Quad(sort_by, RDFS.subPropertyOf, KG.sortKey, repo._entities))
    schema = repo._minter.schema_graph()
    marker = Quad(schema, KG.hasSortKeys, _TRUE, schema)
    repo.store.extend([*sorted(quads, key=str), marker, _marker(repo)])
    return len(metrics)
