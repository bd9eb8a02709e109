"""Recording benchmark: kgrepo vs. writing the same quads straight into pyoxigraph vs. MLflow.

    python benchmarks/bench_recording.py [--runs N] [--out results.json]

One representative run = a workflow run with its trigger (schedule by airflow) and captured
environment, 3 steps (prepare / train / evaluate), 10 hyperparameters (2 from the run's config, 8
set in train), 4 artifacts (raw, clean, model, test data) and 5 metrics of the model.

Variants, all in this one process/invocation, on-disk stores in one temp dir, interleaved in rounds
(each round every variant records ``--round`` runs; the order rotates from round to round):

``kgrepo``
    ``kgrepo.Repository.open(<tmp>)``, the whole ``with exp.run(...)`` block timed per run.
``pyoxigraph, same calls``
    the exact quads kgrepo wrote for a run (captured beforehand from a separate kgrepo repository by
    wrapping the write methods of its backend), replayed into a fresh on-disk ``pyoxigraph.Store``
    with one ``Store.extend`` per write call kgrepo made. A ``replace(remove, add)`` call (kgrepo
    runs it as one SPARQL update) is replayed as ``extend(add)``. This is the floor's ceiling.
``pyoxigraph, one call``
    the same quads, all of a run in one ``Store.extend``: the absolute ceiling.
``MLflow``
    ``benchmarks/peers/mlflow_peer.py`` in its own venv (``benchmarks/_peer_venv.py``), SQLite
    tracking URI in a temp dir, driven over a pipe so its batches interleave with the others.
``kgrepo, validation stubbed`` (informational)
    kgrepo with its write-path SHACL check (``Repository._validate``) replaced by a no-op, in its
    own store, to measure what validation costs end to end.

Then, outside the timed rounds (benchmark-only monkeypatching of kgrepo's internals, restored
afterwards): a breakdown of kgrepo's time (perf_counter around validation, triples → Quad objects,
the git commit lookup, the environment check, the backend's ``extend`` / ``replace``, and the
rest); a cProfile of a sample of runs; and the run-end ``replace`` timed three ways on its own
(kgrepo's SPARQL update, ``DELETE DATA ; INSERT DATA``, ``extend(add)``).

Without kgrepo importable (or with ``--synthetic``) the kgrepo variants are skipped and the
ceilings replay a hand-made representative quad set instead.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import io
import json
import math
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Quad, Store

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(HERE))

from _peer_venv import ensure_peer_venv  # noqa: E402

PEER = HERE / "peers" / "mlflow_peer.py"

KGREPO = "kgrepo"
KGREPO_NOVAL = "kgrepo, validation stubbed"
SAME = "pyoxigraph, same calls"
ONE = "pyoxigraph, one call"
MLFLOW = "MLflow (SQLite)"
MLFLOW_NOSYNC = "MLflow (SQLite, synchronous=OFF)"

TRAIN_PARAMS = {
    "C": 1.0,
    "kernel": "rbf",
    "gamma": "scale",
    "degree": 3,
    "tol": 0.001,
    "max_iter": 1000,
    "shrinking": True,
    "class_weight": "balanced",
}
METRICS = {"accuracy": 0.97, "precision": 0.95, "recall": 0.96, "f1": 0.955, "roc_auc": 0.99}


# --------------------------------------------------------------------------------------------
# statistics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return math.nan
    k = max(0, math.ceil(p / 100 * len(s)) - 1)
    return s[k]


def summary(lat: list[float]) -> dict[str, float]:
    return {
        "n": len(lat),
        "runs_per_s": len(lat) / sum(lat) if lat else math.nan,
        "p50_ms": percentile(lat, 50) * 1e3,
        "p99_ms": percentile(lat, 99) * 1e3,
        "mean_ms": (sum(lat) / len(lat) * 1e3) if lat else math.nan,
        "min_ms": min(lat) * 1e3 if lat else math.nan,
        "max_ms": max(lat) * 1e3 if lat else math.nan,
    }


# --------------------------------------------------------------------------------------------
# write calls: what kgrepo handed to its backend


@dataclass
class Call:
    method: str  # "extend" or "replace"
    add: list[Quad]
    remove: list[Quad] = field(default_factory=list)


RunCalls = list[Call]


class Capture:
    """Wraps ``extend`` / ``replace`` of one backend instance and records every call."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.calls: list[Call] = []
        self._orig_extend = backend.extend
        self._orig_replace = getattr(backend, "replace", None)

        def extend(quads, *a, **kw):
            quads = list(quads)
            self.calls.append(Call("extend", quads))
            return self._orig_extend(quads, *a, **kw)

        backend.extend = extend
        if self._orig_replace is not None:

            def replace(remove, add, *a, **kw):
                remove, add = list(remove), list(add)
                self.calls.append(Call("replace", add, remove))
                return self._orig_replace(remove, add, *a, **kw)

            backend.replace = replace

    def take(self) -> list[Call]:
        out, self.calls = self.calls, []
        return out

    def restore(self) -> None:
        for name in ("extend", "replace"):
            with contextlib.suppress(AttributeError):
                delattr(self.backend, name)


# --------------------------------------------------------------------------------------------
# kgrepo side


def kgrepo_available() -> tuple[bool, str]:
    try:
        import kgrepo

        kgrepo.Repository  # noqa: B018
        return True, getattr(kgrepo, "__version__", "dev")
    except Exception as err:
        return False, f"{type(err).__name__}: {err}"


class KgrepoDriver:
    """Records the representative run with kgrepo's public API."""

    def __init__(self, path: Path, before_setup: Callable[[Any], Any] | None = None) -> None:
        import kgrepo

        self.kg = kgrepo
        self.repo = kgrepo.Repository.open(str(path))
        if before_setup is not None:
            before_setup(self)
        self.exp = self.repo.experiment("bench", goal="benchmark")
        kg = kgrepo
        self.raw = kg.Dataset("raw", uri="file:///data/raw.csv", digest="sha256:" + "a1" * 32)
        self.test = kg.Dataset("test", uri="file:///data/test.csv", digest="sha256:" + "c3" * 32)
        self.clean_spec = dict(uri="file:///data/clean.csv", digest="sha256:" + "b2" * 32)
        self.prep = kg.Executable("prep.py", version="1.0", digest="sha256:ab12")
        self.train = kg.Executable("train.py", version="1.0")
        self.eval = kg.Executable("eval.py", version="1.0")
        self.trigger = kg.Trigger.schedule(by="airflow", reason="nightly")
        self.count = 0

    @property
    def backend(self) -> Any:
        return self.repo.store

    def record_one(self) -> None:
        kg = self.kg
        self.count += 1
        with self.exp.run(trigger=self.trigger, config={"seed": 1, "folds": 5}) as run:
            with run.step("prepare", kind="transform", executable=self.prep) as s:
                s.use(self.raw)
                clean = s.produce(kg.Dataset("clean", **self.clean_spec))
            with run.step("train", kind="train", executable=self.train) as s:
                s.use(clean)
                s.set_params(**TRAIN_PARAMS)
                model = s.produce(kg.Model("svc", framework=("scikit-learn", "1.5")))
            with run.step("evaluate", kind="evaluate", executable=self.eval) as s:
                s.use(model)
                s.use(self.test)
                for name, value in METRICS.items():
                    s.log_metric(name, value, of=model)

    def close(self) -> None:
        self.repo.close()


# --------------------------------------------------------------------------------------------
# hand-made representative quads (used until/unless kgrepo is importable)

_KG = "https://w3id.org/kgrepo#"
_MLS = "http://www.w3.org/ns/mls#"
_PROV = "http://www.w3.org/ns/prov#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_BASE = "https://kgrepo.example/"


def _n(x: str) -> NamedNode:
    return NamedNode(x)


def synthetic_run(i: int) -> RunCalls:
    """~120 quads shaped like docs/ontology.md says kgrepo writes a run, in 5 write calls."""
    import uuid

    run = _n(f"{_BASE}run/{uuid.uuid4().hex}")
    g = run
    a, label = _n(_RDF + "type"), _n(_RDFS + "label")
    now = Literal(dt.datetime.now(dt.UTC).isoformat(), datatype=_n(_XSD + "dateTime"))
    kg = lambda x: _n(_KG + x)  # noqa: E731
    mls = lambda x: _n(_MLS + x)  # noqa: E731
    prov = lambda x: _n(_PROV + x)  # noqa: E731

    def q(s, p, o):
        return Quad(s, p, o, g)

    exp = _n(_BASE + "experiment/bench")
    trig = _n(f"{run.value}/trigger")
    agent = _n(_BASE + "agent/airflow")
    env = _n(_BASE + "environment/" + "e" * 64)
    start = [
        q(run, a, kg("Run")), q(run, a, mls("Run")), q(run, a, prov("Activity")),
        q(exp, kg("hasRun"), run), q(exp, mls("hasPart"), run),
        q(run, prov("startedAtTime"), now), q(run, kg("status"), kg("Running")),
        q(run, kg("triggeredBy"), trig), q(run, prov("wasStartedBy"), trig),
        q(trig, a, kg("Event")), q(trig, a, kg("Artifact")), q(trig, a, prov("Entity")),
        q(trig, kg("cause"), kg("Schedule")), q(trig, kg("reason"), Literal("nightly")),
        q(trig, kg("attributedTo"), agent), q(trig, prov("wasAttributedTo"), agent),
        q(agent, a, kg("SoftwareAgent")), q(agent, a, kg("Agent")),
        q(agent, a, prov("SoftwareAgent")),
        q(agent, a, prov("Agent")), q(agent, label, Literal("airflow")),
        q(run, kg("environment"), env), q(run, prov("used"), env),
        q(run, kg("host"), Literal(platform.node())), q(run, kg("pid"), Literal(os.getpid())),
    ]  # fmt: skip
    for k, v in {"seed": 1, "folds": 5}.items():
        st = _n(f"{run.value}/setting/{k}")
        hp = _n(f"{exp.value}/parameter/{k}")
        start += [
            q(run, kg("hasSetting"), st), q(run, mls("hasInput"), st),
            q(st, a, kg("HyperParameterSetting")), q(st, a, mls("HyperParameterSetting")),
            q(st, kg("parameter"), hp), q(st, mls("specifiedBy"), hp),
            q(st, kg("value"), Literal(v)), q(st, mls("hasValue"), Literal(v)),
        ]  # fmt: skip
    calls = [Call("extend", start)]

    def artifact(name: str, cls: str, sup: str) -> tuple[NamedNode, list[Quad]]:
        art = _n(f"{_BASE}artifact/{cls}/{name}-{i}")
        return art, [
            q(art, a, kg(cls)), q(art, a, kg("Artifact")), q(art, a, mls(sup)),
            q(art, a, prov("Entity")),
            q(art, label, Literal(name)),
            q(art, kg("uri"), Literal(f"file:///data/{name}", datatype=_n(_XSD + "anyURI"))),
        ]  # fmt: skip

    def step(n: int, name: str, used: list, produced: list, extra: list) -> Call:
        ex = _n(f"{run.value}/execution/{n}")
        exe = _n(f"{_BASE}executable/{name}.py/1.0/-")
        qs = [
            q(ex, a, kg("Execution")), q(ex, a, mls("Run")), q(ex, a, prov("Activity")),
            q(run, kg("hasExecution"), ex), q(run, mls("hasPart"), ex),
            q(ex, kg("executes"), exe), q(ex, mls("executes"), exe),
            q(exe, a, kg("Executable")), q(exe, a, mls("Implementation")),
            q(exe, label, Literal(name)),
            q(ex, kg("stepKind"), Literal(name)), q(ex, prov("startedAtTime"), now),
            q(ex, prov("endedAtTime"), now), q(ex, kg("status"), kg("Succeeded")),
        ]  # fmt: skip
        for art, desc in used:
            qs += [
                *desc,
                q(ex, kg("used"), art),
                q(ex, prov("used"), art),
                q(ex, mls("hasInput"), art),
            ]
        for art, desc in produced:
            qs += [
                *desc,
                q(ex, kg("hasOutput"), art), q(ex, prov("generated"), art),
                q(art, kg("generatedBy"), ex), q(art, prov("wasGeneratedBy"), ex),
            ]  # fmt: skip
        return Call("extend", qs + [x(ex) for x in extra])

    raw, clean = artifact("raw", "Dataset", "Dataset"), artifact("clean", "Dataset", "Dataset")
    model, test = artifact("svc", "Model", "Model"), artifact("test", "Dataset", "Dataset")
    calls.append(step(1, "prepare", [raw], [clean], []))
    params = [
        (lambda ex, k=k, v=v: q(_n(f"{ex.value}/setting/{k}"), mls("hasValue"), Literal(v)))
        for k, v in TRAIN_PARAMS.items()
    ]
    calls.append(step(2, "train", [clean], [model], params))
    metrics = [
        (lambda ex, k=k, v=v: q(_n(f"{ex.value}/metric/{k}"), kg("value"), Literal(v)))
        for k, v in METRICS.items()
    ]
    calls.append(step(3, "evaluate", [model, test], [], metrics))
    calls.append(Call(
        "replace",
        [q(run, kg("status"), kg("Succeeded")), q(run, prov("endedAtTime"), now)],
        [q(run, kg("status"), kg("Running"))],
    ))  # fmt: skip
    return calls


# --------------------------------------------------------------------------------------------
# replays into plain pyoxigraph


def replay_same(store: Store, calls: RunCalls) -> None:
    for c in calls:
        store.extend(c.add)


def replay_one(store: Store, calls: RunCalls) -> None:
    store.extend([x for c in calls for x in c.add])


# --------------------------------------------------------------------------------------------
# MLflow peer


class MlflowPeer:
    def __init__(self, python: Path, warmup: int, log: Path, extra: tuple[str, ...] = ()) -> None:
        self._log = open(log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(python), str(PEER), "--serve", "--warmup", str(warmup), *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        self.meta: dict[str, Any] | None = None

    def wait_ready(self) -> dict[str, Any]:
        if self.meta is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"MLflow peer died at start-up; see {self._log.name}")
            self.meta = json.loads(line)
        return self.meta

    def run(self, k: int) -> list[float]:
        self.wait_ready()
        self.proc.stdin.write(f"run {k}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"MLflow peer died; see {self._log.name}")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(out["error"])
        return out["latencies"]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


# --------------------------------------------------------------------------------------------
# kgrepo internals: validation stub and timing hooks (benchmark-only monkeypatching)


@contextlib.contextmanager
def validation_stubbed() -> Iterator[None]:
    """kgrepo with its write-path validation replaced by a no-op (``Repository._validate``, or
    ``Validator.check`` if there is no such method)."""
    target = _resolve("kgrepo.repository", "Repository._validate") or _resolve(
        "kgrepo.validation", "Validator.check"
    )
    if target is None:
        yield
        return
    owner, attr = target
    orig = vars(owner)[attr]
    setattr(owner, attr, lambda self, *a, **kw: None)
    try:
        yield
    finally:
        setattr(owner, attr, orig)


class Timers:
    """Accumulates perf_counter time inside wrapped callables (per run, reset by the caller)."""

    def __init__(self) -> None:
        self.t: dict[str, float] = {}
        self.n: dict[str, int] = {}
        self.items: dict[str, int] = {}  # total length of list results (e.g. quads built)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            out = None
            try:
                out = fn(*a, **kw)
                return out
            finally:
                self.t[name] = self.t.get(name, 0.0) + time.perf_counter() - t0
                self.n[name] = self.n.get(name, 0) + 1
                if isinstance(out, list):
                    self.items[name] = self.items.get(name, 0) + len(out)

        return wrapper

    def reset(self) -> tuple[dict[str, float], dict[str, int]]:
        out = (self.t, self.n)
        self.t, self.n = {}, {}
        return out


# (label, module, qualified attribute): kgrepo internals timed in the breakdown when they exist.
# The buckets must not nest inside each other (they are summed); whatever is outside them is "rest"
# (describing records as triples, minting IRIs, timestamps, locks, context managers, ...).
HOOKS = [
    ("validation", "kgrepo.repository", "Repository._validate"),
    ("triples → Quad objects", "kgrepo._describe", "Triples.quads"),
    ("git commit lookup", "kgrepo.environment", "code_version"),
    # A property, recomputed on every access: sha256 over the installed-package list.
    ("environment digest", "kgrepo.environment", "Environment.digest"),
]
FALLBACK_VALIDATION = ("validation", "kgrepo.validation", "Validator.check")


def _resolve(module: str, qual: str) -> tuple[Any, str] | None:
    import importlib

    try:
        obj: Any = importlib.import_module(module)
    except Exception:
        return None
    parts = qual.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return (obj, parts[-1]) if hasattr(obj, parts[-1]) else None


def breakdown(driver: KgrepoDriver, runs: int) -> dict[str, Any]:
    """Where a kgrepo run's time goes: validation, store writes (extend / replace), the rest."""
    timers = Timers()
    backend = driver.backend
    patched: list[tuple[Any, str, Any]] = []
    hooks = list(HOOKS)
    if _resolve(*HOOKS[0][1:]) is None:
        hooks[0] = FALLBACK_VALIDATION
    for label, module, qual in hooks:
        found = _resolve(module, qual)
        if found is None:
            continue
        owner, attr = found
        orig = owner.__dict__[attr] if attr in vars(owner) else getattr(owner, attr)
        if isinstance(orig, property) and orig.fget is not None:
            setattr(owner, attr, property(timers.wrap(label, orig.fget)))
            patched.append((owner, attr, orig))
            continue
        wrapped = timers.wrap(label, orig)
        if isinstance(owner, type):
            setattr(owner, attr, lambda *a, _w=wrapped, **kw: _w(*a, **kw))
        else:
            setattr(owner, attr, wrapped)
        patched.append((owner, attr, orig))
    # Count the triples the validator is handed (not timed: it runs inside "validation").
    checked = [0]
    vcls = _resolve("kgrepo.validation", "Validator.check")
    if vcls is not None:
        vowner, vattr = vcls
        vorig = vars(vowner)[vattr]

        def counting(self: Any, triples: Any, *a: Any, **kw: Any) -> Any:
            triples = triples if isinstance(triples, list) else list(triples)
            checked[0] += len(triples)
            return vorig(self, triples, *a, **kw)

        setattr(vowner, vattr, counting)
        patched.append((vowner, vattr, vorig))
    backend.extend = timers.wrap("store.extend", backend.extend)
    if hasattr(backend, "replace"):
        backend.replace = timers.wrap("store.replace", backend.replace)
    per_run: list[dict[str, float]] = []
    counts: dict[str, int] = {}
    timers.items = {}
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            driver.record_one()
            total = time.perf_counter() - t0
            t, n = timers.reset()
            t["total"] = total
            per_run.append(t)
            counts = n
    finally:
        for owner, attr, orig in reversed(patched):
            setattr(owner, attr, orig)
        for name in ("extend", "replace"):
            with contextlib.suppress(AttributeError):
                delattr(backend, name)
    parts = [h[0] for h in hooks if any(h[0] in r for r in per_run)] + [
        "store.extend",
        "store.replace",
    ]
    keys = ["total", *parts]
    med = {k: percentile([r.get(k, 0.0) for r in per_run], 50) * 1e3 for k in keys}
    mean = {k: sum(r.get(k, 0.0) for r in per_run) / len(per_run) * 1e3 for k in keys}
    rest = [r["total"] - sum(r.get(k, 0.0) for k in parts) for r in per_run]
    med["rest"] = percentile(rest, 50) * 1e3
    mean["rest"] = sum(rest) / len(rest) * 1e3
    return {
        "runs": runs,
        "validated_triples_per_run": checked[0] / runs,
        "quads_built_per_run": timers.items.get("triples → Quad objects", 0) / runs,
        "parts": [*parts, "rest"],
        "calls_per_run": counts,
        "p50_ms": med,
        "mean_ms": mean,
    }


def profile(driver: KgrepoDriver, runs: int, top: int) -> dict[str, Any]:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        driver.record_one()
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(file)}:{line}({func})" if line else func,
                "calls_per_run": nc / runs,
                "tottime_ms_per_run": tt / runs * 1e3,
                "cumtime_ms_per_run": ct / runs * 1e3,
            }
        )
    cum = sorted(rows, key=lambda r: -r["cumtime_ms_per_run"])
    tot = sorted(rows, key=lambda r: -r["tottime_ms_per_run"])
    return {
        "runs": runs,
        "profiled_ms_per_run": total / runs * 1e3,
        "top_cumulative": [
            r
            for r in cum
            if "kgrepo" in r["function"]
            or "pyoxigraph" in r["function"]
            or r["function"].startswith("<")
        ][:top],
        "top_self": tot[:top],
    }


def _short(file: str) -> str:
    p = Path(file)
    parts = p.parts
    if "kgrepo" in parts:
        return "/".join(parts[parts.index("kgrepo") :])
    return p.name


def materialised(calls: RunCalls) -> int | None:
    """How many of a run's quads are materialised super-terms (an extra ``rdf:type`` of a
    super-class, or the same statement under a super-property), per kgrepo's own ontology."""
    try:
        from kgrepo import _ontology

        onto = _ontology.load()
    except Exception:
        return None
    rdf_type = NamedNode(_RDF + "type")
    quads = {x for c in calls for x in c.add}
    types: dict[Any, set[Any]] = {}
    for x in quads:
        if x.predicate == rdf_type:
            types.setdefault((x.subject, x.graph_name), set()).add(x.object)
    count = 0
    for x in quads:
        if x.predicate == rdf_type:
            others = types[(x.subject, x.graph_name)] - {x.object}
            if any(x.object in onto.class_supers.get(o, ()) for o in others):
                count += 1
        else:
            for sub, sups in onto.property_supers.items():
                if x.predicate in sups and Quad(x.subject, sub, x.object, x.graph_name) in quads:
                    count += 1
                    break
    return count


def replace_costs(captured: list[RunCalls], path: Path) -> dict[str, Any]:
    """What kgrepo's one replace per run costs, against cheaper ways to write the same change.

    Replays every captured run into three fresh on-disk stores, the run's extends as they were,
    and times only its replace call done three ways: kgrepo's own ``OxigraphStore.replace`` (one
    SPARQL update binding the terms through a custom function), one ``DELETE DATA ; INSERT DATA``
    update (terms serialised by pyoxigraph), and ``extend(add)`` (the ceiling's replay; no removal).
    """
    from kgrepo.store import OxigraphStore

    def fmt(x: Quad) -> str:
        return f"GRAPH {x.graph_name} {{ {x.subject} {x.predicate} {x.object} }}"

    path.mkdir(parents=True, exist_ok=True)
    kg_store = OxigraphStore(path / "kgrepo")
    data_store = Store(str(path / "data"))
    ext_store = Store(str(path / "extend"))
    out: dict[str, list[float]] = {
        "kgrepo replace (SPARQL update, custom function)": [],
        "DELETE DATA ; INSERT DATA (one update)": [],
        "extend(add) (no removal)": [],
    }
    keys = list(out)
    for run in captured:
        *body, last = run
        if last.method != "replace":
            continue
        for c in body:
            kg_store.extend(c.add)
            data_store.extend(c.add)
            ext_store.extend(c.add)
        t0 = time.perf_counter()
        kg_store.replace(last.remove, last.add)
        t1 = time.perf_counter()
        data_store.update(
            "DELETE DATA { " + " ".join(map(fmt, last.remove)) + " } ;\n"
            "INSERT DATA { " + " ".join(map(fmt, last.add)) + " }"
        )
        t2 = time.perf_counter()
        ext_store.extend(last.add)
        t3 = time.perf_counter()
        out[keys[0]].append(t1 - t0)
        out[keys[1]].append(t2 - t1)
        out[keys[2]].append(t3 - t2)
    kg_store.close()
    return {k: summary(v) for k, v in out.items()}


# --------------------------------------------------------------------------------------------
# main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="kgrepo recording benchmark")
    ap.add_argument("--runs", type=int, default=300, help="timed runs per variant (default 300)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up runs per variant (not timed)")
    ap.add_argument(
        "--round", type=int, default=5, help="runs per variant per round (interleaving)"
    )
    ap.add_argument("--out", type=Path, help="write all results (and raw latencies) as JSON here")
    ap.add_argument(
        "--profile-runs", type=int, default=30, help="runs for the breakdown and cProfile"
    )
    ap.add_argument("--top", type=int, default=15, help="rows of the cProfile tables")
    ap.add_argument("--no-mlflow", action="store_true", help="skip the MLflow peer")
    ap.add_argument(
        "--no-mlflow-nosync",
        action="store_true",
        help="skip the informational MLflow variant with PRAGMA synchronous=OFF",
    )
    ap.add_argument("--no-stub", action="store_true", help="skip the validation-stubbed variant")
    ap.add_argument("--synthetic", action="store_true", help="hand-made quads instead of kgrepo's")
    args = ap.parse_args(argv)

    has_kgrepo, kg_info = kgrepo_available()
    use_kgrepo = has_kgrepo and not args.synthetic
    if not use_kgrepo:
        print(
            f"[bench] kgrepo not used ({'--synthetic' if has_kgrepo else kg_info}); "
            "ceilings replay hand-made quads",
            file=sys.stderr,
        )
    total_runs = args.warmup + args.runs
    tmp = Path(tempfile.mkdtemp(prefix="kgrepo-bench-"))
    peer: MlflowPeer | None = None
    peer_nosync: MlflowPeer | None = None
    results: dict[str, Any] = {}
    try:
        # The MLflow peer starts first: its start-up (venv check, SQLite schema, warm-up) overlaps
        # the untimed capture below.
        if not args.no_mlflow:
            py = ensure_peer_venv()
            peer = MlflowPeer(py, args.warmup, tmp / "mlflow-peer.log")
            if not args.no_mlflow_nosync:
                peer_nosync = MlflowPeer(
                    py,
                    args.warmup,
                    tmp / "mlflow-peer-nosync.log",
                    ("--sqlite-synchronous", "OFF"),
                )

        # 1. capture what kgrepo writes, per run, grouped by write call
        setup_calls: list[Call] = []
        captured: list[RunCalls] = []
        if use_kgrepo:
            # Calls made while creating the experiment (and anything else before the first run)
            # are set-up: replayed untimed into the ceiling stores so those hold the same graph.
            holder: list[Capture] = []
            cap_driver = KgrepoDriver(tmp / "capture", lambda d: holder.append(Capture(d.backend)))
            cap = holder[0]
            setup_calls = cap.take()
            for _ in range(total_runs):
                cap_driver.record_one()
                captured.append(cap.take())
            cap.restore()
            cap_driver.close()
        else:
            captured = [synthetic_run(i) for i in range(total_runs)]
        quads_per_run = [sum(len(c.add) for c in r) for r in captured]
        shape = {
            "quads_per_run_median": percentile(quads_per_run, 50),
            "quads_first_run": quads_per_run[0],
            "quads_per_run_min": min(quads_per_run),
            "quads_per_run_max": max(quads_per_run),
            "calls_per_run": len(captured[-1]),
            "calls_signature": [
                f"{c.method}({len(c.remove)}-/+{len(c.add)})"
                if c.method == "replace"
                else f"extend({len(c.add)})"
                for c in captured[-1]
            ],
            "first_run_signature": [
                f"{c.method}({len(c.remove)}-/+{len(c.add)})"
                if c.method == "replace"
                else f"extend({len(c.add)})"
                for c in captured[0]
            ],
            "replace_calls_per_run": sum(c.method == "replace" for c in captured[-1]),
            "removed_quads_per_run": sum(len(c.remove) for c in captured[-1]),
            "setup_calls": len(setup_calls),
            "unique_quads_per_run": len({x for c in captured[-1] for x in c.add}),
            "materialised_quads_per_run": materialised(captured[-1]),
        }
        results["shape"] = shape

        # 2. the stores under test
        same_store = Store(str(tmp / "same"))
        one_store = Store(str(tmp / "one"))
        for c in setup_calls:
            same_store.extend(c.add)
            one_store.extend(c.add)
        driver = KgrepoDriver(tmp / "kgrepo") if use_kgrepo else None
        noval = KgrepoDriver(tmp / "kgrepo-noval") if use_kgrepo and not args.no_stub else None

        cursor = {SAME: 0, ONE: 0}

        def do_same(k: int) -> list[float]:
            out = []
            for _ in range(k):
                calls = captured[cursor[SAME]]
                cursor[SAME] += 1
                t0 = time.perf_counter()
                replay_same(same_store, calls)
                out.append(time.perf_counter() - t0)
            return out

        def do_one(k: int) -> list[float]:
            out = []
            for _ in range(k):
                calls = captured[cursor[ONE]]
                cursor[ONE] += 1
                t0 = time.perf_counter()
                replay_one(one_store, calls)
                out.append(time.perf_counter() - t0)
            return out

        def do_driver(d: KgrepoDriver, k: int) -> list[float]:
            out = []
            for _ in range(k):
                t0 = time.perf_counter()
                d.record_one()
                out.append(time.perf_counter() - t0)
            return out

        def do_noval(k: int) -> list[float]:
            with validation_stubbed():
                return do_driver(noval, k)

        variants: dict[str, Callable[[int], list[float]]] = {}
        if driver is not None:
            variants[KGREPO] = lambda k: do_driver(driver, k)
        variants[SAME] = do_same
        variants[ONE] = do_one
        if peer is not None:
            variants[MLFLOW] = peer.run
        if noval is not None:
            variants[KGREPO_NOVAL] = do_noval
        if peer_nosync is not None:
            variants[MLFLOW_NOSYNC] = peer_nosync.run

        # 3. warm-up (in-process variants; the peer warms up by itself)
        for name, fn in variants.items():
            if name not in (MLFLOW, MLFLOW_NOSYNC):
                fn(args.warmup)
        if peer is not None:
            results["mlflow_meta"] = peer.wait_ready()
        if peer_nosync is not None:
            results["mlflow_nosync_meta"] = peer_nosync.wait_ready()

        # 4. interleaved timed rounds
        lat: dict[str, list[float]] = {name: [] for name in variants}
        per_round: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        done = 0
        rnd = 0
        t_start = time.perf_counter()
        while done < args.runs:
            k = min(args.round, args.runs - done)
            order = names[rnd % len(names) :] + names[: rnd % len(names)]
            for name in order:
                batch = variants[name](k)
                lat[name] += batch
                per_round[name].append(percentile(batch, 50))
            done += k
            rnd += 1
            gc.collect()
        results["timed_wall_s"] = time.perf_counter() - t_start
        results["rounds"] = rnd
        results["per_round_p50_s"] = per_round
        if KGREPO in per_round:
            pairs = [(KGREPO, SAME), (KGREPO, ONE)] + [
                (m, KGREPO) for m in (MLFLOW, MLFLOW_NOSYNC) if m in per_round
            ]
            results["per_round_ratio"] = {
                f"{a} / {b}": sorted(x / y for x, y in zip(per_round[a], per_round[b], strict=True))
                for a, b in pairs
            }

        # 5. breakdown and profile (after the timed rounds; not part of the latencies)
        if driver is not None:
            results["breakdown"] = breakdown(driver, args.profile_runs)
            results["profile"] = profile(driver, args.profile_runs, args.top)
        if use_kgrepo and shape["replace_calls_per_run"]:
            results["replace_costs"] = replace_costs(captured, tmp / "replace")

        stats = {name: summary(v) for name, v in lat.items()}
        results["stats"] = stats
        results["latencies_s"] = lat
        results["machine"] = machine()
        results["versions"] = {
            "python": platform.python_version(),
            "pyoxigraph": pyoxigraph.__version__,
            "kgrepo": kg_info if use_kgrepo else None,
        }
        results["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        results["synthetic"] = not use_kgrepo
        report = render(results)
        print(report)
        if args.out:
            args.out.write_text(json.dumps(results, indent=1))
            print(f"\n[bench] results written to {args.out}", file=sys.stderr)
        for d in (driver, noval):
            if d is not None:
                d.close()
        return 0
    finally:
        for pr in (peer, peer_nosync):
            if pr is not None:
                pr.close()
        shutil.rmtree(tmp, ignore_errors=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": cpu, "platform": platform.platform()}


def render(r: dict[str, Any]) -> str:
    s = r["stats"]
    out = io.StringIO()
    w = out.write
    sh = r["shape"]
    m = r["machine"]
    w(
        f"Machine: {m['cores']} cores, {m['cpu']}, {m['platform']}; "
        f"python {r['versions']['python']}, "
        f"pyoxigraph {r['versions']['pyoxigraph']}"
    )
    if "mlflow_meta" in r:
        mm = r["mlflow_meta"]
        w(f", mlflow-skinny {mm['mlflow']} + SQLAlchemy {mm['sqlalchemy']} (peer venv)")
    w("\n")
    w(
        f"Runs per variant: {r['args']['runs']} timed (+{r['args']['warmup']} warm-up), "
        "interleaved in "
        f"{r['rounds']} rounds of {r['args']['round']}; on-disk stores.\n"
    )
    w(
        f"Per run: {sh['quads_per_run_median']} quads (first run {sh['quads_first_run']}) in "
        f"{sh['calls_per_run']} write calls: {', '.join(sh['calls_signature'])}"
        + (" [hand-made quads: kgrepo not used]" if r["synthetic"] else "")
        + "\n\n"
    )
    if sh.get("unique_quads_per_run") is not None and not r["synthetic"]:
        w(
            f"Of a run's {sh['quads_per_run_median']} quads, "
            f"{sh['unique_quads_per_run']} are distinct"
            + (
                f" and {sh['materialised_quads_per_run']} of those are materialised super-terms "
                "(super-class types, super-property copies)"
                if sh.get("materialised_quads_per_run") is not None
                else ""
            )
            + ".\n\n"
        )
    one = s[ONE]["p50_ms"]
    same = s[SAME]["p50_ms"]
    w("| variant | runs/s | p50 ms | p99 ms | p50 / one-call | p50 / same-calls |\n")
    w("|---|---:|---:|---:|---:|---:|\n")
    for name in (KGREPO, KGREPO_NOVAL, SAME, ONE, MLFLOW, MLFLOW_NOSYNC):
        if name not in s:
            continue
        x = s[name]
        w(
            f"| {name} | {x['runs_per_s']:.1f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | "
            f"{x['p50_ms'] / one:.2f}× | {x['p50_ms'] / same:.2f}× |\n"
        )
    w("\n")
    if KGREPO in s:
        kg = s[KGREPO]["p50_ms"]
        r1 = kg / same
        w(
            f"- Floor 1, kgrepo p50 / same-calls p50 = {r1:.2f} (≤ 2): "
            f"{'PASS' if r1 <= 2 else 'FAIL'}"
            f"  (vs one call: {kg / one:.2f})\n"
        )
        if MLFLOW in s:
            r2 = s[MLFLOW]["p50_ms"] / kg
            w(
                f"- Floor 2, MLflow p50 / kgrepo p50 = {r2:.1f} (≥ 10): "
                f"{'PASS' if r2 >= 10 else 'FAIL'}\n"
            )
        if MLFLOW_NOSYNC in s:
            r3 = s[MLFLOW_NOSYNC]["p50_ms"] / kg
            w(
                f"- Informational, MLflow without fsync (synchronous=OFF, as durable as an "
                f"Oxigraph write) p50 / kgrepo p50 = {r3:.1f}\n"
            )
        if KGREPO_NOVAL in s:
            nv = s[KGREPO_NOVAL]["p50_ms"]
            w(
                f"- Validation, end to end: kgrepo p50 {kg:.2f} ms vs {nv:.2f} ms with its "
                "validation stubbed out: "
                f"{kg - nv:+.2f} ms ({(kg - nv) / kg * 100:+.0f} %)\n"
            )
    if sh["replace_calls_per_run"]:
        w(
            f"- {sh['replace_calls_per_run']} of kgrepo's calls per run are replace(remove, add) "
            f"(a SPARQL update removing {sh['removed_quads_per_run']} quads in all); "
            "the same-calls "
            "ceiling replays each as extend(add).\n"
        )
    for key, ratios in r.get("per_round_ratio", {}).items():
        w(
            f"- Per-round ratio of p50s, {key}: median {percentile(ratios, 50):.2f}, "
            f"range {ratios[0]:.2f}–{ratios[-1]:.2f} over {len(ratios)} rounds\n"
        )
    if "replace_costs" in r:
        w("\nThe run-end replace (1 removed, 2 added quads), replayed on its own:\n\n")
        w("| way | p50 ms | p99 ms |\n|---|---:|---:|\n")
        for k, v in r["replace_costs"].items():
            w(f"| {k} | {v['p50_ms']:.3f} | {v['p99_ms']:.3f} |\n")
    if "breakdown" in r:
        b = r["breakdown"]
        w(
            "\nWhere kgrepo's time goes (perf_counter around its internals, "
            f"{b['runs']} extra runs "
            "after the timed ones; per run kgrepo builds "
            f"{b['quads_built_per_run']:.0f} Quad objects "
            f"and hands the validator {b['validated_triples_per_run']:.0f} triples for the "
            f"{r['shape']['quads_per_run_median']} quads it writes):\n\n"
        )
        w("| part | calls/run | p50 ms | mean ms | share of mean |\n|---|---:|---:|---:|---:|\n")
        tot = b["mean_ms"]["total"]
        for k in (*b["parts"], "total"):
            n = b["calls_per_run"].get(k, "")
            w(
                f"| {k} | {n} | {b['p50_ms'][k]:.2f} | {b['mean_ms'][k]:.2f} | "
                f"{b['mean_ms'][k] / tot * 100:.0f} % |\n"
            )
    if "profile" in r:
        p = r["profile"]
        w(
            f"\ncProfile, {p['runs']} runs "
            f"({p['profiled_ms_per_run']:.1f} ms/run under the profiler), "
            "top cumulative (kgrepo and pyoxigraph):\n\n"
        )
        w("| function | calls/run | cum ms/run | self ms/run |\n|---|---:|---:|---:|\n")
        for row in p["top_cumulative"]:
            w(
                f"| `{row['function']}` | {row['calls_per_run']:.0f} | "
                f"{row['cumtime_ms_per_run']:.2f} | "
                f"{row['tottime_ms_per_run']:.2f} |\n"
            )
        w("\nTop self time:\n\n| function | calls/run | self ms/run |\n|---|---:|---:|\n")
        for row in p["top_self"]:
            w(
                f"| `{row['function']}` | {row['calls_per_run']:.0f} | "
                f"{row['tottime_ms_per_run']:.2f} |\n"
            )
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
