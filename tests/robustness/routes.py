"""Every /v1 route from the URL resolver, as (METHOD, "/v1/path/{param}") pairs."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
METHODS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix: str):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def v1_routes() -> list[tuple[str, str]]:
    """Routed (method, path) pairs under /v1, excluding the catch-all."""
    out = []
    for raw, callback in _walk(get_resolver().url_patterns, "/"):
        if not raw.startswith("/v1/") or raw.startswith("/v1/^") or "^" in raw:
            continue
        path = _CONVERTER.sub(r"{\1}", raw)
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        actions = getattr(callback, "actions", None)
        if actions:
            methods = [m for m in actions if m in METHODS]
        elif cls is not None:
            methods = [m for m in METHODS if hasattr(cls, m)]
        else:
            methods = ["get"]
        out.extend((m.upper(), path) for m in methods)
    return sorted(set(out))
