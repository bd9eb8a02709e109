"""kgrepo's REST API and SPARQL endpoint (installed as ``kgrepo.api``); built in a later issue."""
