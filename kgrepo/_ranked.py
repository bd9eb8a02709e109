"""FR1's fast path: a page of artifacts sorted by a metric, read straight off the store's index.

With every metric of an artifact, kgrepo writes an order-preserving key of its value
(:mod:`kgrepo._sortkeys`). On a store whose index yields a bound predicate's rows in object order
(``store.index_ordered``: Oxigraph on disk), the scan of ``<measure>#ascending`` (or
``#descending``) lists the artifacts best first without sorting anything, and a page reads only the
rows before it and its own, checking their kind in batches. An artifact's first row carries its
best key (the smallest ascending, the largest descending), as the general path's MIN/MAX does.

The answer is the general path's (:mod:`kgrepo.listing`): ties by IRI, artifacts without the
metric last. When the page reaches those (the scan ends before the page is full), or the store
does not scan in order, :func:`page` returns ``None`` and the listing takes the general path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, QueryBoolean

from kgrepo import _sortkeys, _terms, queries
from kgrepo.artifacts import ArtifactKind
from kgrepo.store import Term

if TYPE_CHECKING:
    from kgrepo.repository import Repository

Row = tuple[str, Term | None]
_FIRST_BATCH = 64
_MAX_BATCH = 4096


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
    if not getattr(repo.store, "index_ordered", False) or (last is not None and last[0] is None):
        return None
    sort_by = _sortkeys.predicate(measure, descending=descending)
    after = None
    if last is not None:
        assert last[0] is not None
        after = (_sortkeys.key(_number(last[0]), descending=descending), last[1])
    chosen: list[str] = []
    more = False
    group: list[str] = []
    group_key = ""
    for iri, key in _of_kind(repo, _scan(repo, sort_by), kind):
        if group and key != group_key:
            skip = _take(sorted(group), group_key, after, skip, chosen)
            group = []
            if len(chosen) >= limit:
                more = True  # a matching artifact follows the full page
                break
        group_key = key
        group.append(iri)
    else:
        skip = _take(sorted(group), group_key, after, skip, chosen)
        more = len(chosen) > limit
        if not more and _any_without_key(repo, kind, sort_by):
            if len(chosen) < limit:
                return None  # the page reaches the artifacts without this metric
            more = True
    page_iris = chosen[:limit]
    values = _values(repo, measure, page_iris, descending)
    return list(zip(page_iris, values, strict=True)), more


def _scan(repo: Repository, sort_by: NamedNode) -> Iterator[tuple[str, str]]:
    """(artifact, key) in key order, each artifact once: at its first (best) key."""
    seen: set[str] = set()
    for row in repo.query(queries.text("list-sort-scan"), sortBy=sort_by):
        iri = row["artifact"].value
        if iri not in seen:
            seen.add(iri)
            yield iri, row["key"].value


def _of_kind(
    repo: Repository, rows: Iterator[tuple[str, str]], kind: ArtifactKind
) -> Iterator[tuple[str, str]]:
    """The rows whose artifact is of ``kind``, checked in batches that grow as the scan goes on."""
    size = _FIRST_BATCH
    while True:
        batch = [row for _, row in zip(range(size), rows, strict=False)]
        if not batch:
            return
        found = repo.select(
            queries.text("list-of-kind"), artifact=[NamedNode(i) for i, _ in batch], kind=kind.iri
        )
        keep = {r["artifact"] for r in found}
        yield from (row for row in batch if row[0] in keep)
        size = min(size * 2, _MAX_BATCH)


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


def _any_without_key(repo: Repository, kind: ArtifactKind, sort_by: NamedNode) -> bool:
    result = repo.query(queries.text("list-without-key"), kind=kind.iri, sortBy=sort_by)
    assert isinstance(result, QueryBoolean)
    return bool(result)


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
