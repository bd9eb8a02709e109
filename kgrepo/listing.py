"""FR1: the artifacts of a kind, filtered and sorted, one page at a time.

:func:`list_artifacts` answers "which models were trained with scikit-learn, best accuracy first?"
for any kind, built-in or custom (FR11); a kind includes its sub-kinds, so listing ``"Dataset"``
also lists the artifacts of a custom kind registered with ``parent=DATASET``.

How a page is read, and why:

1. One *key query* (built from the fixed fragments below, with numbered variables, every value and
   predicate bound, never formatted in) selects the matching artifacts and computes each one's sort
   key. Oxigraph sorts it by the key alone; sorting by the artifact IRI too would decode an IRI
   string at every comparison between equal keys, which costs more than the rest of the query.
   Ties are broken here instead, by IRI, on the few rows that share the page's last key: the page
   is read from the sorted stream until the key after the page differs, so rows are never
   decoded beyond it (except the rows skipped by ``offset``).
2. Keyset pagination: the cursor carries the last (key, IRI) of the page, and the next key query
   keeps only the rows after it (``?key > ?lastKey``, or an equal key and ``STR(?artifact) >
   ?lastIri``), so a page deep in the listing costs what the first one costs. ``offset`` is
   accepted as well; it reads and drops the rows before the page.
3. Only the page's artifacts are then described (``list-artifact.rq``, one query each).

An artifact may have several values of a field (runs that described the same digest differently,
or produced it twice): its sort key is the smallest of them (the largest when descending) and the
summary shows the smallest value of each field. A metric is a :data:`~kgrepo.METRICS` artifact
that ``kg:evaluates`` the artifact, without a scope (a per-class recall is not the model's
recall); an artifact with several values of a measure sorts by the best one in the listing's
direction, and a metric condition holds when any of its values satisfies it.

>>> import kgrepo
>>> from kgrepo.listing import list_artifacts
>>> repo = kgrepo.Repository.in_memory()
>>> with repo.experiment("digits").run() as run:
...     for name, accuracy in (("svc", 0.97), ("tree", 0.84), ("knn", 0.91)):
...         with run.step(f"train {name}", kind="train") as step:
...             model = step.produce(kgrepo.Model(name, framework="scikit-learn"))
...             _ = step.log_metric("accuracy", accuracy, of=model)
>>> page = list_artifacts(repo, "Model", metrics={"accuracy": (">=", 0.9)},
...                       sort="metric:accuracy", descending=True, limit=1)
>>> [(m.name, m.sort_value) for m in page.items], page.total
([('svc', 0.97)], 2)
>>> page = list_artifacts(repo, "Model", metrics={"accuracy": (">=", 0.9)},
...                       sort="metric:accuracy", descending=True, limit=1,
...                       cursor=page.next_cursor)
>>> [m.name for m in page.items], page.next_cursor
(['knn'], None)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, QuerySolutions

from kgrepo import _ranked, _terms, queries
from kgrepo._listing_cursor import decode_cursor, encode_cursor
from kgrepo._listing_request import (
    ENTITY,
    MAX_LIMIT,
    OPERATORS,
    Request,
    check_limit,
    parse_request,
)
from kgrepo._vocab import KG, RDF, RDFS, XSD
from kgrepo.artifacts import ArtifactKind
from kgrepo.errors import InvalidInput
from kgrepo.results import ArtifactInfo, Result

if TYPE_CHECKING:
    from kgrepo.repository import Repository
    from kgrepo.store import Term

__all__ = [
    "MAX_LIMIT",
    "OPERATORS",
    "ArtifactPage",
    "ArtifactSummary",
    "list_artifacts",
]


@dataclasses.dataclass(frozen=True)
class ArtifactSummary(ArtifactInfo):
    """One artifact of a listing: what :class:`~kgrepo.results.ArtifactInfo` says, plus when it
    was produced (``None`` for an artifact only ever used), its sort key (``sort_value``, ``None``
    when it has none, e.g. no such metric) and its kind's attributes that are set."""

    created: dt.datetime | None = None
    sort_value: Any = None
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ArtifactPage(Result):
    """One page of a listing. ``next_cursor`` (opaque text) asks for the next page, ``None`` on
    the last one. ``total`` counts every matching artifact; it is given with the first page and with
    ``offset`` pages, and is ``None`` on pages asked by cursor (the count is the first page's)."""

    items: tuple[ArtifactSummary, ...]
    next_cursor: str | None
    total: int | None


# -- query fragments: the text depends on the request's shape only, never on its values ------------
# Oxigraph joins a subquery with a hash join and a triple pattern with one index lookup per row; at
# 10,000 artifacts the hash joins of whole predicates are faster, so each join that touches every
# artifact is between subqueries. Rows are not made DISTINCT here (that costs as much as the join):
# the key query groups by artifact, and the page is deduplicated as it is read.
_BY_PROPERTY = """SELECT {projection} ?artifact ?key WHERE {{
  {{ SELECT {group} ?artifact ({aggregate}({sort_value}) AS ?key) WHERE {{
{selection}
{conditions}
    OPTIONAL {{
      {{ SELECT ?sortBy ?artifact ?sortValue WHERE {{ ?artifact ?sortBy ?sortValue }} }}
    }}
  }} GROUP BY {group} ?artifact }}
{after}
}}
ORDER BY (!BOUND(?key)) {order}(?key)
"""
_BY_METRIC = """SELECT {projection} ?artifact ?key WHERE {{
{selection}
{conditions}
  OPTIONAL {{ {{ SELECT ?sortMeasure ?artifact ({aggregate}(?sortValue) AS ?key) WHERE {{
{sort_values}
  }} GROUP BY ?sortMeasure ?artifact }} }}
{after}
}}
ORDER BY (!BOUND(?key)) {order}(?key)
"""
_COUNT = """SELECT {variables} (COUNT(DISTINCT ?artifact) AS ?total) WHERE {{
{selection}
{conditions}
}}
GROUP BY {variables}
"""
# The artifacts of the kind, then one subquery per filter: each is hashed and joined, rather than
# looked up once per artifact of the kind.
_SELECTION = "  { SELECT ?kind ?artifact WHERE { ?artifact a ?kind } }"
_WHERE_TERM = "  {{ SELECT ?p{i} ?v{i} ?artifact WHERE {{ ?artifact ?p{i} ?v{i} }} }}"
# Equality by value is written ">= and <=": with pyoxigraph 0.5, "=" between a stored value and a
# substituted one compares terms, not values (2 = 2.0 and 12:00Z = 17:00+05:00 are false), while
# the order operators compare values.
_WHERE_VALUE = (
    "  {{ SELECT ?p{i} ?v{i} ?artifact WHERE {{"
    " ?artifact ?p{i} ?x{i} . FILTER(?x{i} >= ?v{i} && ?x{i} <= ?v{i}) }} }}"
)
_ANNOTATION = """  {{ SELECT ?k{i} ?w{i} ?artifact WHERE {{
      ?a{i} kg:key ?k{i} ; kg:annotationValue ?y{i} .
      FILTER({test})
      ?artifact kg:annotation ?a{i} .
  }} }}"""
_ANNOTATION_TEXT = "STR(?y{i}) = ?w{i}"
_ANNOTATION_VALUE = "?y{i} >= ?w{i} && ?y{i} <= ?w{i}"
# The values of one measure for each artifact: the metrics of the measure (but not those narrowed
# to a scope, e.g. one class) are joined with what they evaluate (both whole predicates, hashed),
# then each one's value is looked up.
_METRIC_VALUES = """    {{ SELECT ?{measure} ?{metric} ?artifact WHERE {{
        {{ SELECT ?{measure} ?{metric} WHERE {{
            ?{metric} kg:measure ?{measure} .
            MINUS {{ ?{metric} kg:scope ?{metric}Scope }}
        }} }}
        {{ SELECT ?{metric} ?artifact WHERE {{ ?{metric} kg:evaluates ?artifact }} }}
    }} }}
    ?{metric} kg:value ?{value} ."""
_CONDITION = """  {{ SELECT DISTINCT ?measure{i} ?threshold{i} ?artifact WHERE {{
{values}
    FILTER({test})
  }} }}"""
# Oxigraph orders booleans but does not compare them with < or >, which the cursor needs: a boolean
# sort key is the integer 0 or 1.
_BOOLEAN_KEY = "xsd:integer(?sortValue)"
#: A metric condition's filter for each operator (equality as explained at _WHERE_VALUE).
_TESTS = {
    "=": "{value} >= {threshold} && {value} <= {threshold}",
    "!=": "{value} < {threshold} || {value} > {threshold}",
    "<": "{value} < {threshold}",
    "<=": "{value} <= {threshold}",
    ">": "{value} > {threshold}",
    ">=": "{value} >= {threshold}",
}
_AFTER_KEY = (
    "  FILTER(!BOUND(?key) || ?key {cmp} ?lastKey"
    " || (?key >= ?lastKey && ?key <= ?lastKey && STR(?artifact) > ?lastIri))"
)
_AFTER_MISSING = "  FILTER(!BOUND(?key) && STR(?artifact) > ?lastIri)"


def list_artifacts(
    repo: Repository,
    kind: str | ArtifactKind,
    *,
    where: Mapping[str, Any] | None = None,
    annotations: Mapping[str, Any] | None = None,
    metrics: Mapping[str, tuple[str, float]] | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
) -> ArtifactPage:
    """One page of the artifacts of ``kind`` (a kind name; sub-kinds included), filtered and
    sorted.

    - ``where`` keeps artifacts whose field equals the value: an attribute of the kind
      (``{"framework": "scikit-learn"}``, a custom kind's own attributes too) or a field every
      artifact has (name, uri, digest, version, description, created). A value may be given as
      text for a typed attribute (``"3"`` for an int), as the command line does.
    - ``annotations`` keeps artifacts with an annotation of that key and value (text matches the
      value's lexical form, ``"3"`` matches 3).
    - ``metrics`` maps a measure to a condition, e.g. ``{"accuracy": (">=", 0.9)}``: some metric of
      that measure evaluating the artifact satisfies it (operators: ``= != < <= > >=``).
    - ``sort`` is ``"name"`` (the default), ``"created"``, any field above, or
      ``"metric:<measure>"``; artifacts without a sort value come last, in either direction. Ties
      are broken by IRI.
    - ``limit`` (1 to :data:`MAX_LIMIT`) items per page; ``cursor`` (the previous page's
      ``next_cursor``) or ``offset`` says where the page starts. Pages by cursor visit every
      matching artifact exactly once even when sort keys tie; a cursor only fits the listing that
      made it (same kind, filters and sort).

    Raises :class:`~kgrepo.errors.NotFound` for an unknown kind (naming the known ones) and
    :class:`~kgrepo.errors.InvalidInput`, naming the field and the value, for an unknown field or
    measure, a value of the wrong type, an unknown operator, a limit or offset out of range, both
    ``cursor`` and ``offset``, or a cursor that does not decode or belongs to another listing.
    """
    request = parse_request(repo, kind, where, annotations, metrics, sort, descending)
    limit = check_limit(limit)
    last: tuple[Term | None, str] | None = None
    skip = 0
    if cursor is not None and offset is not None:
        raise InvalidInput(ENTITY, "offset", offset, "give either a cursor or an offset, not both")
    if cursor is not None:
        last = decode_cursor(cursor, request.fingerprint())
    elif offset is not None:
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInput(ENTITY, "offset", offset, "expected an integer >= 0")
        skip = offset
    found = None
    if request.sort_measure is not None and not (
        request.where or request.annotations or request.metrics
    ):
        found = _ranked.page(
            repo, request.kind, request.sort_measure, request.descending, skip, last, limit
        )
    if found is None:
        text, bindings = _key_query(request, last)
        results = repo.query(text, **bindings)
        assert isinstance(results, QuerySolutions)
        found = _take(results, skip, limit)
    rows, more = found
    items = _summaries(repo, request, rows)
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor(request.fingerprint(), rows[-1][1], rows[-1][0])
    total = _total(repo, request) if cursor is None else None
    return ArtifactPage(items, next_cursor, total)


# -- building and running the queries --------------------------------------------------------------
def _selection(request: Request) -> tuple[list[str], str, dict[str, Term]]:
    """The selection's bound variables, text and bindings (kind, where, annotations)."""
    bindings: dict[str, Term] = {"kind": request.kind.iri}
    variables = ["?kind"]
    lines = []
    for i, (field, literal) in enumerate(request.where, 1):
        bindings[f"p{i}"], bindings[f"v{i}"] = field.predicate, literal
        variables += [f"?p{i}", f"?v{i}"]
        lines.append((_WHERE_VALUE if field.by_value else _WHERE_TERM).format(i=i))
    for i, (key, literal) in enumerate(request.annotations, 1):
        bindings[f"k{i}"], bindings[f"w{i}"] = Literal(key), literal
        variables += [f"?k{i}", f"?w{i}"]
        test = _ANNOTATION_TEXT if literal.datatype == XSD.string else _ANNOTATION_VALUE
        lines.append(_ANNOTATION.format(i=i, test=test.format(i=i)))
    return variables, "\n".join([_SELECTION, *lines]), bindings


def _conditions(request: Request, bindings: dict[str, Term]) -> tuple[list[str], str]:
    variables = []
    blocks = []
    for i, (_, measure, op, threshold) in enumerate(request.metrics, 1):
        bindings[f"measure{i}"], bindings[f"threshold{i}"] = measure, threshold
        variables += [f"?measure{i}", f"?threshold{i}"]
        values = _METRIC_VALUES.format(
            measure=f"measure{i}", metric=f"metric{i}", value=f"value{i}"
        )
        test = _TESTS[op].format(value=f"?value{i}", threshold=f"?threshold{i}")
        blocks.append(_CONDITION.format(i=i, values=values, test=test))
    return variables, "\n".join(blocks)


def _key_query(
    request: Request, last: tuple[Term | None, str] | None
) -> tuple[str, dict[str, Term]]:
    selection_vars, selection, bindings = _selection(request)
    condition_vars, conditions = _conditions(request, bindings)
    group = [*selection_vars, *condition_vars]
    field_type = request.sort_field.type if request.sort_field is not None else float
    if request.sort_measure is not None:
        bindings["sortMeasure"] = request.sort_measure
        template = _BY_METRIC
        group.append("?sortMeasure")
    else:
        assert request.sort_field is not None
        bindings["sortBy"] = request.sort_field.predicate
        template = _BY_PROPERTY
        group.append("?sortBy")
    projection = list(group)
    after = ""
    if last is not None:
        key, iri = last
        bindings["lastIri"] = Literal(iri)
        projection.append("?lastIri")
        if key is None:
            after = _AFTER_MISSING
        else:
            bindings["lastKey"] = key
            projection.append("?lastKey")
            after = _AFTER_KEY.format(cmp="<" if request.descending else ">")
    text = template.format(
        projection=" ".join(projection),
        group=" ".join(group),
        aggregate="MAX" if request.descending else "MIN",
        sort_value=_BOOLEAN_KEY if field_type is bool else "?sortValue",
        selection=selection,
        conditions=conditions,
        sort_values=_METRIC_VALUES.format(
            measure="sortMeasure", metric="sortMetric", value="sortValue"
        ),
        after=after,
        order="DESC" if request.descending else "ASC",
    )
    return text, bindings


def _total(repo: Repository, request: Request) -> int:
    selection_vars, selection, bindings = _selection(request)
    condition_vars, conditions = _conditions(request, bindings)
    text = _COUNT.format(
        variables=" ".join([*selection_vars, *condition_vars]),
        selection=selection,
        conditions=conditions,
    )
    rows = repo.select(text, **bindings)
    return int(rows[0]["total"]) if rows else 0


_NO_KEY = object()


def _take(rows: Iterable[Any], skip: int, limit: int) -> tuple[list[tuple[str, Term | None]], bool]:
    """The page from a stream sorted by key only: ties broken by IRI, ``skip`` artifacts dropped.

    The artifacts of one key are gathered (an artifact repeated in the stream counts once: rows
    of one artifact share its key), sorted by IRI, then counted; reading stops at the first key
    after a full page, so no row beyond the page and the rest of its last key is read.
    Returns the page's (IRI, key) pairs and whether more artifacts follow.
    """
    page: list[tuple[str, Term | None]] = []
    group: set[str] = set()
    group_key: Term | None = None
    group_value: Any = _NO_KEY
    seen = 0
    more = False

    def flush() -> None:
        nonlocal seen
        if seen + len(group) <= skip:
            seen += len(group)
            return
        for iri in sorted(group):
            if seen >= skip:
                page.append((iri, group_key))
            seen += 1

    for row in rows:
        key = row["key"]
        # Keys are grouped as SPARQL compares them: by value (1 = 1.0), not by lexical form.
        value = _terms.python_value(key) if key is not None else None
        if group and value != group_value:
            flush()
            group = set()
            if len(page) >= limit:
                more = True
                break
        if not group:
            group_key, group_value = key, value
        group.add(row["artifact"].value)
    else:
        flush()
    if len(page) > limit:
        more = True
        del page[limit:]
    return page, more


def _summaries(
    repo: Repository, request: Request, rows: list[tuple[str, Term | None]]
) -> tuple[ArtifactSummary, ...]:
    """Describes the page's artifacts, in one query (the smallest value of each field across
    descriptions)."""
    described: dict[str, list[dict[str, Any]]] = {iri: [] for iri, _ in rows}
    for row in queries.select_each(repo, "list-artifact", "artifact", map(NamedNode, described)):
        described[row["artifact"]].append(row)
    return tuple(_summary(repo, request, iri, key, described[iri]) for iri, key in rows)


def _summary(
    repo: Repository,
    request: Request,
    iri: str,
    key: Term | None,
    rows: list[dict[str, Any]],
) -> ArtifactSummary:
    values: dict[str, Any] = {}
    types: set[str] = set()
    for row in rows:
        prop, value = row["property"], row["value"]
        if prop == RDF.type.value:
            types.add(value)
        elif prop not in values or _smaller(value, values[prop]):
            values[prop] = value
    kind = ArtifactKind.most_specific(repo.kinds(), types) or request.kind
    attributes = {
        name: values[a.predicate.value]
        for name, a in kind.attributes.items()
        if a.predicate.value in values
    }
    created = values.get(KG.createdAt.value)
    return ArtifactSummary(
        iri=iri,
        name=str(values.get(RDFS.label.value, iri)),
        kind=kind.name,
        uri=_text(values.get(KG.uri.value)),
        digest=_text(values.get(KG.digest.value)),
        created=created if isinstance(created, dt.datetime) else None,
        sort_value=_sort_value(request, key),
        attributes=attributes,
    )


def _sort_value(request: Request, key: Term | None) -> Any:
    if key is None:
        return None
    value = _terms.python_value(key)
    if request.sort_field is not None and request.sort_field.type is bool:
        return bool(value)
    return value


def _smaller(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:
        return str(a) < str(b)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
