"""Server settings: one frozen object, built by the caller (tests, ``kgrepo serve``) or from the
environment, never at import time.

>>> s = Settings(store=None)
>>> s.anonymous_read, s.query_timeout, s.in_memory
(False, 10.0, True)
>>> Settings.from_env({"KGREPO_STORE": "/tmp/kg", "KGREPO_ANONYMOUS_READ": "1"}).tokens_path
'/tmp/kg.tokens.sqlite'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kgrepo.errors import InvalidInput
from kgrepo.iris import DEFAULT_BASE

_PREFIX = "KGREPO_"


@dataclass(frozen=True)
class Settings:
    """What a server needs to know.

    - ``store``: the repository's location: a directory (the embedded Oxigraph store), ``None`` for
      an in-memory store (tests, demos), or the ``http(s)://`` URL of a SPARQL server such as
      ``oxigraph serve`` (:meth:`kgrepo.Repository.connect`), which several workers may share.
    - ``tokens``: the SQLite file holding API tokens (hashed); by default ``<store>.tokens.sqlite``
      beside the store, in memory when the store is. A separate file, not a graph of the store,
      so ``kgrepo token create`` works while the server holds the store's lock. A store at a URL
      needs it given: every worker must read the same file.
    - ``anonymous_read``: requests without a token may read (off by default).
    - ``query_timeout`` (seconds) and ``max_rows``: the limits of ``/sparql`` (see
      :mod:`kgrepo.api.sparql_runner` for how they are enforced).
    - ``max_steps``: the most steps a lineage or recipe answer may hold (422 ``too-large``
      beyond, before any step's details are read: they cost ~1.6 ms a step, and the JSON ~1 KB).
    - ``max_body``: the largest request body accepted, in bytes (413 beyond).
    - ``query_workers``: processes evaluating ``/sparql`` queries at the same time.
    - ``demo``: record the demo runs into the store at start-up.
    - ``workers``: the server processes sharing the store (more than one needs a URL store);
      set by ``kgrepo serve --workers``, it tells a worker that its siblings' runs are its own.
    """

    store: str | None = None
    base: str = DEFAULT_BASE
    tokens: str | None = None
    anonymous_read: bool = False
    query_timeout: float = 10.0
    max_rows: int = 100_000
    max_steps: int = 10_000
    max_body: int = 1_000_000
    query_workers: int = 2
    demo: bool = False
    workers: int = 1

    def __post_init__(self) -> None:
        if self.remote and self.tokens is None:
            raise InvalidInput(
                "Settings",
                "tokens",
                None,
                "a store at a URL needs a token file shared by the workers",
            )
        if self.workers > 1 and not self.remote:
            raise InvalidInput(
                "Settings",
                "workers",
                self.workers,
                "more than one worker needs a store shared through a SPARQL server (a URL)",
            )
        for name in (
            "query_timeout",
            "max_rows",
            "max_steps",
            "max_body",
            "query_workers",
            "workers",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InvalidInput("Settings", name, value, "expected a positive number")

    @property
    def in_memory(self) -> bool:
        return self.store is None

    @property
    def remote(self) -> bool:
        """Whether the store is a SPARQL server (shared by every worker and other processes)."""
        return self.store is not None and self.store.startswith(("http://", "https://"))

    @property
    def tokens_path(self) -> str:
        """Where tokens live (``":memory:"`` for an in-memory store without ``tokens``)."""
        if self.tokens is not None:
            return self.tokens
        if self.store is None:
            return ":memory:"
        return self.store.rstrip("/") + ".tokens.sqlite"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``KGREPO_STORE``, ``KGREPO_BASE``, ``KGREPO_TOKENS``,
        ``KGREPO_ANONYMOUS_READ``, ``KGREPO_QUERY_TIMEOUT``, ``KGREPO_MAX_ROWS``,
        ``KGREPO_MAX_STEPS``, ``KGREPO_MAX_BODY``, ``KGREPO_QUERY_WORKERS`` and ``KGREPO_DEMO``
        (how ``kgrepo serve`` hands its options to uvicorn's worker processes)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.default, raw)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The inverse of :meth:`from_env` (unset values left out)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[_PREFIX + f.name.upper()] = str(
                    int(value) if isinstance(value, bool) else value
                )
        return out


def _parse(name: str, default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise InvalidInput("Settings", name, raw, "expected 1/0, true/false, yes/no or on/off")
    if isinstance(default, int | float):
        try:
            return type(default)(raw)
        except ValueError:
            raise InvalidInput(
                "Settings", name, raw, f"expected a {type(default).__name__}"
            ) from None
    return raw


__all__ = ["Settings"]
