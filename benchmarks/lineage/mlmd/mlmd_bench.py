"""The lineage questions on Google ML Metadata (``ml-metadata==1.17.1``) over SQLite.

Runs in its own venv (``mlmd/venv.py``); driven by ``run_all.py``, or by hand:

    $(python benchmarks/lineage/mlmd/venv.py) benchmarks/lineage/mlmd/mlmd_bench.py \
        --runs 10000 --seed 1 --db /tmp/mlmd.sqlite [--reps 50] [--budget 20] [--out FILE]

The repository is built from the same seeded plan as the kgrepo one (``workload.py``: same N, same
shapes, same digests) — not by translating RDF:

* artifact types Dataset, Model, Metrics, Artifact (properties ``name``, ``digest``; datasets
  ``rows``; models ``algorithm``; metrics ``measure`` and ``value``); an artifact with the same kind
  and digest is one MLMD artifact, as in kgrepo;
* one execution type ``Step`` (properties ``name``, ``kind``, ``run``, ``exe_name``,
  ``exe_version``, ``exe_digest``; hyperparameters as custom properties; state COMPLETE or
  FAILED), INPUT/OUTPUT events;
* context types ``Experiment`` and ``Run`` (the run a child of its experiment); every execution is
  associated with its run and its experiment, every artifact attributed to both;
* ML Metadata cannot sort artifacts by a property (``order_by`` is id/create/update time only) nor
  relate a metric to the model it evaluates, so each model also carries its metrics as custom
  properties (``accuracy``…) — a schema choice in MLMD's favour for FR1.

Questions (same as ``questions.py``): upstream and downstream via ``get_lineage_subgraph``
(starting at the artifact, direction UPSTREAM/DOWNSTREAM, ``max_num_hops`` as large as MLMD
accepts); FR6 via ``get_executions`` filtered by type, executable properties, parameters and state,
then the INPUT events of the candidates; FR1 via ``get_artifacts`` of type Model (all, then sorted
by ``accuracy`` client-side); FR2 via the runs' contexts, executions, events and artifacts;
FR10 via the experiment context.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
os.environ.setdefault("GLOG_minloglevel", "2")  # MLMD logs every capped max_num_hops
sys.path.insert(0, str(HERE.parent))

import workload  # noqa: E402
from _timing import measure  # noqa: E402
from ml_metadata import ListOptions  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as pb  # noqa: E402

STRING, INT, DOUBLE = pb.STRING, pb.INT, pb.DOUBLE
MAX_HOPS = 100  # the largest value ML Metadata accepts: larger values are silently capped to 100


def _set(props: Any, key: str, value: Any) -> None:
    if isinstance(value, bool):
        props[key].bool_value = value
    elif isinstance(value, int):
        props[key].int_value = value
    elif isinstance(value, float):
        props[key].double_value = value
    else:
        props[key].string_value = str(value)


class Builder:
    def __init__(self, store: metadata_store.MetadataStore) -> None:
        self.store = store
        self.types: dict[str, int] = {}
        for name, props in (
            ("Dataset", {"name": STRING, "digest": STRING, "uri": STRING, "rows": INT}),
            ("Model", {"name": STRING, "digest": STRING, "uri": STRING, "algorithm": STRING}),
            ("Metrics", {"name": STRING, "measure": STRING, "value": DOUBLE}),
            ("Artifact", {"name": STRING, "digest": STRING, "uri": STRING}),
        ):
            t = pb.ArtifactType(name=name)
            for k, v in props.items():
                t.properties[k] = v
            self.types[name] = store.put_artifact_type(t)
        et = pb.ExecutionType(name="Step")
        for k in ("name", "kind", "run", "exe_name", "exe_version", "exe_digest"):
            et.properties[k] = STRING
        self.step_type = store.put_execution_type(et)
        self.exp_type = store.put_context_type(pb.ContextType(name="Experiment"))
        self.run_type = store.put_context_type(pb.ContextType(name="Run"))
        self.ids: dict[tuple[str, str], int] = {}
        self.experiments: dict[str, pb.Context] = {}

    def artifact(self, spec: workload.ArtifactSpec) -> pb.Artifact:
        a = pb.Artifact(type_id=self.types[spec.kind], uri=spec.uri)
        known = self.ids.get(spec.key)
        if known is not None:
            a.id = known
        a.properties["name"].string_value = spec.name
        a.properties["digest"].string_value = spec.digest
        a.properties["uri"].string_value = spec.uri
        if spec.kind == "Dataset" and spec.rows is not None:
            a.properties["rows"].int_value = spec.rows
        if spec.kind == "Model" and spec.algorithm:
            a.properties["algorithm"].string_value = spec.algorithm
        return a

    def run(self, spec: workload.RunSpec, plan: workload.Plan) -> int:
        exp = self.experiments.get(spec.experiment)
        if exp is None:
            c = pb.Context(type_id=self.exp_type, name=spec.experiment)
            [cid] = self.store.put_contexts([c])
            c.id = cid
            exp = self.experiments[spec.experiment] = c
        run_ctx = pb.Context(type_id=self.run_type, name=f"run-{spec.index}")
        [rid] = self.store.put_contexts([run_ctx])
        run_ctx.id = rid
        self.store.put_parent_contexts([pb.ParentContext(child_id=rid, parent_id=exp.id)])
        model_id = None
        for st in spec.steps:
            e = pb.Execution(type_id=self.step_type)
            e.last_known_state = pb.Execution.FAILED if st.fail else pb.Execution.COMPLETE
            for k, v in (
                ("name", st.name),
                ("kind", st.kind),
                ("run", f"run-{spec.index}"),
                ("exe_name", st.exe[0]),
                ("exe_version", st.exe[1]),
                ("exe_digest", st.exe[2]),
            ):
                e.properties[k].string_value = v
            for k, v in st.params.items():
                _set(e.custom_properties, k, v)
            pairs: list[tuple[pb.Artifact, pb.Event]] = []
            keys: list[tuple[str, str] | None] = []
            for key in st.uses:
                pairs.append((self.artifact(plan.artifacts[key]), pb.Event(type=pb.Event.INPUT)))
                keys.append(key)
            if not st.fail:
                for out in st.produces:
                    pairs.append((self.artifact(out), pb.Event(type=pb.Event.OUTPUT)))
                    keys.append(out.key)
                for name, value in st.metrics:
                    a = pb.Artifact(type_id=self.types["Metrics"])
                    a.properties["name"].string_value = name
                    a.properties["measure"].string_value = name
                    a.properties["value"].double_value = value
                    pairs.append((a, pb.Event(type=pb.Event.OUTPUT)))
                    keys.append(None)
            _, artifact_ids, _ = self.store.put_execution(e, pairs, [exp, run_ctx])
            for key, aid in zip(keys, artifact_ids, strict=True):
                if key is not None:
                    self.ids[key] = aid
                    if key[0] == "Model" and st.name == "train":
                        model_id = aid
            if st.metrics and model_id is not None:  # the metrics on the model too (for FR1)
                [m] = self.store.get_artifacts_by_id([model_id])
                for name, value in st.metrics:
                    m.custom_properties[name].double_value = value
                self.store.put_artifacts([m])
        return rid


def _lineage_options(start: int, hops: int, direction: Any) -> pb.LineageSubgraphQueryOptions:
    o = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=direction)
    o.starting_artifacts.filter_query = f"id = {start}"
    return o


def questions(
    store: metadata_store.MetadataStore, b: Builder, plan: workload.Plan, run_ctx: dict[int, int]
) -> dict[str, Any]:
    f = plan.facts
    deep = b.ids[("Model", f["deep_model"]["digest"])]
    heavy = b.ids.get(("Dataset", f["heavy_dataset"]["digest"]))
    feed = b.ids.get(("Dataset", f["feed_dataset"]["digest"]))
    hops = MAX_HOPS
    up, down = pb.LineageSubgraphQueryOptions.UPSTREAM, pb.LineageSubgraphQueryOptions.DOWNSTREAM

    def lineage(start: int, direction: Any) -> Any:
        g = store.get_lineage_subgraph(_lineage_options(start, hops, direction))
        return list(g.artifacts) + list(g.executions)

    def fr6(spec: dict[str, Any]) -> Any:
        name, version, digest = spec["executable"]
        q = [
            "type = 'Step'",
            f"properties.exe_name.string_value = '{name}'",
            f"properties.exe_version.string_value = '{version}'",
            f"properties.exe_digest.string_value = '{digest}'",
            "last_known_state = COMPLETE",
        ]
        for k, v in spec["params"].items():
            field = (
                "bool_value"
                if isinstance(v, bool)
                else "int_value"
                if isinstance(v, int)
                else "double_value"
                if isinstance(v, float)
                else "string_value"
            )
            lit = (
                str(v).upper()
                if isinstance(v, bool)
                else repr(v)
                if not isinstance(v, str)
                else "'" + v + "'"
            )
            q.append(f"custom_properties.{k}.{field} = {lit}")
        execs = store.get_executions(list_options=ListOptions(filter_query=" AND ".join(q)))
        if not execs:
            return []
        wanted = set()
        for kind, dig in spec["inputs"]:
            found = store.get_artifacts(
                list_options=ListOptions(
                    filter_query=f"type = '{kind}' AND properties.digest.string_value = '{dig}'"
                )
            )
            wanted |= {a.id for a in found}
        inputs: dict[int, set[int]] = {}
        for ev in store.get_events_by_execution_ids([e.id for e in execs]):
            if ev.type == pb.Event.INPUT:
                inputs.setdefault(ev.execution_id, set()).add(ev.artifact_id)
        ok = [
            e
            for e in execs
            if inputs.get(e.id) == wanted and set(e.custom_properties) == set(spec["params"])
        ]
        return [max(ok, key=lambda e: (e.create_time_since_epoch, e.id))] if ok else []

    def fr1(offset: int) -> Any:
        models = store.get_artifacts(list_options=ListOptions(filter_query="type = 'Model'"))
        models.sort(key=lambda a: (-a.custom_properties["accuracy"].double_value, a.id))
        return models[offset : offset + 50]

    def describe_run(rid: int) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        execs = store.get_executions_by_context(rid)
        events = store.get_events_by_execution_ids([e.id for e in execs])
        arts = {a.id: a for a in store.get_artifacts_by_id(list({ev.artifact_id for ev in events}))}
        names = {e.id: e.properties["name"].string_value for e in execs}
        for e in execs:
            step = names[e.id]
            out.setdefault(("executable", step), set()).add(
                "/".join(
                    e.properties[k].string_value for k in ("exe_name", "exe_version", "exe_digest")
                )
            )
            for k, v in e.custom_properties.items():
                out.setdefault(("parameter", f"{step}.{k}"), set()).add(str(v).strip())
        for ev in events:
            a = arts[ev.artifact_id]
            role = "input" if ev.type == pb.Event.INPUT else "output"
            if a.type_id == b.types["Metrics"]:
                out.setdefault(("metric", a.properties["measure"].string_value), set()).add(
                    str(a.properties["value"].double_value)
                )
            else:
                out.setdefault(
                    (role, f"{names[ev.execution_id]} {a.properties['name'].string_value}"), set()
                ).add(a.properties["digest"].string_value)
        return out

    def diff(x: dict[Any, set[str]], y: dict[Any, set[str]]) -> dict[Any, Any]:
        return {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)}

    def describe_model(aid: int) -> dict[tuple[str, str], set[str]]:
        [a] = store.get_artifacts_by_id([aid])
        out: dict[tuple[str, str], set[str]] = {}
        for k, v in list(a.properties.items()) + list(a.custom_properties.items()):
            out[("field", k)] = {str(v).strip()}
        events = store.get_events_by_artifact_ids([aid])
        producer = [ev.execution_id for ev in events if ev.type == pb.Event.OUTPUT]
        if producer:
            [e] = store.get_executions_by_id(producer[:1])
            for k, v in e.custom_properties.items():
                out[("parameter", k)] = {str(v).strip()}
            out[("executable", "")] = {e.properties["exe_digest"].string_value}
            ins = [
                ev.artifact_id
                for ev in store.get_events_by_execution_ids([e.id])
                if ev.type == pb.Event.INPUT
            ]
            for i in store.get_artifacts_by_id(ins):
                out[("input", i.properties["name"].string_value)] = {
                    i.properties["digest"].string_value
                }
        return out

    exp_ctx = b.experiments.get(workload.TRACE_EXPERIMENT)

    def trace() -> Any:
        execs = store.get_executions_by_context(exp_ctx.id)  # type: ignore[union-attr]
        run_of = {e.id: e.properties["run"].string_value for e in execs}
        events = store.get_events_by_execution_ids(list(run_of))
        arts = {a.id: a for a in store.get_artifacts_by_id(list({ev.artifact_id for ev in events}))}
        out: dict[int, dict[str, Any]] = {}
        for ev in events:
            a = arts[ev.artifact_id]
            entry = out.setdefault(
                a.id,
                {
                    "name": a.properties["name"].string_value,
                    "digest": a.properties["digest"].string_value,
                    "produced": set(),
                    "used": set(),
                },
            )
            entry["produced" if ev.type == pb.Event.OUTPUT else "used"].add(run_of[ev.execution_id])
        return out

    ra, rb = (run_ctx[i] for i in f["diff_runs"])
    ma, mb = (b.ids[("Model", d)] for d in f["diff_models"])
    qs: dict[str, Any] = {
        "upstream": lambda: lineage(deep, up),
        "fr6_hit": lambda: fr6(f["fr6_hit"]),
        "fr6_miss": lambda: fr6(f["fr6_miss"]),
        "fr1_page1": lambda: fr1(0),
        "fr1_page100_offset": lambda: fr1(4950),
        "fr2_runs": lambda: diff(describe_run(ra), describe_run(rb)),
        "fr2_models": lambda: diff(describe_model(ma), describe_model(mb)),
    }
    if heavy is not None:
        qs["downstream_heavy"] = lambda: lineage(heavy, down)
    if feed is not None:
        qs["downstream_1k"] = lambda: lineage(feed, down)
    if exp_ctx is not None:
        qs["fr10_trace"] = trace
    return {"questions": qs, "max_num_hops": hops}


def _open(path: Path) -> metadata_store.MetadataStore:
    cfg = pb.ConnectionConfig()
    cfg.sqlite.filename_uri = str(path)
    cfg.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(cfg)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    if args.db.exists():
        args.db.unlink()
    # MLMD commits (and fsyncs) every call; built on tmpfs when there is one, then moved to --db
    # and reopened there for the timed questions.
    shm = Path("/dev/shm")
    build_db = shm / f"mlmd-build-{os.getpid()}.sqlite" if shm.is_dir() else args.db
    store = _open(build_db)

    t = time.perf_counter()
    plan = workload.plan(args.runs, args.seed)
    plan_s = time.perf_counter() - t
    t = time.perf_counter()
    b = Builder(store)
    run_ctx: dict[int, int] = {}
    for spec in plan.runs:
        run_ctx[spec.index] = b.run(spec, plan)
        if (spec.index + 1) % 2000 == 0:
            print(
                f"mlmd: built {spec.index + 1} runs, {time.perf_counter() - t:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    build_s = time.perf_counter() - t
    if build_db != args.db:
        del store
        shutil.move(str(build_db), str(args.db))
        store = _open(args.db)
        b.store = store
    size = os.path.getsize(args.db)

    # sanity checks against the plan
    f = plan.facts
    setup = questions(store, b, plan, run_ctx)
    qs = setup["questions"]
    checks = {
        "upstream_executions": {
            "mlmd": sum(1 for x in qs["upstream"]() if isinstance(x, pb.Execution)),
            "planned": f["deep_model"]["upstream_executions"],
        },
        "fr6_hit_found": bool(qs["fr6_hit"]()),
        "fr6_miss_found": bool(qs["fr6_miss"]()),
    }
    if "downstream_1k" in qs:
        arts = [x for x in qs["downstream_1k"]() if isinstance(x, pb.Artifact)]
        checks["downstream_1k_descendants"] = {
            "mlmd_artifacts_minus_root": len(arts) - 1,
            "planned": f["feed_dataset"]["descendants"],
        }

    results: dict[str, Any] = {}
    for qid, fn in qs.items():
        print(f"mlmd: {qid} …", end=" ", file=sys.stderr, flush=True)
        try:
            row = measure(fn, reps=args.reps, budget_s=args.budget)
            print(f"p50 {row['p50_ms']:.1f} ms", file=sys.stderr, flush=True)
        except Exception as err:
            row = {"error": repr(err)[:300]}
            print(row["error"], file=sys.stderr, flush=True)
        results[qid] = {"api": row}
    import ml_metadata

    out = {
        "engine": f"ML Metadata {ml_metadata.__version__} (SQLite)",
        "runs": args.runs,
        "plan_s": plan_s,
        "build_s": build_s,
        "db_bytes": size,
        "max_num_hops": setup["max_num_hops"],
        "checks": checks,
        "results": results,
    }
    text = json.dumps(out, indent=1, default=str)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
