"""FR2: what differs between two runs, or between two artifacts of the same kind.

:func:`diff_runs` compares two runs field by field: status, trigger (cause, by, reason, what
changed), workflow, configuration, and each step, matched by name: its executable, parameters,
inputs and outputs (matched by artifact name, compared by digest) and metrics (measure → value).
:func:`diff_artifacts` compares two artifacts of one kind: their literal properties (a custom kind's
attributes included), dataset characteristics, annotations, the metrics about them, and the step
that generated each (its executable, parameters and inputs).

Both return a :class:`Diff`: the fields that differ with the value on each side (``None`` where one
side has no such field), and the names of the fields that are equal. An artifact is identified in a
diff by its digest, else its location, else its name.

>>> import kgrepo
>>> from kgrepo.compare import diff_runs
>>> repo = kgrepo.Repository.in_memory()
>>> exp = repo.experiment("digits")
>>> runs = []
>>> for data, c in (("digits", 1.0), ("alphanumeric", 10.0)):
...     with exp.run(trigger=kgrepo.Trigger.manual(by="alice")) as run:
...         with run.step("train", kind="train") as step:
...             _ = step.use(kgrepo.Dataset(data, digest=f"sha256:{data}"))
...             step.set_params(C=c)
...     runs.append(run)
>>> for d in diff_runs(repo, *runs).differences:
...     print(d.field, d.a, d.b)
step 'train' parameter C 1.0 10.0
step 'train' input 'alphanumeric' None sha256:alphanumeric
step 'train' input 'digits' sha256:digits None
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode

from kgrepo import _resolve, queries
from kgrepo._vocab import KG, MLS, PROV, RDF, RDFS
from kgrepo.artifacts import ArtifactKind
from kgrepo.errors import InvalidInput
from kgrepo.results import Result

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = ["Diff", "Difference", "diff_artifacts", "diff_runs"]

Row = dict[str, Any]
#: Field name → value on one side of a comparison, in the order fields are reported.
Fields = dict[str, Any]
#: Section ("" for the subject itself, "step 'prepare'" for a step) → its fields.
Sections = dict[str, Fields]


@dataclasses.dataclass(frozen=True)
class Difference(Result):
    """One field that differs: its name (``"status"``, ``"step 'prepare' input 'digits'"``) and
    its value in ``a`` and in ``b`` (``None`` where that side has no such field)."""

    field: str
    a: Any
    b: Any


@dataclasses.dataclass(frozen=True)
class Diff(Result):
    """A comparison of ``a`` with ``b`` (IRIs): the fields that differ, in a stable order (the
    run's own fields first, then step by step), and the names of the fields that are equal."""

    a: str
    b: str
    differences: tuple[Difference, ...]
    same: tuple[str, ...]

    def __getitem__(self, field: str) -> Difference:
        """The difference of ``field``; :class:`KeyError` if that field does not differ."""
        for difference in self.differences:
            if difference.field == field:
                return difference
        raise KeyError(field)

    def fields(self) -> list[str]:
        """The names of the fields that differ."""
        return [d.field for d in self.differences]


# -- runs ------------------------------------------------------------------------------------------
def diff_runs(repo: Repository, a: object, b: object) -> Diff:
    """What differs between runs ``a`` and ``b`` (IRIs or :class:`~kgrepo.Run` objects).

    Steps are matched by name (a name repeated in a run is numbered in start order: ``train #2``).
    Raises :class:`~kgrepo.errors.NotFound` for an unknown IRI and
    :class:`~kgrepo.errors.InvalidInput` for an IRI that is not a run.
    """
    first = _resolve.require(repo, a, "run")
    second = _resolve.require(repo, b, "run")
    return _diff(first.value, second.value, _run_fields(repo, first), _run_fields(repo, second))


def _run_fields(repo: Repository, run: NamedNode) -> Sections:
    own: Fields = {}
    rows = repo.select(queries.text("diff-run"), run=run)
    row = min(rows, key=_row_order) if rows else {}
    own["status"] = _local(row.get("status"))
    own["trigger cause"] = _local(row.get("cause"))
    for key in ("by", "reason", "concerns"):
        own[f"trigger {key}"] = _joined(r.get(key) for r in rows)
    own["workflow"] = _versioned(row.get("workflow"), row.get("workflowVersion"))

    step_rows = repo.select(queries.text("diff-run-steps"), run=run)
    steps = _step_names(step_rows)
    settings = repo.select(queries.text("diff-run-settings"), run=run)
    for name, value in _by_key(r for r in settings if "execution" not in r):
        own[f"configuration {name}"] = value

    per_step: dict[str, Fields] = {name: {} for name in steps.values()}
    collected: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))

    def step_of(execution: str) -> str:
        # An execution the steps query missed (imported data without a kind or start time) is
        # still compared, under its IRI's last segments.
        if execution not in steps:
            steps[execution] = "/".join(execution.rsplit("/", 2)[-2:])
            per_step[steps[execution]] = {}
        return steps[execution]

    for row in step_rows:
        step = per_step[steps[row["execution"]]]
        step["kind"] = row["kind"]
        step["status"] = _local(row["status"])
        step["executable"] = _executable(row)
    for row in settings:
        if "execution" in row:
            name = f"parameter {row['parameter']}"
            collected[step_of(row["execution"])][name].add(row["value"])
    for row in repo.select(queries.text("diff-run-io"), run=run):
        name = f"{row['role']} {row['name']!r}"
        collected[step_of(row["execution"])][name].add(_identity(row))
    for row in repo.select(queries.text("diff-run-metrics"), run=run):
        collected[step_of(row["execution"])][f"metric {_metric_name(row)}"].add(row["value"])
    for step_name, values in collected.items():
        for name, found in values.items():
            per_step[step_name][name] = _one(found)
    return {"": own, **{f"step {name!r}": fields for name, fields in per_step.items()}}


def _step_names(rows: list[Row]) -> dict[str, str]:
    """Execution IRI → the name it is matched by: its step name, numbered if repeated."""
    names: dict[str, str] = {}
    count: dict[str, int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: (r["started"], r["execution"])):
        if row["execution"] in names:
            continue
        count[row["step"]] += 1
        n = count[row["step"]]
        names[row["execution"]] = row["step"] if n == 1 else f"{row['step']} #{n}"
    return names


_STEP_ORDER = ("kind", "status", "executable", "parameter ", "input ", "output ", "metric ")


def _step_rank(key: str) -> tuple[int, str]:
    """Orders a step's fields: kind, status, executable, then parameters, inputs, outputs and
    metrics, each by name."""
    position = next(
        (i for i, p in enumerate(_STEP_ORDER) if key == p or key.startswith(p)),
        len(_STEP_ORDER),
    )
    return (position, key)


# -- artifacts -------------------------------------------------------------------------------------
def diff_artifacts(repo: Repository, a: object, b: object) -> Diff:
    """What differs between artifacts ``a`` and ``b`` (IRIs or artifact references) of one kind.

    Compares their literal properties (name, uri, digest, version, description, creation time and
    the attributes of their kind, custom kinds included), characteristics, annotations, the
    metrics that evaluate them, and how each was generated: the step, its executable, parameters
    and inputs (the earliest step, when several runs generated the same artifact).
    Raises :class:`~kgrepo.errors.NotFound` for an unknown IRI, and
    :class:`~kgrepo.errors.InvalidInput` for an IRI that is not an artifact or for artifacts of two
    kinds (a dataset and a model).
    """
    first = _resolve.require(repo, a, "artifact")
    second = _resolve.require(repo, b, "artifact")
    described = [_describe(repo, first), _describe(repo, second)]
    kind_a, kind_b = (d[0] for d in described)
    if kind_a.iri != kind_b.iri:
        raise InvalidInput(
            "Diff",
            "b",
            second.value,
            f"is {_article(kind_b.name)} and a is {_article(kind_a.name)}; "
            "compare artifacts of the same kind",
        )
    return _diff(first.value, second.value, {"": described[0][1]}, {"": described[1][1]})


def _describe(repo: Repository, artifact: NamedNode) -> tuple[ArtifactKind, Fields]:
    values: dict[str, set[Any]] = defaultdict(set)
    types: set[str] = set()
    for row in repo.select(queries.text("list-artifact"), artifact=artifact):
        if row["property"] == RDF.type.value:
            types.add(row["value"])
        else:
            values[row["property"]].add(row["value"])
    kind = ArtifactKind.most_specific(repo.kinds(), types) or repo.kind("Artifact")
    names = {
        RDFS.label.value: "name",
        KG.uri.value: "uri",
        KG.digest.value: "digest",
        KG.version.value: "version",
        RDFS.comment.value: "description",
        KG.createdAt.value: "created",
    }
    names.update({a.predicate.value: name for name, a in kind.attributes.items()})
    # Other literal properties are shown by their local name, except the PROV-O and ML-Schema
    # copies kgrepo materialises (mls:hasValue repeats kg:value).
    others = sorted(p for p in set(values) - set(names) if not p.startswith((MLS.NS, PROV.NS)))
    fields: Fields = {}
    for prop in [*names, *others]:
        if prop in values:
            fields[names.get(prop) or _local_name(prop)] = _one(values[prop])

    parts: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    for row in repo.select(queries.text("diff-artifact-details"), artifact=artifact):
        key = _metric_name(row) if row["part"] == "metric" else row["key"]
        parts[row["part"]][key].add(row["value"])
    for part in ("characteristic", "annotation", "metric"):
        for key in sorted(parts[part]):
            fields[f"{part} {key}"] = _one(parts[part][key])

    steps = repo.select(queries.text("diff-artifact-generation"), artifact=artifact)
    if steps:
        step = min(steps, key=lambda r: (r["started"], r["execution"]))
        fields["generated by step"] = step["step"]
        fields["generated by executable"] = _executable(step)
        rows = repo.select(queries.text("diff-step-inputs"), execution=NamedNode(step["execution"]))
        for name, value in _by_key(r for r in rows if r["part"] == "parameter"):
            fields[f"generated with parameter {name}"] = value
        inputs: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row["part"] == "input":
                inputs[row["key"]].add(_identity(row))
        for name in sorted(inputs):
            fields[f"generated from input {name!r}"] = _one(inputs[name])
    return kind, fields


# -- shared ----------------------------------------------------------------------------------------
def _diff(a: str, b: str, sections_a: Sections, sections_b: Sections) -> Diff:
    """Compares two descriptions section by section (the subject itself, then each step), in a's
    order with b's extra sections and fields merged in where b has them."""
    differences: list[Difference] = []
    same: list[str] = []

    def compare(field: str, fields_a: Fields | None, fields_b: Fields | None, key: str) -> None:
        in_a, in_b = (
            fields_a is not None and key in fields_a,
            fields_b is not None and key in fields_b,
        )
        value_a = fields_a.get(key) if fields_a is not None else None
        value_b = fields_b.get(key) if fields_b is not None else None
        if in_a and in_b and _equal(value_a, value_b):
            same.append(field)
        elif value_a is not None or value_b is not None:
            differences.append(Difference(field, value_a, value_b))

    for section in _merged(list(sections_a), list(sections_b)):
        fields_a, fields_b = sections_a.get(section), sections_b.get(section)
        keys = _merged(list(fields_a or {}), list(fields_b or {}))
        if section:
            present = {section: "present"}
            compare(
                section,
                present if fields_a is not None else None,
                present if fields_b is not None else None,
                section,
            )
            keys.sort(key=_step_rank)
        for key in keys:
            compare(f"{section} {key}" if section else key, fields_a, fields_b, key)
    return Diff(a, b, tuple(differences), tuple(same))


def _merged(first: list[str], second: list[str]) -> list[str]:
    """``first`` with the items only in ``second`` inserted after the item preceding them there."""
    merged = list(first)
    position = 0
    for item in second:
        if item in merged:
            position = merged.index(item) + 1
        else:
            merged.insert(position, item)
            position += 1
    return merged


def _equal(a: Any, b: Any) -> bool:
    """Equal values of the same type; an int equals the same float (1 and 1.0), a bool only a
    bool."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    return bool(a == b) if numbers or type(a) is type(b) else False


def _by_key(rows: Iterable[Row]) -> list[tuple[str, Any]]:
    """(name, value) pairs of rows with ``parameter``/``key`` and ``value``, one per name."""
    values: dict[str, set[Any]] = defaultdict(set)
    for row in rows:
        values[str(row.get("parameter") or row.get("key"))].add(row["value"])
    return [(name, _one(values[name])) for name in sorted(values)]


def _one(values: Iterable[Any]) -> Any:
    """The value, or a sorted tuple when descriptions disagree."""
    distinct = sorted(set(values), key=lambda v: (type(v).__name__, str(v)))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else tuple(distinct)


def _joined(values: Iterable[Any]) -> Any:
    return _one(v for v in values if v is not None)


def _identity(row: Row) -> str:
    """How a diff shows an artifact: its digest, else its location, else its name."""
    return str(row.get("digest") or row.get("uri") or row.get("name") or row.get("key"))


def _executable(row: Row) -> str | None:
    name = row.get("executable")
    if name is None:
        return None
    version = _versioned(name, row.get("executableVersion"))
    digest = row.get("executableDigest")
    return f"{version} ({digest})" if digest else version


def _versioned(name: Any, version: Any) -> str | None:
    if name is None:
        return None
    return f"{name} {version}" if version else str(name)


def _metric_name(row: Row) -> str:
    name = str(row.get("measure") or row.get("key"))
    scope = row.get("scope")
    of = row.get("of")
    if scope:
        name += f"[{scope}]"
    if of:
        name += f" of {of!r}"
    return name


def _local(iri: Any) -> str | None:
    return None if iri is None else _local_name(str(iri))


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _row_order(row: Row) -> tuple[str, ...]:
    return tuple(
        v.isoformat() if isinstance(v, dt.datetime) else str(v) for _, v in sorted(row.items())
    )


def _article(word: str) -> str:
    return f"{'an' if word[0].lower() in 'aeiou' else 'a'} {word}"
