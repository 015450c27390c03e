"""Handlers of the intelligent-task operations: start, get, list, stop."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys, render
from emulator.api.payloads import documented_response, request_body, request_query
from emulator.domain.tasks import Tasks


def _tasks(request: web.Request) -> Tasks:
    return keys.shared(request, keys.EMULATOR).tasks


async def start_task(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/tasks"""
    body = await request_body(request, objects=("config",))
    project_id, dataset_id = request.match_info["project_id"], request.match_info["dataset_id"]
    task = _tasks(request).start(
        project_id, dataset_id, body, timeline=keys.notes(request).timeline
    )
    return documented_response(request, {"task_id": task.task_id})


async def get_task(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}"""
    info = request.match_info
    task = _tasks(request).get(info["project_id"], info["dataset_id"], info["task_id"], poll=True)
    return documented_response(
        request, render.task(task, keys.shared(request, keys.CONTRACT).catalog)
    )


async def list_tasks(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/tasks"""
    query = request_query(request)
    limit = query["limit"]  # ``offset`` counts pages of ``limit`` tasks
    shown, total = _tasks(request).page(
        request.match_info["project_id"],
        request.match_info["dataset_id"],
        task_type=query.get("type"),
        task_name=query.get("task_name"),
        start=query["offset"] * limit,
        count=limit,
    )
    catalog = keys.shared(request, keys.CONTRACT).catalog
    return documented_response(
        request,
        {
            "tasks": [render.task(task, catalog, listing=True) for task in shown],
            "total_count": total,
            "exist_running_deploy_task": False,
        },
    )


async def stop_task(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop"""
    info = request.match_info
    _tasks(request).stop(info["project_id"], info["dataset_id"], info["task_id"])
    return web.Response(status=204)
