"""The one place that defines a route.

Documented operations take their method and path from the contract (``operations.json``),
so a route cannot drift from the documented URI; the emulator's own endpoints are listed
beside them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from emulator.api import control, tasks
from emulator.contract import Contract

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DOCUMENTED: dict[str, Handler] = {
    "CreateTask": tasks.start_task,
}

CONTROL: list[tuple[str, str, Handler]] = [
    ("GET", "/_emulator/health", control.health),
]


def add_routes(app: web.Application, contract: Contract) -> None:
    for operation_id, handler in DOCUMENTED.items():
        operation = contract.operations[operation_id]
        app.router.add_route(operation.method, operation.path, handler, name=operation_id)
    for method, path, handler in CONTROL:
        app.router.add_route(method, path, handler)
