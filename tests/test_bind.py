"""Binding values as inline data (kgrepo._bind): where the VALUES block goes, and that a value can
never change the query's structure."""

from __future__ import annotations

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

import kgrepo
from kgrepo import queries
from kgrepo._bind import bind
from kgrepo._bind import groups as all_groups

A = NamedNode("urn:a")
BLOCK = " VALUES (?x) { (<urn:a>) }"


def where_groups(text: str) -> list[int]:
    """Where a query's (and its subqueries') WHERE groups open."""
    return [offset for offset, mentioned in all_groups(text) if mentioned is None]


def groups(text: str) -> list[str]:
    """What follows each insertion point, to read the tests at a glance."""
    return [text[p : p + 12] for p in where_groups(text)]


def test_every_where_group_of_a_query_and_its_subqueries() -> None:
    text = "SELECT * WHERE { { SELECT ?x WHERE { ?x ?p ?o } } ?x ?q ?v }"
    assert groups(text) == [" { SELECT ?x", " ?x ?p ?o } "]


def test_a_comment_before_a_subquery_is_not_a_group() -> None:
    text = "SELECT * WHERE { {\n  # the runs\n  SELECT ?x WHERE { ?x ?p ?o } } UNION { ?x ?q ?v } }"
    bound = bind(text, {"x": A})
    assert bound.count("VALUES") == 3  # the WHERE groups and the union's second branch
    assert len(list(Store().query(bound))) == 0  # it parses


def test_where_keyword_is_optional() -> None:
    assert groups("SELECT ?x { ?x ?p ?o }") == [" ?x ?p ?o }"]
    assert groups("ASK { ?x ?p ?o }") == [" ?x ?p ?o }"]
    assert groups("select ?x where { ?x ?p ?o }") == [" ?x ?p ?o }"]


def test_braces_and_keywords_inside_strings_iris_and_comments_are_not_syntax() -> None:
    text = (
        "# WHERE { a comment\n"
        "SELECT ?x WHERE { ?x ?p '}' , \"WHERE {\" , '''{ SELECT ''' , \"\"\"\n}\"\"\" , "
        "<urn:where> , kg:where . FILTER(?x != ?where) }"
    )
    assert len(where_groups(text)) == 1


def test_exists_in_a_select_expression_is_not_the_where_group() -> None:
    text = "SELECT (EXISTS { ?x ?p ?o } AS ?b) WHERE { ?x ?p ?o }"
    assert groups(text) == [" ?x ?p ?o }"]


def test_construct_template_is_skipped() -> None:
    text = "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }"
    assert bind(text, {"x": A}) == "CONSTRUCT { ?x ?p ?o } WHERE {" + BLOCK + " ?x ?p ?o }"


def test_short_construct_where_cannot_be_bound() -> None:
    with pytest.raises(kgrepo.InvalidInput, match="CONSTRUCT WHERE"):
        bind("CONSTRUCT WHERE { ?x ?p ?o }", {"x": A})


def test_no_bindings_leaves_the_text_alone() -> None:
    text = "DESCRIBE <urn:a>"
    assert bind(text, {}) is text


def test_a_query_without_a_where_group_refuses_bindings() -> None:
    with pytest.raises(kgrepo.InvalidInput, match="no WHERE group"):
        bind("DESCRIBE <urn:a>", {"x": A})


@pytest.mark.parametrize("name", ["", "1x", "x y", "x}", "x) } DELETE {", "?x"])
def test_bad_variable_names_are_refused(name: str) -> None:
    with pytest.raises(kgrepo.InvalidInput, match="not a SPARQL variable name"):
        bind("SELECT * { ?x ?p ?o }", {name: A})


@pytest.mark.parametrize("value", [BlankNode(), "urn:a", 3, None])
def test_only_iris_and_literals_are_bound(value: object) -> None:
    with pytest.raises(kgrepo.InvalidInput, match="bound value"):
        bind("SELECT * { ?x ?p ?o }", {"x": value})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "value",
    [
        '"} } ; DROP ALL ; SELECT * { ',
        "'''\"\"\"\n\\ \\u0022 >",
        ") } INSERT DATA { <urn:x> <urn:y> <urn:z> }",
        "x\u2028\u0000y",
    ],
)
def test_a_literal_is_data_whatever_it_contains(value: str) -> None:
    store = Store()
    store.add(Quad(A, A, Literal(value)))
    text = bind("SELECT ?s WHERE { ?s ?p ?v }", {"v": Literal(value)})
    assert [row["s"] for row in store.query(text)] == [A]
    assert len(store) == 1


def test_subquery_sees_the_bound_value() -> None:
    store = Store()
    store.extend([Quad(A, A, NamedNode("urn:b")), Quad(NamedNode("urn:c"), A, A)])
    text = "SELECT ?o WHERE { { SELECT ?o WHERE { ?x ?p ?o } } }"
    assert [row["o"] for row in store.query(bind(text, {"x": A}))] == [NamedNode("urn:b")]


def test_syntax_errors_keep_the_callers_position(repo: kgrepo.Repository) -> None:
    text = "SELECT ?x WHERE { ?x ?p ?o FILTER(?x = ) }"
    with pytest.raises(kgrepo.QuerySyntaxError) as unbound:
        repo.query(text)
    with pytest.raises(kgrepo.QuerySyntaxError) as bound:
        repo.query(text, x="urn:a")
    assert unbound.value.line == 1 and unbound.value.column is not None
    assert (bound.value.line, bound.value.column) == (unbound.value.line, unbound.value.column)


def test_a_collection_binds_each_member_in_turn(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("bind")
    for name in ("a", "b", "c"):
        with exp.run() as run, run.step(name) as step:
            step.use(kgrepo.Dataset(name, digest=f"sha256:{ord(name):02x}"))
    rows = repo.select(queries.text("artifact-info"), artifact=[])
    assert rows == []
    found = repo.select(
        "SELECT ?name WHERE { ?d rdfs:label ?name }",
        d=[r["d"] for r in repo.select("SELECT ?d WHERE { ?d a mls:Dataset }")][:2],
    )
    assert len(found) == 2


def test_values_of_several_variables_combine() -> None:
    text = bind("SELECT * { }", {"x": [A, NamedNode("urn:b")], "y": [Literal(1), Literal(2)]})
    assert len(list(Store().query(text))) == 4


def test_a_string_is_not_a_collection_of_terms() -> None:
    with pytest.raises(kgrepo.InvalidInput, match="bound value") as info:
        bind("SELECT * { ?x ?p ?o }", {"x": "urn:a"})  # type: ignore[dict-item]
    assert info.value.value == "urn:a"
