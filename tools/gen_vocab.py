"""Generate ``kgrepo/_vocab.py``, kgrepo's vocabulary module, from the ontology files.

Usage::

    python tools/gen_vocab.py          # (re)write kgrepo/_vocab.py
    python tools/gen_vocab.py --check  # exit 1 if kgrepo/_vocab.py is not what would be written

Classes ``KG``, ``MLS`` and ``PROV`` get one ``NamedNode`` attribute per term declared (given an
``rdf:type``) in ``ontology/kgrepo.ttl``, ``ontology/imports/MLSchema.ttl`` and
``ontology/imports/prov-o.ttl``, so a typo in a term is an ``AttributeError`` (and a mypy error),
never a silent new IRI. ``RDF``, ``RDFS``, ``XSD``, ``OWL`` and ``SH`` are small fixed lists; ``SH``
holds the SHACL subset kgrepo's validator supports, and generation fails if ``ontology/shapes.ttl``
uses any other SHACL term. The output is deterministic and formatted as ``ruff format`` would.
"""

from __future__ import annotations

import argparse
import keyword
import sys
from collections import defaultdict
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "kgrepo" / "_vocab.py"
LINE_LENGTH = 100  # the project's ruff line length
SHAPES = ROOT / "ontology" / "shapes.ttl"

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
SH_NS = "http://www.w3.org/ns/shacl#"

# (class name, namespace, source file, what it holds): one class per ontology file.
ONTOLOGIES = (
    ("KG", "https://w3id.org/kgrepo#", "ontology/kgrepo.ttl", "kgrepo's own terms"),
    ("MLS", "http://www.w3.org/ns/mls#", "ontology/imports/MLSchema.ttl", "ML-Schema terms"),
    ("PROV", "http://www.w3.org/ns/prov#", "ontology/imports/prov-o.ttl", "PROV-O terms"),
)

# (class name, namespace, terms, docstring): fixed lists of the standard terms kgrepo uses.
FIXED = (
    ("RDF", RDF_NS, ("type",), "RDF terms kgrepo uses."),
    (
        "RDFS",
        RDFS_NS,
        ("Literal", "comment", "domain", "label", "range", "subClassOf", "subPropertyOf"),
        "RDF Schema terms kgrepo uses.",
    ),
    (
        "XSD",
        XSD_NS,
        ("anyURI", "boolean", "dateTime", "decimal", "double", "integer", "string"),
        "XML Schema datatypes kgrepo writes.",
    ),
    (
        "OWL",
        OWL_NS,
        ("Class", "DatatypeProperty", "NamedIndividual", "ObjectProperty"),
        "OWL terms kgrepo uses.",
    ),
    (
        "SH",
        SH_NS,
        (
            "IRI",
            "Literal",
            "NodeShape",
            "datatype",
            "flags",
            "in",
            "maxCount",
            "message",
            "minCount",
            "minLength",
            "name",
            "nodeKind",
            "path",
            "pattern",
            "property",
            "targetClass",
        ),
        "The SHACL subset of ontology/shapes.ttl (the only features kgrepo's validator supports).",
    ),
)

# How the kind of a term is named in its comment, by rdf:type.
KINDS = {
    OWL_NS + "Class": "class",
    RDFS_NS + "Class": "class",
    OWL_NS + "ObjectProperty": "object property",
    OWL_NS + "DatatypeProperty": "datatype property",
    OWL_NS + "AnnotationProperty": "annotation property",
    RDF_NS + "Property": "property",
}

HEADER = '''\
"""Vocabulary of kgrepo's ontology and of those it is aligned with. GENERATED: do not edit.

Written by ``python tools/gen_vocab.py`` from ontology/kgrepo.ttl, ontology/imports/MLSchema.ttl and
ontology/imports/prov-o.ttl; ``python tools/gen_vocab.py --check`` fails when it is out of date.
Python keywords get a trailing underscore (``SH.in_`` is ``sh:in``).
"""

from typing import Final

from pyoxigraph import NamedNode

__all__ = ["KG", "MLS", "OWL", "PROV", "RDF", "RDFS", "SH", "XSD"]
'''


def attribute(local: str) -> str:
    """The Python attribute name of a term's local name."""
    if not local.isidentifier():
        raise SystemExit(f"gen_vocab: term local name {local!r} is not a Python identifier")
    return local + "_" if keyword.iskeyword(local) else local


def declared_terms(path: Path, namespace: str) -> dict[str, str]:
    """Local name -> comment ("class", "individual of kg:Status", ...) of every term declared in
    ``path``: every IRI subject in ``namespace`` that has an ``rdf:type``."""
    types: dict[str, set[str]] = defaultdict(set)
    for quad in parse(path=path, format=RdfFormat.TURTLE):
        subject = quad.subject
        if (
            isinstance(subject, NamedNode)
            and quad.predicate.value == RDF_NS + "type"
            and subject.value.startswith(namespace)
            and len(subject.value) > len(namespace)  # the namespace IRI itself is the ontology
        ):
            types[subject.value[len(namespace) :]].add(quad.object.value)
    return {local: describe(kinds, namespace) for local, kinds in types.items()}


def describe(types: set[str], namespace: str) -> str:
    kinds = sorted({KINDS[t] for t in types if t in KINDS})
    if kinds:
        return ", ".join(kinds)
    classes = sorted(t for t in types if t != OWL_NS + "NamedIndividual")
    names = [c.removeprefix(namespace) for c in classes]
    return "individual of " + ", ".join(names) if names else "individual"


def check_shapes_subset() -> None:
    """Fail if shapes.ttl uses a SHACL term outside the supported subset in ``FIXED``."""
    supported = {SH_NS + t for name, _, terms, _ in FIXED if name == "SH" for t in terms}
    used = {
        term.value
        for quad in parse(path=SHAPES, format=RdfFormat.TURTLE)
        for term in (quad.predicate, quad.object)
        if isinstance(term, NamedNode) and term.value.startswith(SH_NS)
    }
    unsupported = sorted(used - supported)
    if unsupported:
        raise SystemExit(f"gen_vocab: {SHAPES.name} uses unsupported SHACL terms: {unsupported}")


def render_class(name: str, namespace: str, doc: str, terms: dict[str, str | None]) -> str:
    lines = [f"class {name}:", f'    """{doc}"""', "", f'    NS: Final[str] = "{namespace}"', ""]
    for local in sorted(terms):
        comment = terms[local]
        if comment:
            lines.append(f"    # {comment}")
        line = f'    {attribute(local)}: Final = NamedNode("{namespace}{local}")'
        if len(line) > LINE_LENGTH:  # wrapped the way ruff format wraps it
            line = (
                f'    {attribute(local)}: Final = NamedNode(\n        "{namespace}{local}"\n    )'
            )
        lines.append(line)
    return "\n".join(lines) + "\n"


def generate() -> str:
    check_shapes_subset()
    classes = []
    for name, namespace, source, what in ONTOLOGIES:
        terms: dict[str, str | None] = dict(declared_terms(ROOT / source, namespace))
        classes.append(render_class(name, namespace, f"{what}, declared in {source}.", terms))
    for name, namespace, fixed, doc in FIXED:
        classes.append(render_class(name, namespace, doc, dict.fromkeys(fixed)))
    return HEADER + "".join("\n\n" + c for c in classes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file on disk is out of date"
    )
    args = parser.parse_args(argv)
    text = generate()
    relative = OUTPUT.relative_to(ROOT)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{relative} is out of date: run python tools/gen_vocab.py", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
