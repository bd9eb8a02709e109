"""Sorted listings read off the index (kgrepo._sortkeys, kgrepo._ranked) give exactly the pages of
the general path (kgrepo.listing's key query), which the in-memory store always takes."""

from __future__ import annotations

import io
import math
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad

import kgrepo
from kgrepo import _ranked, _sortkeys
from kgrepo.listing import list_artifacts
from kgrepo.store import OxigraphStore


def test_keys_order_like_the_numbers() -> None:
    rng = random.Random(7)
    values = [rng.uniform(-1e12, 1e12) for _ in range(2000)]
    values += [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 3]
    raw = [struct.unpack(">d", struct.pack(">Q", rng.getrandbits(64)))[0] for _ in range(500)]
    values += [v for v in raw if math.isfinite(v)]  # any bit pattern: subnormals, huge, negative
    ordered = sorted(values)
    keys = [_sortkeys.key(v) for v in ordered]
    assert keys == sorted(keys)
    down = [_sortkeys.key(v, descending=True) for v in reversed(ordered)]
    assert down == sorted(down)
    assert all(len(k) == 11 and k.isascii() for k in keys)


def test_the_disk_store_scans_a_predicate_in_key_order(tmp_path: Path) -> None:
    """The property the fast path rests on: if an Oxigraph upgrade broke it, this fails."""
    store = OxigraphStore(tmp_path / "store")
    assert store.index_ordered
    assert not OxigraphStore(None).index_ordered
    rng = random.Random(3)
    sort_by = NamedNode("urn:measure#ascending")
    quads = [
        Quad(
            NamedNode(f"urn:m{i}"),
            sort_by,
            Literal(_sortkeys.key(rng.uniform(-9, 9))),
            NamedNode(f"urn:run{i % 13}"),
        )
        for i in range(3000)
    ]
    store.extend(quads[:1500])
    store.flush()
    store.extend(quads[1500:])  # half flushed to files, half in the memtable: still merged
    rows = [
        r["key"].value
        for r in store.query(
            "SELECT ?artifact ?key WHERE { ?artifact ?sortBy ?key }", {"sortBy": sort_by}
        )
    ]
    assert len(rows) == 3000 and rows == sorted(rows)
    store.close()


def _record(repo: kgrepo.Repository, seed: int) -> None:
    """Models with ties, several accuracies, scoped metrics, no metric; datasets with metrics; a
    custom sub-kind of Model."""
    rng = random.Random(seed)
    tuned = repo.register_kind("TunedModel", {"trials": int}, parent=kgrepo.MODEL)
    exp = repo.experiment("leaderboard")
    with exp.run() as run:
        for i in range(60):
            with run.step(f"train {i}", kind="train") as step:
                if i % 5 == 0:
                    model = step.produce(tuned(f"tuned-{i}", digest=f"sha256:{i:04x}", trials=i))
                else:
                    model = step.produce(kgrepo.Model(f"m-{i}", digest=f"sha256:{i:04x}"))
                if i % 7 == 3:
                    continue  # no accuracy at all
                for _ in range(1 + (i % 3 == 0)):
                    step.log_metric("accuracy", rng.choice([0.5, 0.75, rng.random()]), of=model)
                if i % 4 == 0:
                    step.log_metric("accuracy", 2.0, of=model, scope="class 1")  # ignored
                data = step.produce(kgrepo.Dataset(f"d-{i}", digest=f"sha256:d{i:04x}"))
                step.log_metric("accuracy", rng.random(), of=data)
                if i == 30:
                    step.log_metric("loss", 1, of=model)


def _pages(repo: kgrepo.Repository, kind: str, descending: bool, limit: int) -> dict[str, Any]:
    by_offset = []
    for offset in range(0, 80, limit):
        page = list_artifacts(
            repo, kind, sort="metric:accuracy", descending=descending, limit=limit, offset=offset
        )
        by_offset.append([(i.name, i.sort_value) for i in page.items])
        by_offset.append((page.total, page.next_cursor is not None))
    by_cursor = []
    cursor = None
    while True:
        page = list_artifacts(
            repo, kind, sort="metric:accuracy", descending=descending, limit=limit, cursor=cursor
        )
        by_cursor.append([(i.name, i.sort_value, i.kind) for i in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    return {"offset": by_offset, "cursor": by_cursor}


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("kind", ["Model", "TunedModel", "Artifact"])
def test_fast_path_pages_equal_the_general_paths(
    tmp_path: Path, kind: str, descending: bool
) -> None:
    memory = kgrepo.Repository.in_memory()
    disk = kgrepo.Repository.open(tmp_path / "store")
    try:
        _record(memory, seed=11)
        _record(disk, seed=11)
        for limit in (4, 50):
            assert _pages(disk, kind, descending, limit) == _pages(memory, kind, descending, limit)
    finally:
        memory.close()
        disk.close()


def test_the_disk_store_takes_the_fast_path(tmp_path: Path) -> None:
    with kgrepo.Repository.open(tmp_path / "store") as repo:
        _record(repo, seed=5)
        accuracy = NamedNode(repo.base + "measure/accuracy")
        found = _ranked.page(repo, repo.kind("Model"), accuracy, True, 0, None, 5)
        assert found is not None
        rows, more = found
        assert len(rows) == 5 and more
        # the artifacts without the metric are reached: the general path answers
        assert _ranked.page(repo, repo.kind("Model"), accuracy, True, 40, None, 20) is None


def test_sort_keys_are_not_fields_of_an_artifact(repo: kgrepo.Repository) -> None:
    with repo.experiment("keys").run() as run, run.step("train") as step:
        a = step.produce(kgrepo.Model("a", digest="sha256:0a"))
        b = step.produce(kgrepo.Model("b", digest="sha256:0b"))
        step.log_metric("accuracy", 0.5, of=a)
        step.log_metric("accuracy", 0.7, of=b)
    fields = [d.field for d in kgrepo.compare.diff_artifacts(repo, a.iri, b.iri).differences]
    assert "metric accuracy" in fields
    assert not {"ascending", "descending"} & set(fields)
    page = list_artifacts(repo, "Model")
    assert all(set(item.attributes) <= {"framework", "algorithm"} for item in page.items)


def _strip_sort_keys(repo: kgrepo.Repository, *, keep_format_1_marker: bool = False) -> None:
    """Makes the repository look recorded before sort keys existed (or, keeping the first
    format's marker, recorded with keys of that format: they are not used, so none is needed)."""
    marker = "" if keep_format_1_marker else "DELETE WHERE { GRAPH ?g { ?s kg:hasSortKeys ?v } } ;"
    repo.store.update(
        "DELETE { GRAPH ?g { ?a ?p ?k } } WHERE { ?p rdfs:subPropertyOf kg:sortKey . "
        "GRAPH ?g { ?a ?p ?k } } ;"
        f"{marker} DELETE WHERE {{ GRAPH ?g {{ ?s kg:sortKeyFormat ?v }} }}"
    )


def test_a_repository_without_sort_keys_is_indexed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with kgrepo.Repository.open(path) as repo:
        _record(repo, seed=2)
        expected = _pages(repo, "Model", True, 6)
        _strip_sort_keys(repo)
        assert not _sortkeys.indexed(repo)
        assert _pages(repo, "Model", True, 6) == expected  # general path meanwhile
    with kgrepo.Repository.open(path) as repo:
        assert _sortkeys.indexed(repo)
        accuracy = NamedNode(repo.base + "measure/accuracy")
        assert _ranked.page(repo, repo.kind("Model"), accuracy, True, 0, None, 5) is not None
        assert _pages(repo, "Model", True, 6) == expected


def test_imported_data_without_sort_keys_is_indexed(tmp_path: Path) -> None:
    source = kgrepo.Repository.in_memory()
    _record(source, seed=4)
    expected = _pages(source, "Model", False, 9)
    _strip_sort_keys(source)
    buffer = io.BytesIO()
    source.dump(buffer, "nquads")
    with kgrepo.Repository.open(tmp_path / "store") as target:
        target.load(io.BytesIO(buffer.getvalue()), "nquads")
        assert _pages(target, "Model", False, 9) == expected
        accuracy = NamedNode(target.base + "measure/accuracy")
        assert _ranked.page(target, target.kind("Model"), accuracy, False, 0, None, 5) is not None


def test_keys_of_the_first_format_are_indexed_again_when_opened(tmp_path: Path) -> None:
    """A repository marked `kg:hasSortKeys true` without `kg:sortKeyFormat 2` has keys per
    measure only (no kind in the predicate): opening it writes the keys of the current format."""
    path = tmp_path / "store"
    with kgrepo.Repository.open(path) as repo:
        _record(repo, seed=4)
        expected = {kind: _pages(repo, kind, False, 7) for kind in ("Model", "TunedModel")}
        _strip_sort_keys(repo, keep_format_1_marker=True)
        assert not _sortkeys.indexed(repo)
    with kgrepo.Repository.open(path) as repo:
        assert _sortkeys.indexed(repo)
        keys = repo.select(
            "SELECT DISTINCT ?p WHERE { ?a ?p ?k . ?p rdfs:subPropertyOf kg:sortKey }"
        )
        assert {row["p"].rsplit("#", 1)[1] for row in keys} == {
            f"{direction}/{kind}"
            for direction in ("ascending", "descending")
            for kind in ("Model", "TunedModel", "Dataset")
        }
        assert {kind: _pages(repo, kind, False, 7) for kind in expected} == expected
