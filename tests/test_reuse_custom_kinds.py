"""Reuse and references of recorded artifacts whose kind requires attributes."""

from __future__ import annotations

import kgrepo
from kgrepo import reuse


def test_reusable_outputs_keep_their_attributes(repo: kgrepo.Repository) -> None:
    validation = repo.register_kind("Validation", {"verdict": (str, True), "score": int})
    check = kgrepo.Executable("check.py", version="1")
    data = kgrepo.Dataset("d", digest="sha256:ab")
    exp = repo.experiment("e")
    with exp.run() as run, run.step("check", executable=check) as step:
        step.use(data)
        made = step.produce(validation("v1", verdict="pass", score=3))
    found = reuse.find_equivalent(repo, check, [data])
    assert found is not None
    (output,) = found.outputs
    assert output.iri == made.iri
    assert output.artifact.attributes == {"score": 3, "verdict": "pass"}
    ref = reuse.load_artifact(repo, made.iri.value)
    with exp.run() as run, run.step("review") as step:
        assert step.use(ref).iri == made.iri
