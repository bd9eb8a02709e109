"""Dataset characteristics (meta-features) computed from the data itself.

The recommender compares datasets by these numbers, so they must be computed the same way for
every dataset: :func:`characteristics` does it from a pandas ``DataFrame`` or a numpy array (and
the target), and :func:`describe_dataset` puts them on a :class:`kgrepo.Dataset`, where recording
stores them as ML-Schema dataset characteristics (``kg:hasCharacteristic``).

=======================  ==========================================================================
``rows``                 number of rows
``features``             number of feature columns
``classes``              number of distinct target values (0 without a target)
``numeric_share``        share of feature columns that are numeric (bool counts as categorical)
``categorical_share``    1 - numeric_share
``missing_share``        share of missing feature cells (NaN or None)
``class_entropy``        entropy of the class distribution divided by log(classes): 1 = balanced
``minority_share``       share of rows in the rarest class
``majority_share``       share of rows in the commonest class
``rows_per_feature``     rows / features
=======================  ==========================================================================

>>> import numpy as np
>>> X = np.array([[0.1, 1.0], [0.2, 0.0], [0.3, 1.0], [0.4, 0.0]])
>>> stats = characteristics(X, np.array([0, 0, 0, 1]))
>>> stats["rows"], stats["features"], stats["classes"], stats["minority_share"]
(4, 2, 2, 0.25)
>>> round(stats["class_entropy"], 3)
0.811
>>> describe_dataset("tiny", X, [0, 0, 0, 1]).characteristics["numeric_share"]
1.0
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgrepo.artifacts import Dataset
from kgrepo.errors import InvalidInput

__all__ = ["characteristics", "describe_dataset"]


def characteristics(data: Any, target: Any = None) -> dict[str, int | float]:
    """The characteristics of ``data`` (a 2-D array or a DataFrame of features) and ``target``
    (a 1-D sequence of labels, or, for a DataFrame, the name of its target column).

    Raises :class:`~kgrepo.errors.InvalidInput` for data that is not 2-D, is empty, or whose
    target length differs from its number of rows.
    """
    columns, rows = _columns(data, target)
    labels = _target(data, target, rows)
    features = len(columns)
    numeric = sum(1 for c in columns if _is_numeric(c))
    cells = rows * features
    missing = sum(_missing(c) for c in columns)
    out: dict[str, int | float] = {
        "rows": rows,
        "features": features,
        "numeric_share": numeric / features,
        "categorical_share": (features - numeric) / features,
        "missing_share": missing / cells,
        "rows_per_feature": rows / features,
    }
    counts = Counter(labels) if labels is not None else Counter()
    out["classes"] = len(counts)
    if counts:
        shares = [n / rows for n in counts.values()]
        entropy = -sum(p * math.log(p) for p in shares if p > 0)
        out["class_entropy"] = entropy / math.log(len(counts)) if len(counts) > 1 else 0.0
        out["minority_share"] = min(shares)
        out["majority_share"] = max(shares)
    return out


def describe_dataset(name: str, data: Any, target: Any = None, **fields: Any) -> Dataset:
    """A :class:`kgrepo.Dataset` called ``name`` carrying the :func:`characteristics` of the data
    (merged over any ``characteristics=`` given); other ``fields`` (uri, digest, …) pass through.
    Record it with ``step.use(...)``."""
    given = dict(fields.pop("characteristics", None) or {})
    return Dataset(name, characteristics={**characteristics(data, target), **given}, **fields)


def _columns(data: Any, target: Any) -> tuple[list[np.ndarray], int]:
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame, duck-typed
        names = [c for c in data.columns if not (isinstance(target, str) and c == target)]
        if isinstance(target, str) and target not in data.columns:
            raise InvalidInput("Dataset", "target", target, "is not a column of the DataFrame")
        columns = [np.asarray(data[c].to_numpy()) for c in names]
        rows = len(data)
    else:
        array = np.asarray(data, dtype=object if _ragged_or_mixed(data) else None)
        if array.ndim != 2:
            raise InvalidInput("Dataset", "data", array.shape, "expected 2-D data (rows, features)")
        rows = array.shape[0]
        columns = [array[:, j] for j in range(array.shape[1])]
    if rows == 0 or not columns:
        raise InvalidInput("Dataset", "data", (rows, len(columns)), "has no rows or no features")
    return columns, rows


def _target(data: Any, target: Any, rows: int) -> list[Any] | None:
    if target is None:
        return None
    values = data[target].to_numpy() if isinstance(target, str) else target
    labels = [v.item() if isinstance(v, np.generic) else v for v in np.asarray(values).ravel()]
    if len(labels) != rows:
        raise InvalidInput(
            "Dataset", "target", f"{len(labels)} labels", f"the data has {rows} rows"
        )
    return labels


def _ragged_or_mixed(data: Any) -> bool:
    if isinstance(data, np.ndarray):
        return False
    if isinstance(data, Sequence) and data and isinstance(data[0], Sequence):
        kinds = {type(v) for row in data for v in row}
        return not kinds <= {int, float}
    return False


def _is_numeric(column: np.ndarray) -> bool:
    if column.dtype.kind in "iuf":
        return True
    if column.dtype.kind != "O":
        return False
    present = [v for v in column if v is not None and not _is_nan(v)]
    return bool(present) and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in present
    )


def _missing(column: np.ndarray) -> int:
    if column.dtype.kind == "f":
        return int(np.isnan(column).sum())
    if column.dtype.kind == "O":
        return sum(1 for v in column if v is None or _is_nan(v))
    return 0


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and math.isnan(value)
