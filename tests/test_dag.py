"""FR3, the DAG of a run (kgrepo.dag and ``kgrepo dag``), over every backend.

The DAG must give each execution with its order, inputs and outputs, a topological order that
follows kg:follows (not only start times), and drawings (Graphviz DOT, Mermaid) that no name can
break: each drawing is checked structurally, every label decoded back to the exact name, and the DOT
rendered by Graphviz when ``dot`` is installed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import kgrepo
from kgrepo import (
    Dataset,
    Executable,
    InvalidInput,
    Model,
    NotFound,
    Repository,
    Status,
    Trigger,
    demo,
)
from kgrepo.cli import main
from kgrepo.dag import RunDag, run_dag

NASTY = (
    'say "hi"',
    "list]) --> x[y] -.-> z",
    "two\nlines\r\nthree",
    "ünïcødé 数据 🚀 — ok",
    "back\\slash \\N \\n end\\",
    "&amp; #quot; #35; <b>bold</b> & R&D;",
    "end",
    "style: fill:#f00; classDef x fill:#0f0;",
    "tab\there %% comment `tick`",
)


def tick() -> None:
    """Start times are kept to the millisecond: make the next one later than the last."""
    time.sleep(0.003)


def record_branching(repo: Repository) -> dict[str, object]:
    """prepare → (train, profile in parallel) → evaluate, where profile produces nothing evaluate
    uses (an order without data flow) and evaluate fails."""
    exp = repo.experiment("dag")
    run = exp.run(trigger=Trigger.schedule(by="cron"), name="nightly")
    with pytest.raises(RuntimeError, match="metrics server down"), run:
        exe = Executable("prepare.py", version="1.0", uri="https://git.example/p.py")
        with run.step("prepare", kind="transform", executable=exe) as prepare:
            prepare.use(Dataset("raw", uri="file:///raw.csv", digest="sha256:aa"))
            clean = prepare.produce(Dataset("clean", digest="sha256:bb"))
        tick()
        with run.step("train", kind="train", after=[prepare]) as train:
            train.use(clean)
            model = train.produce(Model("svc", digest="sha256:cc"))
            train.log_metric("loss", 0.1, of=model)
        tick()
        with run.step("profile", kind="analyse", after=[prepare]) as profile:
            profile.use(clean)
        tick()
        with run.step("evaluate", kind="evaluate", after=[train, profile]) as evaluate:
            evaluate.use(model)
            raise RuntimeError("metrics server down")
    return {"run": run, "clean": clean, "train": train}


def iri(x: object) -> str:
    return str(x.iri.value)  # type: ignore[attr-defined]


# -- the DAG -------------------------------------------------------------------------------------


def test_dag_gives_executions_order_inputs_and_outputs(repo: Repository) -> None:
    r = record_branching(repo)
    dag = run_dag(repo, r["run"])

    assert dag.run.iri == iri(r["run"])
    assert dag.run.status is Status.FAILED
    assert dag.run.name == "nightly"
    assert [e.name for e in dag.executions] == ["prepare", "train", "profile", "evaluate"]
    prepare, train, profile, evaluate = dag.executions
    assert [e.kind for e in dag.executions] == ["transform", "train", "analyse", "evaluate"]
    assert [e.status for e in dag.executions] == [Status.SUCCEEDED] * 3 + [Status.FAILED]
    assert evaluate.error_type == "RuntimeError"
    assert evaluate.error_message == "metrics server down"
    assert prepare.error_type is None

    assert prepare.predecessors == ()
    assert prepare.successors == (train.iri, profile.iri)
    assert train.predecessors == profile.predecessors == (prepare.iri,)
    assert evaluate.predecessors == (train.iri, profile.iri)
    assert evaluate.successors == ()

    assert [(a.name, a.kind, a.digest, a.uri) for a in prepare.inputs] == [
        ("raw", "Dataset", "sha256:aa", "file:///raw.csv")
    ]
    assert [(a.name, a.kind) for a in prepare.outputs] == [("clean", "Dataset")]
    assert [a.iri for a in train.inputs] == [iri(r["clean"])]
    assert [(a.name, a.kind) for a in train.outputs] == [("loss", "Metrics"), ("svc", "Model")]
    assert [a.name for a in evaluate.inputs] == ["svc"]
    assert evaluate.outputs == ()

    assert prepare.executable is not None
    assert (prepare.executable.name, prepare.executable.version, prepare.executable.uri) == (
        "prepare.py",
        "1.0",
        "https://git.example/p.py",
    )
    assert train.executable is None
    for execution in dag.executions:
        assert execution.ended is not None and execution.started <= execution.ended
    assert [a.name for a in dag.artifacts] == ["raw", "clean", "loss", "svc"]
    assert dag.execution("train") is train
    assert dag.execution(train.iri) is train
    with pytest.raises(NotFound, match="no execution 'deploy'"):
        dag.execution("deploy")


def test_topological_order_follows_the_edges_not_the_start_times(repo: Repository) -> None:
    with repo.experiment("order").run() as run:
        first = run.step("first", kind="transform", after=[])
        second = run.step("second", kind="train", after=[first])
        parallel_late = run.step("z-parallel", kind="transform", after=[])
        parallel_early = run.step("a-parallel", kind="transform", after=[])
        with second:  # starts before the step it follows
            pass
        tick()
        with parallel_late:
            pass
        tick()
        with first:
            pass
        tick()
        with parallel_early:
            pass
    dag = run_dag(repo, run)
    # ready steps are taken by start time: second is started first but waits for first
    assert [e.name for e in dag.executions] == ["z-parallel", "first", "second", "a-parallel"]
    assert dag.execution("second").predecessors == (iri(first),)


def test_a_running_run_shows_the_steps_that_ended(repo: Repository) -> None:
    with repo.experiment("live").run() as run:
        with run.step("done"):
            pass
        dag = run_dag(repo, run.iri.value)
        assert dag.run.status is Status.RUNNING
        assert [e.name for e in dag.executions] == ["done"]


def test_reused_outputs_are_shown_apart(repo: Repository) -> None:
    exp = repo.experiment("reuse")
    code = Executable("featurize.py", version="1.0")
    data = Dataset("raw", digest="sha256:ab12")
    for _ in range(2):
        with exp.run() as run:
            with run.step("featurize", executable=code) as step:
                step.use(data)
                earlier = step.find_reusable()
                if earlier is None:
                    step.produce(Dataset("features", digest="sha256:cd34"))
                else:
                    step.reuse(earlier)
            with run.step("train", kind="train") as train:
                train.use(Dataset("features", digest="sha256:cd34"))
        tick()
    dag = run_dag(repo, run)
    featurize = dag.execution("featurize")
    assert featurize.outputs == ()
    assert [a.name for a in featurize.reused] == ["features"]
    assert featurize.reused_from is not None and featurize.reused_from != featurize.iri
    dot = dag.to_dot()
    assert '[style=dotted, label="reused"]' in dot
    assert "[style=dashed]" not in dot  # the reused features carry the order to train
    assert "s1 -. reused .-> a2" in dag.to_mermaid()


def test_dag_as_dict_is_json(repo: Repository) -> None:
    r = record_branching(repo)
    data = json.loads(json.dumps(run_dag(repo, r["run"]).to_dict()))
    assert data["run"]["trigger"] == {
        "cause": "Schedule",
        "by": "cron",
        "reason": None,
        "concerns": None,
    }
    assert [e["status"] for e in data["executions"]][-1] == "Failed"
    assert data["executions"][0]["inputs"][0]["digest"] == "sha256:aa"


def test_bad_runs_are_refused(repo: Repository) -> None:
    r = record_branching(repo)
    exp = "https://kgrepo.example/experiment/dag"
    with pytest.raises(NotFound, match=re.escape("no run <https://kgrepo.example/run/nope>")):
        run_dag(repo, "https://kgrepo.example/run/nope")
    with pytest.raises(InvalidInput, match="is an Experiment, not a run"):
        run_dag(repo, exp)
    with pytest.raises(InvalidInput, match="is an Execution, not a run"):
        run_dag(repo, r["train"])
    with pytest.raises(InvalidInput, match="not an absolute IRI"):
        run_dag(repo, "not an iri")


# -- drawings --------------------------------------------------------------------------------------

DOT_NODE = re.compile(r'^  ([sa]\d+) \[shape=(box|ellipse), label="((?:[^"\\]|\\.)*)"(.*)\];$')
DOT_EDGE = re.compile(
    r"^  ([sa]\d+) -> ([sa]\d+)( \[style=dashed\]| \[style=dotted, "
    r'label="reused"\])?;$'
)
MERMAID_NODE = re.compile(r'^  ([sa]\d+)(\["([^"]*)"\]|\(\["([^"]*)"\]\))$')
MERMAID_EDGE = re.compile(r"^  ([sa]\d+) (-->|-\.->|-\. reused \.->) ([sa]\d+)$")


def record_nasty(repo: Repository) -> RunDag:
    """One step per nasty name (as step name, step kind and artifact name), in a chain that
    carries no data (dashed edges), plus a step "side" after the third."""
    exp = repo.experiment('exp "nasty" ]-->')
    with exp.run(name='run "x"\n]') as run:
        for n, name in enumerate(NASTY):
            with run.step(name, kind=name) as step:
                step.use(Dataset(name, digest=f"sha256:{n}"))
                step.produce(Dataset(name + " out"))
            if n == 2:
                with run.step("side", after=[step]):
                    pass
    return run_dag(repo, run)


def decode_dot(text: str) -> list[str]:
    """A DOT label back to its lines, as Graphviz reads it (escString, then entities)."""
    lines, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\":
            nxt = text[i + 1]
            if nxt == "n":
                lines.append(current)
                current = ""
            else:
                assert nxt in '\\"', f"unexpected escape \\{nxt} in {text!r}"
                current += nxt
            i += 2
        else:
            current += text[i]
            i += 1
    lines.append(current)
    return [html.unescape(line) for line in lines]


def decode_mermaid(text: str) -> list[str]:
    assert "#" not in re.sub(r"#\d+;", "", text), text  # every # starts an entity code
    assert ":" not in text and "`" not in text and "<" not in text.replace("<br/>", "")
    return [re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), x) for x in text.split("<br/>")]


def expected_labels(dag: RunDag) -> dict[str, list[str]]:
    """Node id → the lines its label must show, as the drawings number nodes."""
    labels = {}
    for i, e in enumerate(dag.executions, 1):
        labels[f"s{i}"] = [*split(e.name), *split(f"{e.kind} · {e.status.value}")]
    for i, a in enumerate(dag.artifacts, 1):
        labels[f"a{i}"] = [*split(a.name), a.kind]
    return labels


def split(text: str) -> list[str]:
    return [re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", x) for x in re.split(r"\r\n|\r|\n", text)]


def test_dot_is_well_formed_and_shows_every_name_exactly(repo: Repository) -> None:
    dag = record_nasty(repo)
    dot = dag.to_dot()
    lines = dot.splitlines()
    assert lines[0] == "digraph run {" and lines[-1] == "}"
    title = re.fullmatch(
        r'  graph \[rankdir=LR, labelloc=t, label="((?:[^"\\]|\\.)*)"\];', lines[1]
    )
    assert title and decode_dot(title.group(1)) == ['run run "x"', "]"]
    labels, shapes, edges = {}, {}, []
    for line in lines[4:-1]:
        node, edge = DOT_NODE.match(line), DOT_EDGE.match(line)
        assert node or edge, f"unexpected DOT line {line!r}"
        if node:
            assert node.group(1) not in labels
            labels[node.group(1)] = decode_dot(node.group(3))
            shapes[node.group(1)] = node.group(2)
        elif edge:
            edges.append((edge.group(1), edge.group(2), edge.group(3) or ""))
    assert labels == expected_labels(dag)
    assert {n for n, s in shapes.items() if s == "box"} == {n for n in labels if n[0] == "s"}
    assert all(a in labels and b in labels for a, b, _ in edges)
    # each nasty step uses one artifact and produces one: data edges in and out
    assert len([e for e in edges if not e[2]]) == 2 * len(NASTY)
    # the order of consecutive steps carries no data: dashed, as is "side" after step 3
    dashed = [(a, b) for a, b, style in edges if style == " [style=dashed]"]
    assert ("s3", "s4") in dashed and len(dashed) == len(NASTY)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (the dot command) is missing")
def test_graphviz_parses_the_dot_and_renders_every_name(repo: Repository) -> None:
    dag = record_nasty(repo)
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=dag.to_dot(), capture_output=True, text=True, check=True
    ).stdout
    rendered = {}
    for node_id, body in re.findall(
        r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>'
        r"(.*?)</g>",
        svg,
        re.S,
    ):
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", body)
        rendered[node_id] = [html.unescape(t) for t in texts]
    assert rendered == expected_labels(dag)


def test_mermaid_is_well_formed_and_shows_every_name_exactly(repo: Repository) -> None:
    dag = record_nasty(repo)
    lines = dag.to_mermaid().splitlines()
    assert lines[0] == "flowchart LR"
    labels, edges = {}, []
    for line in lines[1:]:
        node, edge = MERMAID_NODE.match(line), MERMAID_EDGE.match(line)
        assert node or edge, f"unexpected Mermaid line {line!r}"
        if node:
            assert node.group(1) not in labels
            box = node.group(3) is not None
            assert box == node.group(1).startswith("s")
            labels[node.group(1)] = decode_mermaid(node.group(3) if box else node.group(4))
        elif edge:
            edges.append((edge.group(1), edge.group(2), edge.group(3)))
    assert labels == expected_labels(dag)
    assert all(a in labels and b in labels for a, _, b in edges)
    assert ("s3", "-.->", "s4") in edges


def test_failed_steps_are_marked_in_both_drawings(repo: Repository) -> None:
    dag = run_dag(repo, record_branching(repo)["run"])
    assert '  s4 [shape=box, label="evaluate\\nevaluate · Failed", color=red, fontcolor=red];' in (
        dag.to_dot().splitlines()
    )
    mermaid = dag.to_mermaid().splitlines()
    assert mermaid[-2:] == ["  classDef failed stroke:#c00,color:#c00", "  class s4 failed"]
    # profile → evaluate carries no data: dashed; train → evaluate carries the model: not
    assert "  s3 -> s4 [style=dashed];" in dag.to_dot()
    assert "  s2 -> s4 [style=dashed];" not in dag.to_dot()
    assert "  s3 -.-> s4" in mermaid


# -- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    return tmp_path / "repo"


def cli(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--repo", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_dag_in_every_format(disk: Path) -> None:
    with Repository.open(disk) as repo:
        run = iri(record_branching(repo)["run"])
        dag = run_dag(repo, run)
    table = cli(disk, "dag", run)
    assert f"run {run}  Failed" in table
    assert re.search(r"4\s+evaluate\s+evaluate\s+Failed\s+train, profile\s+svc", table)
    assert cli(disk, "dag", run, "--format", "dot") == dag.to_dot()
    assert cli(disk, "dag", run, "--format", "mermaid") == dag.to_mermaid()
    assert json.loads(cli(disk, "dag", run, "--format", "json")) == json.loads(
        json.dumps(dag.to_dict())
    )


def test_cli_dag_errors_are_clean(disk: Path) -> None:
    with Repository.open(disk) as repo:
        record_branching(repo)
    result = CliRunner().invoke(
        main, ["--repo", str(disk), "dag", "https://kgrepo.example/experiment/dag"]
    )
    assert result.exit_code == 1
    assert "is an Experiment, not a run" in result.output
    assert "Traceback" not in result.output


def test_the_demo_dag_is_the_documented_pipeline() -> None:
    repo = kgrepo.Repository.in_memory()
    result = demo.record(repo)
    dag = run_dag(repo, result.bad_run)
    assert [(e.name, [a.name for a in e.inputs]) for e in dag.executions] == [
        ("prepare", ["alphanumeric"]),
        ("train", ["alphanumeric-train"]),
        ("evaluate", ["alphanumeric-test", "digits-svc"]),
    ]
    assert "[style=dashed]" not in dag.to_dot()  # every order is carried by data
