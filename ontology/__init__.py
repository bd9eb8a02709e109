"""kgrepo's ontology as package data (installed as ``kgrepo.ontology``): ``kgrepo.ttl``,
``shapes.ttl``, ``imports/`` (ML-Schema and PROV-O) and ``queries/`` (the named SPARQL queries).
"""
