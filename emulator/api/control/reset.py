"""Back to a known state between tests: everything, one scenario or one project."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.api.payloads import read_json
from emulator.codes import INVALID_REQUEST
from emulator.errors import ModelArtsError


async def reset(request: web.Request) -> web.Response:
    """POST /_emulator/reset: everything, or ``{"scenario": name}``, or ``{"project_id": id}``.

    Everything means: datasets, tasks and OBS back to the seed, scenarios back to those
    loaded at start (runtime-loaded ones go), their states and counters, the journal,
    issued tokens and runtime AK/SK pairs.
    """
    target = await read_json(request) if request.can_read_body else {}
    if not isinstance(target, dict) or set(target) - {"scenario", "project_id"}:
        raise ModelArtsError(
            INVALID_REQUEST, detail='Send {}, {"scenario": name} or {"project_id": id}.'
        )
    book = keys.shared(request, keys.SCENARIOS)
    emulator = keys.shared(request, keys.EMULATOR)
    if "scenario" in target:
        book.reset(book.get(str(target["scenario"])).name)
    if "project_id" in target:
        emulator.reset_project(str(target["project_id"]))
    if not target:
        emulator.reset()
        book.restore()
        keys.shared(request, keys.JOURNAL).clear()
        keys.shared(request, keys.IDENTITIES).reset()
    return json_response({"reset": target or "everything"})
