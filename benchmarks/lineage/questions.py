"""The benchmark's questions as raw SPARQL, one text per question, shared by the kgrepo (Oxigraph)
and rdflib runs so both engines answer *the same query text* over the same data.

IRIs and literals come from the generator's manifest (trusted) and are written into the text, so
no engine-specific binding mechanism is involved. Each ``post`` turns the rows into the answer a
user wants (e.g. the diff, the trace grouped by artifact) and is timed with the query.

Transitive closures sit alone in a subquery with the constant end bound: Oxigraph evaluates a
closure from its bound end only there (oxigraph/oxigraph#1894); ``UPSTREAM_SEQUENCE`` is the same
question written as one path with the constant at its start (the shape that regressed), kept as a
regression check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

PREFIXES = """PREFIX kg: <https://w3id.org/kgrepo#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    text: str
    post: Callable[[Rows], Any]
    floor_ms: float | None = None  # the p50 floor, where it sets one


def _iri(value: str) -> str:
    if any(c in value for c in '<>"{}|^`\\ '):
        raise ValueError(f"not an IRI: {value!r}")
    return f"<{value}>"


def _lit(value: Any) -> str:
    """A literal exactly as kgrepo writes a setting's value (see kgrepo._terms.scalar)."""
    if isinstance(value, bool):
        return f'"{str(value).lower()}"^^xsd:boolean'
    if isinstance(value, int):
        return f'"{value}"^^xsd:integer'
    if isinstance(value, float):
        return f'"{value!r}"^^xsd:double'
    return json.dumps(str(value))


def _count(rows: Rows) -> Rows:
    return rows


UPSTREAM = (
    PREFIXES
    + """
SELECT DISTINCT ?artifact ?execution ?input WHERE {{
  {{ SELECT DISTINCT ?artifact WHERE {{ {root} (kg:generatedBy/kg:used)* ?artifact }} }}
  ?artifact kg:generatedBy ?execution .
  OPTIONAL {{ ?execution kg:used ?input }}
}}"""
)

# Regression pair: the executions upstream of the model, closure in a subquery vs. in a sequence.
UPSTREAM_EXEC_SUBQUERY = (
    PREFIXES
    + """
SELECT DISTINCT ?execution WHERE {{
  {{ SELECT DISTINCT ?artifact WHERE {{ {root} (kg:generatedBy/kg:used)* ?artifact }} }}
  ?artifact kg:generatedBy ?execution .
}}"""
)
UPSTREAM_SEQUENCE = (
    PREFIXES
    + """
SELECT DISTINCT ?execution WHERE {{ {root} (kg:generatedBy/kg:used)*/kg:generatedBy ?execution }}"""
)

DOWNSTREAM = (
    PREFIXES
    + """
SELECT DISTINCT ?execution ?output WHERE {{
  {{ SELECT DISTINCT ?input WHERE {{ {root} (^kg:used/^kg:generatedBy)* ?input }} }}
  ?execution kg:used ?input .
  ?output kg:generatedBy ?execution .
}}"""
)

FR6 = (
    PREFIXES
    + """
SELECT ?execution ?ended WHERE {{
  ?execution kg:executes {exe} ;
{uses}
             kg:status kg:Succeeded ;
             prov:endedAtTime ?ended .
{settings}
  FILTER NOT EXISTS {{ ?execution kg:used ?other FILTER(?other NOT IN ({inputs})) }}
  FILTER NOT EXISTS {{ ?execution kg:hasSetting/kg:parameter ?p FILTER(?p NOT IN ({params})) }}
}}
ORDER BY DESC(?ended)
LIMIT 1"""
)

# kgrepo keeps each statement about a shared entity (artifact, executable, parameter, measure) once,
# in the entity graph, and what a run did in the run's graph; these queries read the union of all
# graphs. (Oxigraph 0.5 returns a statement once per graph holding it, oxigraph#1919: with the
# descriptions repeated in every run graph, as kgrepo wrote them before the entity graph, joining
# two properties of a shared resource multiplied rows by the number of runs — see DUP_* below.)
FR1 = (
    PREFIXES
    + """
SELECT ?model ?name ?value WHERE {{
  ?metric kg:evaluates ?model ; kg:measure {measure} ; kg:value ?value .
  ?model a kg:Model ; rdfs:label ?name .
  {cursor}
}}
ORDER BY DESC(?value) ?model
LIMIT 50{offset}"""
)

DIFF_RUNS = (
    PREFIXES
    + """
SELECT DISTINCT ?run ?what ?key ?value WHERE {{
  VALUES ?run {{ {a} {b} }}
  {{ ?run kg:hasSetting ?s . ?s kg:parameter/rdfs:label ?key ; kg:value ?value .
    BIND("config" AS ?what) }}
  UNION
  {{ ?run kg:hasExecution ?e . ?e rdfs:label ?step ; kg:hasSetting ?s .
    ?s kg:parameter/rdfs:label ?p ; kg:value ?value .
    BIND(CONCAT(?step, ".", ?p) AS ?key) BIND("parameter" AS ?what) }}
  UNION
  {{ ?run kg:hasExecution ?e . ?e rdfs:label ?key ; kg:executes ?value .
    BIND("executable" AS ?what) }}
  UNION
  {{ ?run kg:hasExecution ?e . ?e rdfs:label ?step ; kg:used ?a . ?a rdfs:label ?n .
    OPTIONAL {{ ?a kg:digest ?d }}
    BIND(CONCAT(?step, " used ", ?n) AS ?key) BIND(COALESCE(?d, STR(?a)) AS ?value)
    BIND("input" AS ?what) }}
  UNION
  {{ ?run kg:hasExecution ?e . ?a kg:generatedBy ?e . ?e rdfs:label ?step .
    FILTER NOT EXISTS {{ ?a a kg:Metrics }} ?a rdfs:label ?n .
    OPTIONAL {{ ?a kg:digest ?d }}
    BIND(CONCAT(?step, " produced ", ?n) AS ?key) BIND(COALESCE(?d, STR(?a)) AS ?value)
    BIND("output" AS ?what) }}
  UNION
  {{ ?run kg:hasExecution ?e . ?m kg:generatedBy ?e ; kg:measure/rdfs:label ?key ;
      kg:value ?value . BIND("metric" AS ?what) }}
  UNION
  {{ ?run kg:status ?value . BIND("status" AS ?what) BIND("" AS ?key) }}
  UNION
  {{ ?run kg:triggeredBy/kg:cause ?value . BIND("trigger" AS ?what) BIND("" AS ?key) }}
}}"""
)

DIFF_ARTIFACTS = (
    PREFIXES
    + """
SELECT DISTINCT ?a ?what ?key ?value WHERE {{
  VALUES ?a {{ {a} {b} }}
  {{ ?a ?p ?value . FILTER(isLiteral(?value)) BIND(STR(?p) AS ?key) BIND("field" AS ?what) }}
  UNION
  {{ ?a kg:generatedBy ?e . ?e kg:hasSetting ?s . ?s kg:parameter/rdfs:label ?key ;
      kg:value ?value . BIND("parameter" AS ?what) }}
  UNION
  {{ ?a kg:generatedBy ?e . ?e kg:used ?i . ?i rdfs:label ?key .
    OPTIONAL {{ ?i kg:digest ?d }} BIND(COALESCE(?d, STR(?i)) AS ?value) BIND("input" AS ?what) }}
  UNION
  {{ ?a kg:generatedBy/kg:executes ?value . BIND("executable" AS ?what) BIND("" AS ?key) }}
  UNION
  {{ ?m kg:evaluates ?a ; kg:measure/rdfs:label ?key ; kg:value ?value .
    BIND("metric" AS ?what) }}
}}"""
)

TRACE = (
    PREFIXES
    + """
SELECT DISTINCT ?run ?role ?artifact ?name ?digest WHERE {{
  {experiment} kg:hasRun ?run .
  ?run kg:hasExecution ?execution .
  {{ ?artifact kg:generatedBy ?execution . BIND("produced" AS ?role) }}
  UNION
  {{ ?execution kg:used ?artifact . BIND("used" AS ?role) }}
  ?artifact rdfs:label ?name .
  OPTIONAL {{ ?artifact kg:digest ?digest }}
}}"""
)

# Evidence for the duplicate rows above: one executable's label, once per run graph holding it,
# and label x version joined over the union (N^2).
DUP_LABEL = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ {exe} <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
)
DUP_JOIN = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ {exe} <http://www.w3.org/2000/01/rdf-schema#label> ?l ;"
    " <https://w3id.org/kgrepo#version> ?v }}"
)


def _diff(rows: Rows) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(what, key) → (values in a, values in b), only where they differ."""
    subjects = sorted({r[0] for r in rows})
    side: dict[tuple[str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for subject, what, key, value in rows:
        side[(what, key)][subjects.index(subject) if subjects else 0].add(value)
    return {k: v for k, v in side.items() if v[0] != v[1]}


def _trace(rows: Rows) -> dict[str, dict[str, Any]]:
    """Artifacts once each, with the runs that produced and used them."""
    out: dict[str, dict[str, Any]] = {}
    for run, role, artifact, name, digest in rows:
        entry = out.setdefault(
            artifact, {"name": name, "digest": digest, "produced": set(), "used": set()}
        )
        entry[role].add(run)
    return out


def build(m: dict[str, Any], cursor_after_99: tuple[str, str] | None = None) -> list[Question]:
    """The questions for one manifest (``generate.py``'s ``manifest.json``)."""
    base = m["base"]
    fr6 = m["fr6"]
    exe = fr6["executable_iri"]
    inputs = [i["iri"] for i in fr6["inputs"]]

    def fr6_text(params: dict[str, Any]) -> str:
        uses = "\n".join(f"             kg:used {_iri(i)} ;" for i in inputs)
        settings = "\n".join(
            f"  ?execution kg:hasSetting ?s{k} . "
            f"?s{k} kg:parameter {_iri(exe + '/parameter/' + n)} ; kg:value {_lit(v)} ."
            for k, (n, v) in enumerate(sorted(params.items()))
        )
        return FR6.format(
            exe=_iri(exe),
            uses=uses,
            settings=settings,
            inputs=", ".join(map(_iri, inputs)),
            params=", ".join(_iri(exe + "/parameter/" + n) for n in params),
        )

    measure = _iri(base + "measure/accuracy")
    cursor = ""
    if cursor_after_99 is not None:
        value, iri = cursor_after_99
        cursor = (
            f"FILTER(?value < {value} || (?value = {value} && STR(?model) > {json.dumps(iri)}))"
        )
    qs = [
        Question(
            "upstream",
            "FR4 upstream lineage of a model (full depth)",
            UPSTREAM.format(root=_iri(m["deep_model"])),
            _count,
            5.0,
        ),
        Question(
            "downstream_heavy",
            "FR5 downstream impact of the most used dataset",
            DOWNSTREAM.format(root=_iri(m["heavy_dataset"])),
            _count,
        ),
        Question(
            "downstream_1k",
            "FR5 downstream impact of a dataset with ~1,000 descendants",
            DOWNSTREAM.format(root=_iri(m["feed_dataset"])),
            _count,
            100.0,
        ),
        Question(
            "fr6_hit",
            "FR6 equivalent execution lookup (exists)",
            fr6_text(fr6["params"]),
            _count,
            5.0,
        ),
        Question(
            "fr6_miss",
            "FR6 equivalent execution lookup (none)",
            fr6_text(fr6["miss_params"]),
            _count,
            5.0,
        ),
        Question(
            "fr1_page1",
            "FR1 models by accuracy, page 1",
            FR1.format(measure=measure, cursor="", offset=""),
            _count,
            200.0,
        ),
        Question(
            "fr1_page100_offset",
            "FR1 models by accuracy, page 100 (offset 4950)",
            FR1.format(measure=measure, cursor="", offset="\nOFFSET 4950"),
            _count,
            200.0,
        ),
    ]
    if cursor:
        qs.append(
            Question(
                "fr1_page100_cursor",
                "FR1 models by accuracy, page 100 (cursor)",
                FR1.format(measure=measure, cursor=cursor, offset=""),
                _count,
                200.0,
            )
        )
    qs += [
        Question(
            "fr2_runs",
            "FR2 diff of two runs",
            DIFF_RUNS.format(a=_iri(m["diff_runs"][0]), b=_iri(m["diff_runs"][1])),
            _diff,
        ),
        Question(
            "fr2_models",
            "FR2 diff of two models",
            DIFF_ARTIFACTS.format(a=_iri(m["diff_models"][0]), b=_iri(m["diff_models"][1])),
            _diff,
        ),
        Question(
            "fr10_trace",
            "FR10 trace of an experiment with 1,000 runs",
            TRACE.format(experiment=_iri(m["trace_experiment"])),
            _trace,
        ),
        Question(
            "regress_sequence",
            "regression: upstream executions, closure in a sequence",
            UPSTREAM_SEQUENCE.format(root=_iri(m["deep_model"])),
            _count,
        ),
        Question(
            "regress_subquery",
            "regression: upstream executions, closure in a subquery",
            UPSTREAM_EXEC_SUBQUERY.format(root=_iri(m["deep_model"])),
            _count,
        ),
    ]
    return qs


def cursor_query(m: dict[str, Any]) -> str:
    """The last row of page 99, from which the page-100 cursor is made (run once, untimed)."""
    return FR1.format(
        measure=_iri(m["base"] + "measure/accuracy"), cursor="", offset="\nOFFSET 4900"
    ).replace("LIMIT 50", "LIMIT 50", 1)


def literal_text(term: Any) -> str:
    """An engine's literal term as SPARQL text (for the cursor)."""
    return str(term)


def rows_from(names: Iterable[str], solutions: Iterable[Any], value: Callable[[Any], Any]) -> Rows:
    names = list(names)
    return [tuple(value(s[n]) for n in names) for s in solutions]
