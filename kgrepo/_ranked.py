"""FR1's fast path: a page of artifacts sorted by a metric, read straight off the store's index.

With every metric of an artifact, kgrepo writes an order-preserving key of its value
(:mod:`kgrepo._sortkeys`). On a store whose index yields a bound predicate's rows in object order
(``store.index_ordered``: Oxigraph on disk), the scan of ``<measure>#ascending/<Kind>`` (or
``#descending/<Kind>``) lists the artifacts of the kind best first without sorting anything or
checking any kind, and a page reads only the rows before it and its own; a kind with sub-kinds
merges the scans of each (every artifact is in the scan of its own kind only). Each artifact is
kept at its first row, which carries its best key (the smallest ascending, the largest
descending), as the general path's MIN/MAX does: kgrepo drops the later rows itself when it reads
from the start (a first page, or a page by offset), and the query drops them for a page by
cursor, which starts inside the order.

The answer is the general path's (:mod:`kgrepo.listing`): ties by IRI, artifacts without the
metric last. When the page reaches those (the scan ends before the page is full), or the store
does not scan in order, :func:`page` returns ``None`` and the listing takes the general path.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from kgrepo import _sortkeys, _terms, queries
from kgrepo.artifacts import ArtifactKind
from kgrepo.store import Term

if TYPE_CHECKING:
    from kgrepo.repository import Repository

Row = tuple[str, Term | None]
#: A scan's row: (sort key, artifact IRI).
ScanRow = tuple[str, str]


def page(
    repo: Repository,
    kind: ArtifactKind,
    measure: NamedNode,
    descending: bool,
    skip: int,
    last: tuple[Term | None, str] | None,
    limit: int,
) -> tuple[list[Row], bool] | None:
    """The page's (IRI, value) pairs and whether more follow, or ``None`` (take the general path).

    ``skip`` artifacts are dropped first (offset), or, with ``last`` (a cursor's key and IRI),
    every artifact up to and including it.
    """
    if (
        not getattr(repo.store, "index_ordered", False)
        or (last is not None and last[0] is None)
        or not _sortkeys.indexed(repo)
    ):
        return None
    after = None
    start = ""
    if last is not None:
        assert last[0] is not None
        start = _sortkeys.key(_number(last[0]), descending=descending)
        after = (start, last[1])
    sort_by = [
        _sortkeys.predicate(measure, k, descending=descending) for k in repo.kinds() if k.is_a(kind)
    ]
    scans = [_scan(repo, predicate, start, last is None) for predicate in sort_by]
    rows = scans[0] if len(scans) == 1 else heapq.merge(*scans)
    chosen: list[str] = []
    more = False
    seen: set[str] = set()  # read from the start, an artifact's first key is its best
    group: set[str] = set()  # one key's artifacts (an artifact may be in several run graphs)
    group_key = ""
    for key, iri in rows:
        if group and key != group_key:
            skip = _take(sorted(group), group_key, after, skip, chosen)
            seen |= group
            group = set()
            if len(chosen) >= limit:
                more = True  # a matching artifact follows the full page
                break
        group_key = key
        if iri not in seen:
            group.add(iri)
    else:
        skip = _take(sorted(group), group_key, after, skip, chosen)
        more = len(chosen) > limit
        # A page by cursor starts inside the order: it has not seen every keyed artifact.
        keyed = len(seen | group) if last is None else _count(repo, "count-keyed", sortBy=sort_by)
        if not more and _count(repo, "count-kind", kind=kind.iri) > keyed:
            if len(chosen) < limit:
                return None  # the page reaches the artifacts without this metric
            more = True
    page_iris = chosen[:limit]
    values = _values(repo, measure, page_iris, descending)
    return list(zip(page_iris, values, strict=True)), more


def _passes(key: str, iri: str, after: tuple[str, str] | None) -> bool:
    return after is None or key > after[0] or (key == after[0] and iri > after[1])


def _take(
    group: list[str], key: str, after: tuple[str, str] | None, skip: int, chosen: list[str]
) -> int:
    """Adds the group's artifacts past the cursor and the offset to ``chosen``; the offset left."""
    for iri in group:
        if not _passes(key, iri, after):
            continue
        if skip:
            skip -= 1
        else:
            chosen.append(iri)
    return skip


def _scan(repo: Repository, sort_by: NamedNode, start: str, whole: bool) -> Iterator[ScanRow]:
    """(key, IRI) rows of one sort-key predicate in key order: all of them (``whole``: the
    caller keeps each artifact's first row), or from the key ``start`` on, each artifact once at
    its best key."""
    if whole:
        rows = repo.query(queries.text("list-sort-scan-start"), sortBy=sort_by)
    else:
        rows = repo.query(
            queries.text("list-sort-scan"), sortBy=sort_by, **{"from": Literal(start)}
        )
    for row in rows:
        yield row["key"].value, row["artifact"].value


def _count(repo: Repository, query: str, **bindings: Any) -> int:
    """The count ``query`` (``count-kind`` or ``count-keyed``) answers: more artifacts of the kind
    than keyed ones means some have no value of the measure (they are listed after the others)."""
    return int(repo.select(queries.text(query), **bindings)[0]["n"])


def _values(
    repo: Repository, measure: NamedNode, iris: list[str], descending: bool
) -> list[Term | None]:
    """Each artifact's best value of ``measure`` (the key a listing shows and a cursor keeps)."""
    best: dict[str, tuple[Any, Literal]] = {}
    rows = repo.query(
        queries.text("list-metric-values"), artifact=[NamedNode(i) for i in iris], measure=measure
    )
    for row in rows:
        iri, literal = row["artifact"].value, row["value"]
        value = _terms.python_value(literal)
        held = best.get(iri)
        if held is None or (value > held[0] if descending else value < held[0]):
            best[iri] = (value, literal)
    return [best[i][1] if i in best else None for i in iris]


def _number(key: Term) -> float:
    value = _terms.python_value(key)
    return float(value)
