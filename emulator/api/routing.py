"""What a sub-app's route table is made of, and how it is mounted and published.

Each sub-app (``/v2``, ``/v3``, ``/_emulator``) has one table of routes with paths inside
the sub-app; the OpenAPI document lists the same routes under their full paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from aiohttp import web

from emulator.contract.openapi import ExtraRoute

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteTable = list[tuple[ExtraRoute, Handler]]
OBJECT = {"type": "object"}


def route(method: str, path: str, summary: str, **fields) -> ExtraRoute:
    return ExtraRoute(method, path, summary, **fields)


def add_routes(app: web.Application, table: RouteTable) -> None:
    for described, handler in table:
        app.router.add_route(described.method, described.path, handler)


def published(prefix: str, table: RouteTable) -> Iterable[ExtraRoute]:
    """The table's routes as clients see them, under the sub-app's prefix."""
    return (replace(described, path=prefix + described.path) for described, _ in table)
