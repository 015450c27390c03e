"""Handlers of the intelligent-task operations."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.payloads import is_strict, validated_body


async def start_task(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/tasks"""
    operation = request.app[keys.CONTRACT].operations["CreateTask"]
    strict = is_strict(request, request.app[keys.CONFIG].strict)
    body = await validated_body(request, operation, strict)
    task = request.app[keys.EMULATOR].start_task(
        request.match_info["project_id"], request.match_info["dataset_id"], body
    )
    return web.json_response({"task_id": task.task_id})
