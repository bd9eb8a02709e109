"""Times the lineage questions on a generated on-disk kgrepo repository.

    python benchmarks/lineage/bench_kgrepo.py --data DIR [--reps 50] [--budget 20] [--out FILE]

``DIR`` is ``generate.py``'s ``--out`` (``DIR/store`` and ``DIR/manifest.json``). Every question is
timed twice where possible:

``sparql``
    the raw SPARQL of ``questions.py`` through ``repo.store.query`` (Oxigraph), rows materialised
    and post-processed in Python — the same text rdflib answers in ``bench_rdflib.py``;
``api``
    kgrepo's own function for the question (``kgrepo.lineage.upstream``/``downstream``,
    ``kgrepo.reuse.find_equivalent``, ``kgrepo.listing.list_artifacts``,
    ``kgrepo.compare.diff_runs``/``diff_artifacts``, ``kgrepo.history.trace``), when that module
    exists; otherwise the row says why it is missing.

p50/p99 over ``--reps`` timed calls after 3 warm-up calls, each question bounded by ``--budget``
seconds. Before them, ``cold`` times the first lineage calls after opening (answered with
queries: the lineage index is built by the fourth, see ``kgrepo/_lineage_index.py``), then the
index's build, then calls finding the edges built but records missing, and the process's RSS
before and after.
Also checks the answers against what the generator planned (e.g. the number of descendants) and
writes everything as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import questions
from _timing import measure

import kgrepo


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout()


def guarded(fn: Any, seconds: float) -> Any:
    """``fn`` interrupted after ``seconds`` (between two of its queries: a signal is handled when
    control is back in Python)."""

    def call() -> Any:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    return call


def _value(term: Any) -> Any:
    return None if term is None else term.value


def sparql_runner(repo: kgrepo.Repository, q: questions.Question) -> Any:
    def run() -> Any:
        solutions = repo.store.query(q.text)
        names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
        return q.post(questions.rows_from(names, solutions, _value))  # type: ignore[arg-type]

    return run


def cursor_after_99(repo: kgrepo.Repository, m: dict[str, Any]) -> tuple[str, str] | None:
    rows = list(repo.store.query(questions.cursor_query(m)))  # type: ignore[arg-type]
    if len(rows) < 50:
        return None
    last = rows[-1]
    return questions.literal_text(last["value"]), last["model"].value


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        return err


def api_runners(repo: kgrepo.Repository, m: dict[str, Any]) -> dict[str, Any]:
    """question id → a callable, or a string saying why there is none."""
    out: dict[str, Any] = {}
    lineage = _module("kgrepo.lineage")
    if isinstance(lineage, Exception):
        for k in ("upstream", "downstream_heavy", "downstream_1k"):
            out[k] = f"kgrepo.lineage missing ({lineage})"
    else:
        out["upstream"] = lambda: lineage.upstream(repo, m["deep_model"])
        out["downstream_heavy"] = lambda: lineage.downstream(repo, m["heavy_dataset"])
        out["downstream_1k"] = lambda: lineage.downstream(repo, m["feed_dataset"])

    reuse = _module("kgrepo.reuse")
    if isinstance(reuse, Exception):
        out["fr6_hit"] = out["fr6_miss"] = f"kgrepo.reuse missing ({reuse})"
    else:
        e = m["fr6"]["executable"]
        exe = kgrepo.Executable(e["name"], version=e["version"], digest=e["digest"])
        kinds = {"Dataset": kgrepo.DATASET, "Model": kgrepo.MODEL, "Artifact": kgrepo.ARTIFACT}
        inputs = [
            kgrepo.Artifact("input", kind=kinds[i["kind"]], digest=i["digest"])
            for i in m["fr6"]["inputs"]
        ]
        out["fr6_hit"] = lambda: reuse.find_equivalent(repo, exe, inputs, m["fr6"]["params"])
        out["fr6_miss"] = lambda: reuse.find_equivalent(repo, exe, inputs, m["fr6"]["miss_params"])

    listing = _module("kgrepo.listing")
    if isinstance(listing, Exception):
        for k in ("fr1_page1", "fr1_page100_offset", "fr1_page100_cursor"):
            out[k] = f"kgrepo.listing missing ({listing})"
    else:

        def page(**kw: Any) -> Any:
            return listing.list_artifacts(
                repo, "Model", sort="metric:accuracy", descending=True, limit=50, **kw
            )

        out["fr1_page1"] = lambda: page().items
        out["fr1_page100_offset"] = lambda: page(offset=4950).items
        try:  # the cursor after 99 pages, walked once untimed
            t = time.perf_counter()
            cursor = None
            for _ in range(99):
                cursor = page(cursor=cursor).next_cursor if cursor else page().next_cursor
            walk = time.perf_counter() - t
            c = cursor
            out["fr1_page100_cursor"] = lambda: page(cursor=c).items
            out["_cursor_walk_99_pages_s"] = walk
        except Exception as err:
            out["fr1_page100_cursor"] = f"cursor walk failed: {err!r}"

    compare = _module("kgrepo.compare")
    if isinstance(compare, Exception):
        out["fr2_runs"] = out["fr2_models"] = f"kgrepo.compare missing ({compare})"
    else:
        a, b = m["diff_runs"]
        ma, mb = m["diff_models"]
        out["fr2_runs"] = (
            (lambda: compare.diff_runs(repo, a, b))
            if hasattr(compare, "diff_runs")
            else "kgrepo.compare has no diff_runs"
        )
        out["fr2_models"] = (
            (lambda: compare.diff_artifacts(repo, ma, mb))
            if hasattr(compare, "diff_artifacts")
            else "kgrepo.compare has no diff_artifacts"
        )

    history = _module("kgrepo.history")
    if isinstance(history, Exception) or not hasattr(history, "trace"):
        out["fr10_trace"] = f"kgrepo.history.trace missing ({history})"
    else:
        out["fr10_trace"] = lambda: history.trace(repo, m["trace_experiment"]).artifacts
    return out


def _rss_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return kb / 1024


def cold(repo: kgrepo.Repository, m: dict[str, Any]) -> dict[str, Any]:
    """The first calls after ``Repository.open``: the first three lineage questions of a process
    are answered with queries (what a CLI command pays); then the index's edges are built
    (embedded store), and the first downstream and upstream calls find the edges built but their
    records missing. Then the warm call again."""
    from kgrepo import lineage

    out: dict[str, Any] = {"rss_mb_before": _rss_mb()}
    index = repo.store.lineage_index
    calls = [
        ("upstream_queried", lambda: lineage.upstream(repo, m["deep_model"])),
        ("downstream_1k_queried", lambda: lineage.downstream(repo, m["feed_dataset"])),
        ("upstream_other_model_queried", lambda: lineage.upstream(repo, m["diff_models"][0])),
        ("index_build", index.build if index is not None else lambda: None),
        ("upstream_first", lambda: lineage.upstream(repo, m["deep_model"])),
        ("upstream_second", lambda: lineage.upstream(repo, m["deep_model"])),
        ("downstream_1k_first", lambda: lineage.downstream(repo, m["feed_dataset"])),
        ("downstream_1k_second", lambda: lineage.downstream(repo, m["feed_dataset"])),
        ("upstream_other_model_first", lambda: lineage.upstream(repo, m["diff_models"][1])),
        ("upstream_other_model_second", lambda: lineage.upstream(repo, m["diff_models"][1])),
    ]
    for name, fn in calls:
        t = time.perf_counter()
        fn()
        out[f"{name}_ms"] = (time.perf_counter() - t) * 1000
    out["rss_mb_after"] = _rss_mb()
    out["index"] = "none" if index is None else f"{len(index)} records cached"
    return out


def checks(
    repo: kgrepo.Repository, m: dict[str, Any], results: dict[str, Any], api: bool = True
) -> dict[str, Any]:
    """What the answers say against what the generator planned."""
    f = m["facts"]
    out: dict[str, Any] = {}

    def outputs(text: str) -> set[str]:
        return {s["output"].value for s in repo.store.query(text)}  # type: ignore[index, union-attr]

    qs = {q.id: q for q in questions.build(m)}
    out["downstream_1k_descendants"] = {
        "sparql": len(outputs(qs["downstream_1k"].text)),
        "planned": f["feed_dataset"]["descendants"],
    }
    out["downstream_heavy_descendants"] = {
        "sparql": len(outputs(qs["downstream_heavy"].text)),
        "planned": f["heavy_dataset"]["descendants"],
    }
    ex = {s["execution"].value for s in repo.store.query(qs["regress_subquery"].text)}  # type: ignore[index, union-attr]
    out["upstream_executions"] = {
        "sparql": len(ex),
        "planned": f["deep_model"]["upstream_executions"],
    }
    if not api:
        rows = list(repo.store.query(qs["fr6_hit"].text))  # type: ignore[arg-type]
        out["fr6_sparql_hit"] = rows[0]["execution"].value if rows else None
        return out
    try:
        from kgrepo import lineage

        up = guarded(lambda: lineage.upstream(repo, m["deep_model"]), 120)()
        out["upstream_executions"]["api"] = len(up.steps)
        out["upstream_api_max_depth"] = max((s.depth for s in up.steps), default=0)
        down = guarded(lambda: lineage.downstream(repo, m["feed_dataset"]), 120)()
        out["downstream_1k_descendants"]["api_descendants_property"] = len(down.descendants)
        out["downstream_1k_descendants"]["api_outputs_of_steps"] = len(
            {o for s in down.steps for o in s.outputs}
        )
    except (Exception, Timeout) as err:
        out["api_error"] = repr(err)
    try:
        from kgrepo import reuse

        e = m["fr6"]["executable"]
        exe = kgrepo.Executable(e["name"], version=e["version"], digest=e["digest"])
        ins = [
            kgrepo.Artifact("i", kind=kgrepo.DATASET, digest=i["digest"])
            for i in m["fr6"]["inputs"]
        ]
        hit = reuse.find_equivalent(repo, exe, ins, m["fr6"]["params"])
        miss = reuse.find_equivalent(repo, exe, ins, m["fr6"]["miss_params"])
        out["fr6_api"] = {
            "hit": hit.execution if hit else None,
            "miss": miss.execution if miss else None,
        }
    except Exception as err:
        out["fr6_api_error"] = repr(err)
    rows = list(repo.store.query(qs["fr6_hit"].text))  # type: ignore[arg-type]
    out["fr6_sparql_hit"] = rows[0]["execution"].value if rows else None
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument(
        "--budget", type=float, default=20.0, help="seconds of timed calls per question"
    )
    ap.add_argument("--out", type=Path)
    ap.add_argument("--no-api", action="store_true", help="time the raw SPARQL only")
    ap.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds after which one call of an API function is abandoned",
    )
    args = ap.parse_args(argv)

    m = json.loads((args.data / "manifest.json").read_text())
    t = time.perf_counter()
    repo = kgrepo.Repository.open(args.data / "store")
    open_s = time.perf_counter() - t
    signal.signal(signal.SIGALRM, _alarm)
    first = {} if args.no_api else cold(repo, m)
    print(f"kgrepo: cold {first}", file=sys.stderr, flush=True)
    cursor = cursor_after_99(repo, m)
    qs = questions.build(m, cursor)
    api = {} if args.no_api else api_runners(repo, m)
    results: dict[str, Any] = {}
    for q in qs:
        row: dict[str, Any] = {"label": q.label, "floor_ms": q.floor_ms}
        print(f"kgrepo: {q.id} …", end=" ", flush=True, file=sys.stderr)
        row["sparql"] = measure(sparql_runner(repo, q), reps=args.reps, budget_s=args.budget)
        fn = api.get(q.id)
        if callable(fn):
            try:
                row["api"] = measure(
                    guarded(fn, args.timeout),
                    reps=args.reps,
                    warmup=1,
                    budget_s=args.budget,
                    min_reps=1,
                )
            except Timeout:
                row["api"] = {"timeout_s": args.timeout}
            except Exception as err:
                row["api"] = {"error": repr(err)[:300]}
        elif fn is not None:
            row["api"] = {"missing": fn}
        print(
            f"sparql p50 {row['sparql']['p50_ms']:.1f} ms"
            + (
                f", api p50 {row['api']['p50_ms']:.1f} ms" if "p50_ms" in row.get("api", {}) else ""
            ),
            file=sys.stderr,
            flush=True,
        )
        results[q.id] = row
    seq = results["regress_sequence"]["sparql"]["p50_ms"]
    sub = results["regress_subquery"]["sparql"]["p50_ms"]
    out = {
        "engine": "kgrepo (pyoxigraph, on disk)",
        "runs": m["runs"],
        "quads": m["quads"],
        "store_bytes": m["store_bytes"],
        "open_s": open_s,
        "cold": first,
        "results": results,
        "regression_ratio_sequence_over_subquery": seq / sub if sub else None,
        "cursor_walk_99_pages_s": api.get("_cursor_walk_99_pages_s"),
        "checks": checks(repo, m, results, api=not args.no_api),
    }
    repo.close()
    text = json.dumps(out, indent=1, default=str)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return out


if __name__ == "__main__":
    main()
