"""FR1: listing the artifacts of a kind, filtered and sorted, page by page (kgrepo.listing and the
``artifacts`` command), over every backend."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgrepo import (
    DATASET,
    Dataset,
    InvalidInput,
    Model,
    NotFound,
    Repository,
    demo,
)
from kgrepo.artifacts import ArtifactRef
from kgrepo.cli import main
from kgrepo.listing import ArtifactPage, ArtifactSummary, list_artifacts
from kgrepo.recording import Run


def train(
    run: Run,
    name: str,
    *,
    accuracy: float | None = None,
    algorithm: str = "SVC",
    framework: str = "scikit-learn",
    annotations: dict[str, object] | None = None,
) -> ArtifactRef:
    """One step producing model ``name`` (digest derived from the name), with its accuracy."""
    with run.step(f"train {name}", kind="train") as step:
        model = step.produce(
            Model(
                name,
                digest=digest(name),
                algorithm=algorithm,
                framework=framework,
                annotations=annotations,
            )
        )
        if accuracy is not None:
            step.log_metric("accuracy", accuracy, of=model)
    return model


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def names(page: ArtifactPage) -> list[str]:
    return [item.name for item in page.items]


def walk(repo: Repository, limit: int, **request: object) -> list[ArtifactSummary]:
    """Every item of a listing, page by page through the cursors."""
    items: list[ArtifactSummary] = []
    cursor = None
    for _ in range(1000):
        page = list_artifacts(repo, limit=limit, cursor=cursor, **request)  # type: ignore[arg-type]
        assert len(page.items) <= limit
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            return items
    raise AssertionError("the cursors never ended")


@pytest.fixture
def models(repo: Repository) -> Repository:
    """Five models: three with an accuracy, one of them by another framework, two without."""
    with repo.experiment("digits").run() as run:
        train(run, "svc", accuracy=0.97, annotations={"team": "vision", "stage": 2})
        train(run, "tree", accuracy=0.84, algorithm="DecisionTree")
        train(run, "knn", accuracy=0.91, algorithm="KNN", framework="other")
        train(run, "ridge", algorithm="Ridge", annotations={"team": "vision"})
        train(run, "forest", algorithm="RandomForest")
        with run.step("prepare", kind="transform") as step:
            step.produce(Dataset("digits", digest=digest("d1"), storage_type="blob"))
    return repo


# -- what a listing holds --------------------------------------------------------------------------
def test_lists_models_by_name_with_their_description(models: Repository) -> None:
    page = list_artifacts(models, "Model")
    assert names(page) == ["forest", "knn", "ridge", "svc", "tree"]
    assert page.total == 5 and page.next_cursor is None
    svc = page.items[3]
    assert svc.kind == "Model" and svc.digest == digest("svc") and svc.sort_value == "svc"
    assert svc.iri == models.base + "artifact/Model/" + digest("svc").replace(":", "%3A")
    assert svc.attributes == {"algorithm": "SVC", "framework": "scikit-learn"}
    assert isinstance(svc.created, dt.datetime) and svc.created.tzinfo is not None
    assert svc.to_dict()["created"] == svc.created.isoformat()


def test_where_filters_attributes_and_common_fields(models: Repository) -> None:
    assert names(list_artifacts(models, "Model", where={"framework": "other"})) == ["knn"]
    assert names(
        list_artifacts(models, "Model", where={"framework": "scikit-learn", "algorithm": "SVC"})
    ) == ["svc"]
    assert names(list_artifacts(models, "Model", where={"digest": digest("tree")})) == ["tree"]
    assert names(list_artifacts(models, "Model", where={"name": "ridge"})) == ["ridge"]
    assert list_artifacts(models, "Model", where={"framework": "none"}).items == ()
    assert list_artifacts(models, "Model", where={"framework": "none"}).total == 0


def test_where_created_compares_instants(models: Repository) -> None:
    svc = list_artifacts(models, "Model", where={"name": "svc"}).items[0]
    assert svc.created is not None
    # Models made in the same millisecond share the time.
    same = [i.name for i in list_artifacts(models, "Model").items if i.created == svc.created]
    assert "svc" in same
    elsewhere = svc.created.astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert names(list_artifacts(models, "Model", where={"created": elsewhere})) == same
    text = elsewhere.isoformat()
    assert names(list_artifacts(models, "Model", where={"created": text})) == same


def test_values_with_sparql_syntax_are_only_values(repo: Repository) -> None:
    tricky = 'x" } ; ?s ?p ?o . FILTER(true) # <>\n"""'
    with repo.experiment("e").run() as run:
        train(run, tricky, algorithm=tricky)
        train(run, "plain")
    page = list_artifacts(repo, "Model", where={"algorithm": tricky})
    assert names(page) == [tricky]
    assert list_artifacts(repo, "Model", where={"algorithm": tricky + " "}).items == ()


def test_annotations_filter_by_key_and_value(models: Repository) -> None:
    assert names(list_artifacts(models, "Model", annotations={"team": "vision"})) == [
        "ridge",
        "svc",
    ]
    # Text matches the lexical form, a typed value matches by value.
    assert names(list_artifacts(models, "Model", annotations={"stage": "2"})) == ["svc"]
    assert names(list_artifacts(models, "Model", annotations={"stage": 2.0})) == ["svc"]
    assert list_artifacts(models, "Model", annotations={"stage": 3}).items == ()
    both = list_artifacts(models, "Model", annotations={"team": "vision", "stage": 2})
    assert names(both) == ["svc"]


@pytest.mark.parametrize(
    ("op", "threshold", "expected"),
    [
        (">=", 0.91, ["knn", "svc"]),
        (">", 0.91, ["svc"]),
        ("<", 0.91, ["tree"]),
        ("<=", 0.91, ["knn", "tree"]),
        ("=", 0.84, ["tree"]),
        ("==", 0.84, ["tree"]),
        ("!=", 0.84, ["knn", "svc"]),
    ],
)
def test_metric_conditions(
    models: Repository, op: str, threshold: float, expected: list[str]
) -> None:
    page = list_artifacts(models, "Model", metrics={"accuracy": (op, threshold)})
    assert names(page) == expected
    assert page.total == len(expected)


def test_metric_conditions_combine_with_filters(models: Repository) -> None:
    page = list_artifacts(
        models,
        "Model",
        where={"framework": "scikit-learn"},
        metrics={"accuracy": (">", 0.8)},
        sort="metric:accuracy",
    )
    assert names(page) == ["tree", "svc"]


def test_scoped_metrics_are_not_the_artifacts_measure(repo: Repository) -> None:
    with repo.experiment("e").run() as run, run.step("train", kind="train") as step:
        model = step.produce(Model("m", digest=digest("m")))
        step.log_metric("recall", 0.2, of=model)
        step.log_metric("recall", 0.99, of=model, scope="pedestrian")
    page = list_artifacts(repo, "Model", sort="metric:recall")
    assert [i.sort_value for i in page.items] == [0.2]
    assert list_artifacts(repo, "Model", metrics={"recall": (">", 0.5)}).items == ()


# -- kinds -----------------------------------------------------------------------------------------
def test_custom_kind_is_listed_filtered_and_sorted_by_its_attributes(repo: Repository) -> None:
    validation = repo.register_kind("Validation", {"verdict": (str, True), "checks": int})
    with repo.experiment("e").run() as run, run.step("validate", kind="evaluate") as step:
        step.produce(validation("v1", verdict="pass", checks=12, digest=digest("v1")))
        step.produce(validation("v2", verdict="fail", checks=3, digest=digest("v2")))
        step.produce(validation("v3", verdict="pass", digest=digest("v3")))
    page = list_artifacts(repo, "Validation", where={"verdict": "pass"})
    assert names(page) == ["v1", "v3"]
    assert [i.kind for i in page.items] == ["Validation", "Validation"]
    assert page.items[0].attributes == {"verdict": "pass", "checks": 12}
    by_checks = list_artifacts(repo, "Validation", sort="checks", descending=True)
    assert [(i.name, i.sort_value) for i in by_checks.items] == [
        ("v1", 12),
        ("v2", 3),
        ("v3", None),
    ]
    # Text is parsed by the attribute's type, as the command line gives it.
    assert names(list_artifacts(repo, "Validation", where={"checks": "3"})) == ["v2"]


def test_kinds_include_their_sub_kinds(repo: Repository) -> None:
    images = repo.register_kind("ImageSet", {"resolution": int}, parent=DATASET)
    with repo.experiment("e").run() as run, run.step("prepare", kind="transform") as step:
        step.produce(Dataset("tabular", digest=digest("t")))
        step.produce(images("faces", resolution=64, digest=digest("f"), storage_type="blob"))
        step.produce(Model("m", digest=digest("m")))
    datasets = list_artifacts(repo, "Dataset")
    assert [(i.name, i.kind) for i in datasets.items] == [
        ("faces", "ImageSet"),
        ("tabular", "Dataset"),
    ]
    faces = datasets.items[0]
    assert faces.attributes == {"storage_type": "blob", "resolution": 64}
    assert names(list_artifacts(repo, "ImageSet")) == ["faces"]
    assert names(list_artifacts(repo, "Dataset", where={"storage_type": "blob"})) == ["faces"]
    everything = list_artifacts(repo, "Artifact", limit=1000)
    assert {"faces", "tabular", "m"} <= set(names(everything))


# -- sorting ---------------------------------------------------------------------------------------
def test_sort_by_metric_puts_missing_last_in_both_directions(models: Repository) -> None:
    missing = sorted(["forest", "ridge"], key=digest)  # no key: by IRI
    down = list_artifacts(models, "Model", sort="metric:accuracy", descending=True)
    assert [(i.name, i.sort_value) for i in down.items] == [
        ("svc", 0.97),
        ("knn", 0.91),
        ("tree", 0.84),
        *((name, None) for name in missing),
    ]
    up = list_artifacts(models, "Model", sort="metric:accuracy")
    assert names(up) == ["tree", "knn", "svc", *missing]


def test_sort_by_created_and_attribute(models: Repository) -> None:
    page = list_artifacts(models, "Model", sort="created", descending=True)
    keys = [(i.created, i.iri) for i in page.items]
    assert all(k[0] is not None for k in keys)
    # Newest first; equal times (the clock ticks in milliseconds) by IRI.
    assert [i.created for i in page.items] == sorted((k[0] for k in keys), reverse=True)
    by_algorithm = list_artifacts(models, "Model", sort="algorithm")
    assert names(by_algorithm) == ["tree", "knn", "forest", "ridge", "svc"]


def test_artifact_with_several_values_sorts_by_its_best_and_is_listed_once(
    repo: Repository,
) -> None:
    with repo.experiment("e").run() as run:
        model = train(run, "twice", accuracy=0.5)
        train(run, "middle", accuracy=0.7)
        with run.step("re-evaluate", kind="evaluate") as step:
            step.use(model)
            step.log_metric("accuracy", 0.9, of=model)
    down = list_artifacts(repo, "Model", sort="metric:accuracy", descending=True)
    assert [(i.name, i.sort_value) for i in down.items] == [("twice", 0.9), ("middle", 0.7)]
    up = list_artifacts(repo, "Model", sort="metric:accuracy")
    assert [(i.name, i.sort_value) for i in up.items] == [("twice", 0.5), ("middle", 0.7)]
    assert names(list_artifacts(repo, "Model", metrics={"accuracy": (">", 0.8)})) == ["twice"]


# -- pages -----------------------------------------------------------------------------------------
@pytest.fixture
def ties(repo: Repository) -> Repository:
    """23 models whose accuracies tie in groups (0.5 ×9, 0.7 ×7), and 7 without one."""
    with repo.experiment("e").run() as run:
        for i in range(23):
            accuracy = None if i % 3 == 2 else (0.5 if i % 3 == 0 else 0.7)
            train(run, f"m{(i * 7) % 23:02d}", accuracy=accuracy)
    return repo


def expected_order(repo: Repository, descending: bool) -> list[str]:
    """The listing's order, computed here: by accuracy (missing last), ties by IRI."""
    everything = list_artifacts(repo, "Model", limit=1000, sort="metric:accuracy")
    with_key = [i for i in everything.items if i.sort_value is not None]
    missing = [i for i in everything.items if i.sort_value is None]
    with_key.sort(key=lambda i: i.iri)
    with_key.sort(key=lambda i: i.sort_value, reverse=descending)
    return [i.iri for i in with_key] + sorted(i.iri for i in missing)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 4, 9, 30])
def test_cursor_pages_visit_every_artifact_once_when_keys_tie(
    ties: Repository, descending: bool, limit: int
) -> None:
    items = walk(ties, limit, kind="Model", sort="metric:accuracy", descending=descending)
    iris = [i.iri for i in items]
    assert len(iris) == len(set(iris)) == 23
    assert iris == expected_order(ties, descending)


@pytest.mark.parametrize("sort", ["name", "created", "framework", "algorithm"])
def test_cursor_pages_for_every_sort(ties: Repository, sort: str) -> None:
    everything = list_artifacts(ties, "Model", sort=sort, limit=1000)
    assert len(everything.items) == 23
    for limit in (2, 5):
        paged = walk(ties, limit, kind="Model", sort=sort)
        assert [i.iri for i in paged] == [i.iri for i in everything.items]


def test_offset_pages_match_cursor_pages(ties: Repository) -> None:
    request: dict[str, object] = {"kind": "Model", "sort": "metric:accuracy", "descending": True}
    by_cursor = walk(ties, 4, **request)
    by_offset = []
    for offset in range(0, 24, 4):
        page = list_artifacts(ties, limit=4, offset=offset, **request)  # type: ignore[arg-type]
        assert page.total == 23
        by_offset += page.items
    assert [i.iri for i in by_offset] == [i.iri for i in by_cursor]
    past = list_artifacts(ties, "Model", offset=100)
    assert past.items == () and past.next_cursor is None and past.total == 23


def test_total_comes_with_the_first_page_only(ties: Repository) -> None:
    first = list_artifacts(ties, "Model", limit=5)
    assert first.total == 23 and first.next_cursor is not None
    second = list_artifacts(ties, "Model", limit=5, cursor=first.next_cursor)
    assert second.total is None
    assert not set(names(first)) & set(names(second))


def test_an_empty_listing(repo: Repository) -> None:
    page = list_artifacts(repo, "Model")
    assert page == ArtifactPage((), None, 0)


# -- bad input -------------------------------------------------------------------------------------
def test_unknown_kind_names_the_known_ones(models: Repository) -> None:
    with pytest.raises(NotFound, match=r"no artifact kind 'Modle'; known kinds: Artifact, Dataset"):
        list_artifacts(models, "Modle")
    with pytest.raises(InvalidInput, match=r"field 'kind' = 3: expected a kind name"):
        list_artifacts(models, 3)  # type: ignore[arg-type]


def test_unknown_field_lists_the_valid_ones(models: Repository) -> None:
    with pytest.raises(
        InvalidInput,
        match=r"field 'where' = 'colour': Model has no such field; it has: algorithm, created, "
        r"description, digest, framework, framework_version, input_schema, name, output_schema",
    ):
        list_artifacts(models, "Model", where={"colour": "red"})
    with pytest.raises(InvalidInput, match=r"field 'sort' = 'colour': Model has no such field"):
        list_artifacts(models, "Model", sort="colour")
    with pytest.raises(InvalidInput, match=r"field 'where' = '': keys must be non-empty"):
        list_artifacts(models, "Model", where={"": "x"})
    with pytest.raises(InvalidInput, match=r"field 'where' = \['framework'\]: expected a mapping"):
        list_artifacts(models, "Model", where=["framework"])  # type: ignore[arg-type]


def test_values_of_the_wrong_type(repo: Repository) -> None:
    repo.register_kind("Validation", {"checks": int, "passed": bool, "score": float})
    with pytest.raises(InvalidInput, match=r"field 'where.checks' = 'many': expected an integer"):
        list_artifacts(repo, "Validation", where={"checks": "many"})
    with pytest.raises(InvalidInput, match=r"field 'where.passed' = 'yes': expected true or false"):
        list_artifacts(repo, "Validation", where={"passed": "yes"})
    with pytest.raises(InvalidInput, match=r"field 'where.score' = nan: must be finite"):
        list_artifacts(repo, "Validation", where={"score": math.nan})
    with pytest.raises(InvalidInput, match=r"field 'where.name' = 3: expected a string"):
        list_artifacts(repo, "Validation", where={"name": 3})
    with pytest.raises(InvalidInput, match=r"field 'where.uri' = 'not a uri': not an absolute"):
        list_artifacts(repo, "Validation", where={"uri": "not a uri"})
    with pytest.raises(InvalidInput, match=r"field 'where.created' = .*: expected a timezone"):
        list_artifacts(repo, "Validation", where={"created": dt.datetime(2024, 1, 1)})
    with pytest.raises(InvalidInput, match=r"field 'annotations.k' = \[1\]: expected text"):
        list_artifacts(repo, "Validation", annotations={"k": [1]})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (("~", 0.9), r"field 'metrics.accuracy' = '~': unknown operator; use one of = != < <="),
        (("=>", 0.9), r"field 'metrics.accuracy' = '=>': unknown operator"),
        ((">=", "high"), r"field 'metrics.accuracy' = 'high': expected a number"),
        ((">=", math.inf), r"field 'metrics.accuracy' = inf: must be finite"),
        ((">=", True), r"field 'metrics.accuracy' = True: expected a number"),
        (0.9, r"field 'metrics.accuracy' = 0.9: expected \(operator, number\)"),
        ((">=",), r"expected \(operator, number\)"),
    ],
)
def test_bad_metric_conditions(models: Repository, condition: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list_artifacts(models, "Model", metrics={"accuracy": condition})  # type: ignore[dict-item]


def test_unknown_measures_name_the_recorded_ones(models: Repository) -> None:
    with pytest.raises(
        InvalidInput,
        match=r"field 'metrics' = 'acuracy': no metric of this measure is recorded; "
        r"measures: accuracy",
    ):
        list_artifacts(models, "Model", metrics={"acuracy": (">", 0.5)})
    with pytest.raises(InvalidInput, match=r"field 'sort' = 'f1': no metric of this measure"):
        list_artifacts(models, "Model", sort="metric:f1")


@pytest.mark.parametrize("limit", [0, -1, 1001, 10**9, True, 2.5, "10"])
def test_limit_out_of_range(models: Repository, limit: object) -> None:
    with pytest.raises(
        InvalidInput, match=r"field 'limit' = .*: expected an integer from 1 to 1000"
    ):
        list_artifacts(models, "Model", limit=limit)  # type: ignore[arg-type]


def test_bad_offsets(models: Repository) -> None:
    with pytest.raises(InvalidInput, match=r"field 'offset' = -1: expected an integer >= 0"):
        list_artifacts(models, "Model", offset=-1)
    cursor = list_artifacts(models, "Model", limit=1).next_cursor
    with pytest.raises(
        InvalidInput, match=r"field 'offset' = 1: give either a cursor or an offset"
    ):
        list_artifacts(models, "Model", cursor=cursor, offset=1)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        ("", "expected the next_cursor text"),
        ("not base64 at all!", "does not decode"),
        (_b64(b"\xff\xfe"), "does not decode"),
        (_b64(b"{not json"), "does not decode"),
        (_b64(b"[1, 2]"), "is not a kgrepo listing cursor"),
        (_b64(json.dumps({"v": 99}).encode()), "is not a kgrepo listing cursor"),
    ],
)
def test_malformed_cursors(models: Repository, cursor: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=rf"field 'cursor' = .*{reason}"):
        list_artifacts(models, "Model", cursor=cursor)


def test_cursor_of_another_listing_or_tampered(models: Repository) -> None:
    cursor = list_artifacts(models, "Model", limit=1).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidInput, match=r"field 'cursor' = .*was made for another listing"):
        list_artifacts(models, "Model", limit=1, cursor=cursor, descending=True)
    with pytest.raises(InvalidInput, match=r"was made for another listing"):
        list_artifacts(models, "Dataset", limit=1, cursor=cursor)
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["k"] = ["literal", "x", "not an iri", None]
    with pytest.raises(InvalidInput, match=r"field 'cursor' = .*is not a kgrepo listing cursor"):
        list_artifacts(models, "Model", limit=1, cursor=_b64(json.dumps(payload).encode()))
    payload["k"], payload["i"] = None, 7
    with pytest.raises(InvalidInput, match=r"is not a kgrepo listing cursor"):
        list_artifacts(models, "Model", limit=1, cursor=_b64(json.dumps(payload).encode()))


# -- the demo and the command line -----------------------------------------------------------------
def test_demo_models_by_accuracy(repo: Repository) -> None:
    result = demo.record(repo)
    page = list_artifacts(repo, "Model", sort="metric:accuracy", descending=True)
    assert [(i.iri, i.sort_value) for i in page.items] == [
        (result.good_model, 0.974),
        (result.bad_model, 0.861),
    ]
    datasets = list_artifacts(repo, "Dataset", where={"storage_type": "blob"})
    assert names(datasets) == ["alphanumeric", "digits"]


def run_cli(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--repo", str(path), *args])
    return result.exit_code, result.output


def test_cli_pages_through_models(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    assert run_cli(path, "demo")[0] == 0
    code, out = run_cli(
        path, "artifacts", "Model", "--sort", "metric:accuracy", "--desc", "--limit", "1"
    )
    assert code == 0, out
    assert "digits-svc" in out and "0.974" in out and "2 matching" in out
    cursor = out.rsplit("--cursor ", 1)[1].strip()
    code, out = run_cli(
        path,
        "artifacts",
        "Model",
        "--sort",
        "metric:accuracy",
        "--desc",
        "--limit",
        "1",
        "--cursor",
        cursor,
        "-o",
        "json",
    )
    assert code == 0, out
    page = json.loads(out)
    assert [i["sort_value"] for i in page["items"]] == [0.861]
    assert page["next_cursor"] is None and page["total"] is None


def test_cli_filters_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    run_cli(path, "demo")
    code, out = run_cli(
        path,
        "artifacts",
        "Model",
        "--metric",
        "accuracy >= 0.9",
        "--where",
        "framework=scikit-learn",
        "-o",
        "csv",
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("name,kind,sort value,created,digest,uri,")
    assert lines[1].startswith("digits-svc,Model,digits-svc,")
    assert lines[-1] == "1 matching"  # on stderr, which CliRunner mixes in
    code, out = run_cli(path, "artifacts", "Dataset", "--annotation", "none=x", "-o", "json")
    assert code == 0 and json.loads(out)["items"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Modle"], "no artifact kind 'Modle'"),
        (["Model", "--where", "colour=red"], "Model has no such field"),
        (["Model", "--where", "colour"], "'colour' is not FIELD=VALUE"),
        (["Model", "--annotation", "=x"], "'=x' is not KEY=VALUE"),
        (["Model", "--metric", "accuracy~0.9"], "is not MEASURE<op>NUMBER"),
        (["Model", "--metric", "accuracy>=high"], "'high' in 'accuracy>=high' is not a number"),
        (["Model", "--limit", "0"], "expected an integer from 1 to 1000"),
        (["Model", "--cursor", "abc", "--offset", "1"], "either --cursor or --offset"),
        (["Model", "--cursor", "%%%"], "does not decode"),
    ],
)
def test_cli_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "repo"
    run_cli(path, "demo")
    code, out = run_cli(path, "artifacts", *args)
    assert code != 0
    assert message in out


def test_cursor_pages_over_bool_and_datetime_keys(repo: Repository) -> None:
    checked = repo.register_kind("Check", {"passed": bool, "at": dt.datetime})
    utc = dt.UTC
    plus5 = dt.timezone(dt.timedelta(hours=5))
    moments = [
        dt.datetime(2024, 1, 1, 12, tzinfo=utc),
        dt.datetime(2024, 1, 1, 17, tzinfo=plus5),  # the same instant as the first
        dt.datetime(2024, 1, 2, tzinfo=utc),
        None,
    ]
    with repo.experiment("e").run() as run, run.step("check", kind="evaluate") as step:
        for i in range(8):
            at = moments[i % 4]
            fields = {"at": at} if at is not None else {}
            step.produce(checked(f"c{i}", passed=i % 3 == 0, digest=digest(f"c{i}"), **fields))
    for sort in ("passed", "at"):
        for descending in (False, True):
            everything = list_artifacts(
                repo, "Check", sort=sort, descending=descending, limit=1000
            ).items
            paged = walk(repo, 3, kind="Check", sort=sort, descending=descending)
            assert [i.iri for i in paged] == [i.iri for i in everything]
            assert len({i.iri for i in paged}) == 8
    by_passed = list_artifacts(repo, "Check", sort="passed", descending=True, limit=1000).items
    assert [i.sort_value for i in by_passed] == [True] * 3 + [False] * 5
    same_instant = list_artifacts(repo, "Check", where={"at": moments[0]})
    assert names(same_instant) == ["c0", "c1", "c4", "c5"]


def test_an_artifact_annotated_alike_by_two_runs_is_listed_once(repo: Repository) -> None:
    exp = repo.experiment("e")
    for _ in range(2):
        with exp.run() as run:
            train(run, "shared", accuracy=0.8, annotations={"team": "vision"})
    train_page = list_artifacts(repo, "Model", annotations={"team": "vision"})
    assert names(train_page) == ["shared"] and train_page.total == 1
    assert [i.name for i in walk(repo, 1, kind="Model", annotations={"team": "vision"})] == [
        "shared"
    ]
    by_metric = list_artifacts(repo, "Model", sort="metric:accuracy", offset=0, limit=1)
    assert names(by_metric) == ["shared"] and by_metric.next_cursor is None
