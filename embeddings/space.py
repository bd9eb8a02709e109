"""Search spaces and candidate configurations, checked against what the history knows.

A search space maps each algorithm to its parameters; a parameter is a :class:`Choice` (or a
list), a :class:`Range` (or a ``(low, high)`` tuple of numbers) or one fixed value::

    {"SVC": {"C": Range(0.01, 100.0), "kernel": ["rbf", "linear"]},
     "KNeighborsClassifier": {"n_neighbors": (1, 30), "weights": "distance"}}

Conditional parameters (``gamma`` only with ``kernel="rbf"``) need no syntax: the candidates
are first the configurations the history holds that fit the space, which carry their own
conditions; the space's grid only adds untried combinations.

>>> Range(1.0, 0.1)
Traceback (most recent call last):
...
kgrepo.errors.InvalidInput: search_space: field 'range' = (1.0, 0.1): min > max
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kgrepo.embeddings.discretise import is_number
from kgrepo.embeddings.graph import TrainingGraph

from kgrepo.errors import InvalidInput

__all__ = [
    "MAX_CANDIDATES",
    "Candidate",
    "Choice",
    "Range",
    "candidates_from",
    "check_space",
    "space_from_json",
    "space_to_json",
]

#: More candidate configurations than this is a space to narrow, not to rank.
MAX_CANDIDATES = 20_000
_E = "search_space"


@dataclass(frozen=True)
class Choice:
    """One of ``values`` (at least one)."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple) or not self.values:
            raise InvalidInput(_E, "choice", self.values, "a choice needs at least one value")
        for v in self.values:
            if not isinstance(v, str | int | float | bool):
                raise InvalidInput(_E, "choice", v, "choices are strings, numbers or booleans")


@dataclass(frozen=True)
class Range:
    """A number from ``low`` to ``high`` (inclusive)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (is_number(self.low) and is_number(self.high)):
            raise InvalidInput(_E, "range", (self.low, self.high), "bounds must be numbers")
        if self.low > self.high:
            raise InvalidInput(_E, "range", (self.low, self.high), "min > max")

    def contains(self, value: Any) -> bool:
        return is_number(value) and bool(self.low <= value <= self.high)


Spec = Choice | Range | str | int | float | bool


@dataclass(frozen=True)
class Candidate:
    """A complete configuration to score: its algorithm, its parameter values and, when the
    history holds it, its configuration label in the training graph."""

    algorithm: str
    params: Mapping[str, Any]
    label: str

    def configuration(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, **self.params}


def space_from_json(data: Any) -> dict[str, dict[str, Spec]]:
    """A search space from its JSON form (the CLI's and the REST API's): a list is a choice,
    ``{"min": a, "max": b}`` a range, anything else a fixed value.

    >>> space_from_json({"SVC": {"C": {"min": 0.1, "max": 10}, "kernel": ["rbf"]}})
    {'SVC': {'C': Range(low=0.1, high=10), 'kernel': Choice(values=('rbf',))}}
    """
    if not isinstance(data, Mapping) or not data:
        raise InvalidInput(_E, "search_space", data, "expected a non-empty object of algorithms")
    out: dict[str, dict[str, Spec]] = {}
    for algorithm, params in data.items():
        if not isinstance(params, Mapping):
            raise InvalidInput(_E, str(algorithm), params, "expected an object of parameters")
        out[algorithm] = {}
        for name, spec in params.items():
            field = f"{algorithm}.{name}"
            if isinstance(spec, Mapping):
                if set(spec) != {"min", "max"}:
                    raise InvalidInput(_E, field, spec, 'a range is {"min": a, "max": b}')
                try:
                    out[algorithm][name] = Range(spec["min"], spec["max"])
                except InvalidInput as err:
                    raise InvalidInput(_E, field, spec, err.reason) from None
            else:
                out[algorithm][name] = _normal(field, spec)
    return out


def space_to_json(space: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The JSON form of a search space (see :func:`space_from_json`)."""
    out: dict[str, dict[str, Any]] = {}
    for algorithm, params in space.items():
        out[str(algorithm)] = {}
        for name, spec in params.items():
            if isinstance(spec, Range) or (isinstance(spec, tuple) and len(spec) == 2):
                low, high = (spec.low, spec.high) if isinstance(spec, Range) else spec
                out[str(algorithm)][str(name)] = {"min": low, "max": high}
            elif isinstance(spec, Choice):
                out[str(algorithm)][str(name)] = list(spec.values)
            else:
                out[str(algorithm)][str(name)] = spec
    return out


def check_space(space: Any, graph: TrainingGraph) -> dict[str, dict[str, Spec]]:
    """The search space in normal form (Choice, Range or a fixed value per parameter), or
    :class:`~kgrepo.errors.InvalidInput` naming the algorithm or parameter that is wrong."""
    if not isinstance(space, Mapping) or not space:
        raise InvalidInput(_E, "search_space", space, "expected a non-empty mapping of algorithms")
    known = graph.parameter_types
    out: dict[str, dict[str, Spec]] = {}
    for algorithm, params in space.items():
        if algorithm not in known:
            raise InvalidInput(
                _E,
                "algorithm",
                algorithm,
                "unknown algorithm: no run in the history used it; "
                f"known: {', '.join(sorted(known))}",
            )
        if not isinstance(params, Mapping):
            raise InvalidInput(_E, algorithm, params, "expected a mapping of parameters")
        out[algorithm] = {}
        for name, spec in params.items():
            field = f"{algorithm}.{name}"
            kind = known[algorithm].get(name)
            if kind is None:
                raise InvalidInput(
                    _E,
                    field,
                    spec,
                    f"no run of {algorithm} set {name!r}; known parameters: "
                    f"{', '.join(sorted(known[algorithm])) or 'none'}",
                )
            normal = _normal(field, spec)
            if isinstance(normal, Range) and kind == "categorical":
                raise InvalidInput(
                    _E,
                    field,
                    spec,
                    "a numeric range for a parameter the history has as categorical",
                )
            out[algorithm][name] = normal
    return out


def _normal(field: str, spec: Any) -> Spec:
    if isinstance(spec, Choice | Range):
        return spec
    if isinstance(spec, list):
        if len(set(map(repr, spec))) != len(spec):
            raise InvalidInput(_E, field, spec, "a choice lists the same value twice")
        try:
            return Choice(tuple(spec))
        except InvalidInput as err:
            raise InvalidInput(_E, field, spec, err.reason) from None
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise InvalidInput(_E, field, spec, "a range is (min, max)")
        try:
            return Range(spec[0], spec[1])
        except InvalidInput as err:
            raise InvalidInput(_E, field, spec, err.reason) from None
    if isinstance(spec, str | int | float | bool):
        return spec
    raise InvalidInput(_E, field, spec, "expected a list (choice), a (min, max) tuple or a value")


def candidates_from(
    graph: TrainingGraph,
    space: Mapping[str, Mapping[str, Spec]] | None,
    listed: Sequence[Mapping[str, Any]] | None,
) -> list[Candidate]:
    """The configurations to rank: the ``listed`` ones, or the history's configurations that fit
    ``space`` plus the untried combinations of its grid, or (neither given) every configuration
    the history holds."""
    if listed is not None:
        return [_listed(graph, i, c) for i, c in enumerate(_sequence(listed))]
    out: dict[str, Candidate] = {}
    for label, tokens in graph.configs.items():
        algorithm = tokens["algorithm"]
        if space is not None and (algorithm not in space or not _fits(graph, tokens, space)):
            continue
        out[label] = Candidate(algorithm, _values(graph, label, space), label)
    if space is not None:
        for candidate in _grid(graph, space):
            out.setdefault(candidate.label, candidate)
    if len(out) > MAX_CANDIDATES:
        raise InvalidInput(
            _E,
            "search_space",
            f"{len(out)} configurations",
            f"more than {MAX_CANDIDATES}; narrow it",
        )
    return list(out.values())


def _sequence(listed: Any) -> Sequence[Mapping[str, Any]]:
    if isinstance(listed, str | bytes) or not isinstance(listed, Sequence) or not listed:
        raise InvalidInput(_E, "candidates", listed, "expected a non-empty list of configurations")
    return listed


def _listed(graph: TrainingGraph, index: int, config: Any) -> Candidate:
    field = f"candidates[{index}]"
    if not isinstance(config, Mapping) or "algorithm" not in config:
        raise InvalidInput(_E, field, config, "expected a mapping with an 'algorithm' key")
    algorithm = config["algorithm"]
    if algorithm not in graph.parameter_types:
        raise InvalidInput(
            _E,
            f"{field}.algorithm",
            algorithm,
            f"unknown algorithm; known: {', '.join(sorted(graph.parameter_types))}",
        )
    params = {k: v for k, v in config.items() if k != "algorithm"}
    for name, value in params.items():
        if not isinstance(value, str | int | float | bool):
            raise InvalidInput(_E, f"{field}.{name}", value, "expected a string, number or bool")
    label = graph.config_label(graph.tokens(algorithm, params))
    return Candidate(algorithm, params, label)


def _fits(graph: TrainingGraph, tokens: Mapping[str, str], space: Mapping[str, Any]) -> bool:
    algorithm = tokens["algorithm"]
    for name, spec in space[algorithm].items():
        token = tokens.get(name)
        if token is None:
            continue  # a conditional parameter this configuration does not use
        if token.startswith("#"):
            bins = graph.parameter_bins[f"{algorithm}.{name}"]
            low, high = bins.interval(int(token[1:]))
            if isinstance(spec, Range):
                if high < spec.low or low > spec.high:
                    return False
            elif isinstance(spec, Choice):
                if not any(is_number(v) and bins.bin(v) == int(token[1:]) for v in spec.values):
                    return False
            elif not (is_number(spec) and bins.bin(spec) == int(token[1:])):
                return False
        else:
            value = token[1:]
            allowed = spec.values if isinstance(spec, Choice) else (spec,)
            if isinstance(spec, Range) or value not in {_str(v) for v in allowed}:
                return False
    return True


def _values(
    graph: TrainingGraph, label: str, space: Mapping[str, Mapping[str, Spec]] | None
) -> dict[str, Any]:
    """Concrete values for a known configuration: those of its best-scoring run, numeric ones
    clipped into the space's ranges."""
    found = graph.support_by_config.get(label)
    runs = graph.runs_by_iri
    tokens = graph.configs[label]
    algorithm = tokens["algorithm"]
    params = dict(runs[found[0][1]].params) if found else {}
    values = {k: params[k] for k in tokens if k != "algorithm" and k in params}
    specs = space.get(algorithm, {}) if space else {}
    for name, spec in specs.items():
        if isinstance(spec, Range) and is_number(values.get(name)):
            values[name] = min(max(values[name], spec.low), spec.high)
    return values


def _grid(graph: TrainingGraph, space: Mapping[str, Mapping[str, Spec]]) -> list[Candidate]:
    out = []
    for algorithm, specs in space.items():
        axes: list[list[tuple[str, Any]]] = []
        for name, spec in specs.items():
            axes.append([(name, v) for v in _axis(graph, algorithm, name, spec)])
        fill = _modes(graph, algorithm, set(specs))
        size = 1
        for axis in axes:
            size *= len(axis)
        if size > MAX_CANDIDATES:
            raise InvalidInput(
                _E, algorithm, f"{size} combinations", f"more than {MAX_CANDIDATES}; narrow it"
            )
        for combo in itertools.product(*axes):
            params = {**fill, **dict(combo)}
            label = graph.config_label(graph.tokens(algorithm, params))
            out.append(Candidate(algorithm, params, label))
    return out


def _axis(graph: TrainingGraph, algorithm: str, name: str, spec: Spec) -> list[Any]:
    if isinstance(spec, Choice):
        return list(spec.values)
    if not isinstance(spec, Range):
        return [spec]
    bins = graph.parameter_bins[f"{algorithm}.{name}"]
    values = []
    for i in range(bins.count):
        low, high = bins.interval(i)
        if high >= spec.low and low <= spec.high:
            values.append(bins.value(i, spec.low, spec.high))
    return list(dict.fromkeys(values)) or [spec.low]


def _modes(graph: TrainingGraph, algorithm: str, given: set[str]) -> dict[str, Any]:
    """The commonest value of each parameter of ``algorithm`` the space leaves out, so grid
    configurations are complete."""
    seen: dict[str, Counter[str]] = {}
    raw: dict[tuple[str, str], Any] = {}
    ignored = set(graph.projection.ignored) | {graph.projection.algorithm}
    for run in graph.runs:
        if run.algorithm != algorithm:
            continue
        for name, value in run.params.items():
            if name in given or name in ignored:
                continue
            seen.setdefault(name, Counter())[repr(value)] += 1
            raw[(name, repr(value))] = value
    return {name: raw[(name, c.most_common(1)[0][0])] for name, c in seen.items()}


def _str(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)
