"""Reversible discretisation of numbers into quantile bins, for the training graph.

An embedding model learns about entities, not numbers: ``C = 0.37`` and ``C = 0.41`` must become
the same entity or the model never sees either twice. :class:`Bins` cuts the values seen for one
parameter (or one dataset characteristic) at their quantiles and keeps the edges, so a bin always
maps back to an interval and to a representative value (the median of the values that fell in it).
Parameters with no more distinct values than bins get one bin per value: nothing is lost.

>>> bins = Bins.fit("SVC.C", [0.01, 0.1, 1.0, 10.0, 100.0, 0.03, 3.0, 30.0], count=4)
>>> bins.edges
(0.01, 0.0825, 2.0, 15.0, 100.0)
>>> bins.bin(0.5), bins.interval(1), bins.representatives[1]
(1, (0.0825, 2.0), 0.55)
>>> Bins.fit("max_depth", [2, 4, 4, 8], count=4).representatives
(2.0, 4.0, 8.0)
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Bins", "is_number"]


def is_number(value: Any) -> bool:
    """Whether a setting value is numeric (bools are categorical)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Bins:
    """Quantile bins of one numeric quantity: ``edges`` has one more entry than there are bins.

    With ``exact`` each bin is one distinct value (``representatives``) and ``edges`` are the
    midpoints between neighbours, padded by the extremes.
    """

    name: str
    edges: tuple[float, ...]
    representatives: tuple[float, ...]
    integer: bool
    exact: bool

    @classmethod
    def fit(cls, name: str, values: Sequence[float], *, count: int) -> Bins:
        """Bins for ``values`` (at least one), at most ``count`` of them."""
        array = np.asarray(sorted(float(v) for v in values))
        integer = all(float(v).is_integer() for v in values)
        distinct = np.unique(array)
        if len(distinct) <= count:
            mids = [(a + b) / 2 for a, b in itertools.pairwise(distinct)]
            edges = (float(distinct[0]), *(float(m) for m in mids), float(distinct[-1]))
            return cls(name, edges, tuple(float(v) for v in distinct), integer, True)
        quantiles = np.unique(np.quantile(array, np.linspace(0, 1, count + 1)))
        edges = tuple(float(round(q, 12)) for q in quantiles)
        reps = []
        for i in range(len(edges) - 1):
            inside = array[[cls._index(edges, v) == i for v in array]]
            reps.append(float(np.median(inside)) if len(inside) else (edges[i] + edges[i + 1]) / 2)
        return cls(name, edges, tuple(reps), integer, False)

    @staticmethod
    def _index(edges: Sequence[float], value: float) -> int:
        # inner edges only: values below the first or above the last edge go to the end bins
        return min(bisect.bisect_right(edges[1:-1], value), len(edges) - 2)

    @property
    def count(self) -> int:
        return len(self.edges) - 1

    def bin(self, value: float) -> int:
        """The bin of ``value`` (values outside the seen range go to the nearest end bin)."""
        return self._index(self.edges, float(value))

    def interval(self, index: int) -> tuple[float, float]:
        """The closed interval of values bin ``index`` stands for."""
        return self.edges[index], self.edges[index + 1]

    def value(self, index: int, low: float | None = None, high: float | None = None) -> float | int:
        """The representative value of bin ``index``, clipped to ``[low, high]`` when given, as an
        int for integer parameters."""
        v = self.representatives[index]
        if low is not None:
            v = max(v, low)
        if high is not None:
            v = min(v, high)
        return round(v) if self.integer else v

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "edges": list(self.edges),
            "representatives": list(self.representatives),
            "integer": self.integer,
            "exact": self.exact,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bins:
        return cls(
            data["name"],
            tuple(data["edges"]),
            tuple(data["representatives"]),
            data["integer"],
            data["exact"],
        )
