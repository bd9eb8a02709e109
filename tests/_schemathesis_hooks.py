"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): SPARQL bodies are plain UTF-8 text."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/sparql-query", "application/sparql-update")
def sparql_text(ctx: Any, value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8")}
