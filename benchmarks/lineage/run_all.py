"""The lineage benchmark end to end: kgrepo, rdflib and ML Metadata in one invocation.

    python benchmarks/lineage/run_all.py --runs 10000 [--seed 1] [--data DIR] [--reps 50]
        [--budget 20] [--skip-rdflib] [--skip-mlmd] [--out RESULTS.json] [--md TABLE.md]

1. ``generate.py`` builds ``DIR`` (default ``${KGREPO_BENCH_CACHE:-~/.cache/kgrepo-bench}/
   lineage-N``) unless its ``manifest.json`` is there (``--regenerate`` forces it);
2. ``bench_kgrepo.py`` times the questions on the on-disk store (subprocess: the store is locked
   by one process at a time);
3. ``bench_rdflib.py`` loads ``DIR/dump.nq`` into rdflib in memory and times the same query texts;
4. ``mlmd/mlmd_bench.py`` (in its venv, ``mlmd/venv.py``) builds the same plan in ML Metadata on
   SQLite and times the same questions;

then prints one markdown table: question × (kgrepo SPARQL p50/p99, kgrepo API p50/p99, rdflib,
MLMD, kgrepo/rdflib speed-up on the same query text, floor and whether it is met).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "mlmd"))

ORDER = [
    "upstream",
    "downstream_1k",
    "downstream_heavy",
    "fr6_hit",
    "fr6_miss",
    "fr1_page1",
    "fr1_page100_offset",
    "fr1_page100_cursor",
    "fr2_runs",
    "fr2_models",
    "fr10_trace",
    "regress_sequence",
    "regress_subquery",
]


def cache() -> Path:
    return Path(os.environ.get("KGREPO_BENCH_CACHE", "~/.cache/kgrepo-bench")).expanduser()


def run(cmd: list[str], log: Path) -> float:
    print("$", " ".join(cmd), flush=True)
    t = time.perf_counter()
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        print(log.read_text()[-3000:], file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)} (log: {log})")
    return time.perf_counter() - t


def fmt(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "—"
    if "p50_ms" in cell:
        return f"{cell['p50_ms']:.1f} / {cell['p99_ms']:.1f}"
    if "timeout_s" in cell:
        return f"> {cell['timeout_s']:.0f} s (1 call)"
    if "missing" in cell:
        return "n/a (module missing)"
    if "error" in cell:
        return "error"
    return "—"


def table(k: dict[str, Any], r: dict[str, Any] | None, m: dict[str, Any] | None) -> str:
    lines = [
        "| question | kgrepo SPARQL p50 / p99 ms | kgrepo API p50 / p99 ms | rdflib p50 / p99 ms "
        "| MLMD p50 / p99 ms | kgrepo ÷ rdflib (same SPARQL) | floor (p50) | floor met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for qid in ORDER:
        row = k["results"].get(qid)
        if row is None:
            continue
        ks, ka = row.get("sparql"), row.get("api")
        rr = (r or {}).get("results", {}).get(qid, {}).get("sparql") if r else None
        mm = (m or {}).get("results", {}).get(qid, {}).get("api") if m else None
        speed = "—"
        if ks and rr and "p50_ms" in ks:
            if "p50_ms" in rr:
                speed = f"{rr['p50_ms'] / ks['p50_ms']:.0f}×"
            elif "timeout_s" in rr:
                speed = f"> {rr['timeout_s'] * 1000 / ks['p50_ms']:.0f}×"
        floor = row.get("floor_ms")
        met = "—"
        if floor is not None:
            parts = []
            for name, cell in (("SPARQL", ks), ("API", ka)):
                if cell and "p50_ms" in cell:
                    parts.append(f"{name} {'yes' if cell['p50_ms'] < floor else 'NO'}")
                elif cell and ("timeout_s" in cell or "error" in cell):
                    parts.append(f"{name} NO")
            met = ", ".join(parts) or "—"
        ten = ""
        if speed != "—" and not qid.startswith("regress"):
            ratio = float(speed.strip("> ×"))
            ten = "; ≥10× rdflib " + ("yes" if ratio >= 10 else "NO")
        lines.append(
            f"| {row['label']} | {fmt(ks)} | {fmt(ka)} | {fmt(rr)} | {fmt(mm)} | {speed} "
            f"| {f'< {floor:.0f} ms' if floor else '—'} | {met}{ten} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--rdflib-reps", type=int, default=20)
    ap.add_argument("--rdflib-timeout", type=float, default=120.0)
    ap.add_argument("--skip-rdflib", action="store_true")
    ap.add_argument("--skip-mlmd", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--md", type=Path)
    ap.add_argument("--from-json", type=Path, help="only print the table of an earlier --out file")
    args = ap.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        print(table(saved["kgrepo"], saved["rdflib"], saved["mlmd"]))
        return

    data = args.data or cache() / f"lineage-{args.runs}"
    logs = data / "logs"
    py = sys.executable
    if args.regenerate or not (data / "manifest.json").exists():
        data.mkdir(parents=True, exist_ok=True)
        logs.mkdir(exist_ok=True)
        run(
            [
                py,
                str(HERE / "generate.py"),
                "--runs",
                str(args.runs),
                "--seed",
                str(args.seed),
                "--out",
                str(data),
                "--dump",
            ],
            logs / "generate.log",
        )
    logs.mkdir(exist_ok=True)
    manifest = json.loads((data / "manifest.json").read_text())

    run(
        [
            py,
            str(HERE / "bench_kgrepo.py"),
            "--data",
            str(data),
            "--reps",
            str(args.reps),
            "--budget",
            str(args.budget),
            "--out",
            str(data / "kgrepo.json"),
        ],
        logs / "kgrepo.log",
    )
    k = json.loads((data / "kgrepo.json").read_text())

    r = None
    if not args.skip_rdflib:
        if manifest.get("dump") and Path(manifest["dump"]).exists():
            run(
                [
                    py,
                    str(HERE / "bench_rdflib.py"),
                    "--data",
                    str(data),
                    "--reps",
                    str(args.rdflib_reps),
                    "--budget",
                    str(args.budget),
                    "--timeout",
                    str(args.rdflib_timeout),
                    "--out",
                    str(data / "rdflib.json"),
                ],
                logs / "rdflib.log",
            )
            r = json.loads((data / "rdflib.json").read_text())
        else:
            print("no dump.nq (generate with --dump): rdflib skipped", file=sys.stderr)

    m = None
    if not args.skip_mlmd:
        import venv as mlmd_venv  # benchmarks/lineage/mlmd/venv.py

        mpy = mlmd_venv.ensure()
        run(
            [
                str(mpy),
                str(HERE / "mlmd" / "mlmd_bench.py"),
                "--runs",
                str(manifest["runs"]),
                "--seed",
                str(manifest["seed"]),
                "--db",
                str(data / "mlmd.sqlite"),
                "--reps",
                str(args.reps),
                "--budget",
                str(args.budget),
                "--out",
                str(data / "mlmd.json"),
            ],
            logs / "mlmd.log",
        )
        m = json.loads((data / "mlmd.json").read_text())

    md = table(k, r, m)
    summary = {
        "runs": manifest["runs"],
        "quads": manifest["quads"],
        "distinct_triples": manifest.get("distinct_triples"),
        "store_bytes": manifest["store_bytes"],
        "generation": manifest["timings"],
        "regression_ratio_sequence_over_subquery": k.get("regression_ratio_sequence_over_subquery"),
        "kgrepo_checks": k.get("checks"),
        "rdflib_load_s": r and r["load_s"],
        "rdflib_rss_growth_bytes": r and r["rss_after_load_bytes"] - r["rss_before_bytes"],
        "mlmd_build_s": m and m["build_s"],
        "mlmd_db_bytes": m and m["db_bytes"],
        "mlmd_checks": m and m["checks"],
    }
    print()
    print(md)
    print()
    print(json.dumps(summary, indent=1, default=str))
    if args.out:
        args.out.write_text(
            json.dumps(
                {"summary": summary, "kgrepo": k, "rdflib": r, "mlmd": m}, indent=1, default=str
            )
        )
    if args.md:
        args.md.write_text(md + "\n")


if __name__ == "__main__":
    main()
