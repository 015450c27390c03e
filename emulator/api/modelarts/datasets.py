"""Handlers of the dataset, label and statistics operations."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys, render
from emulator.api.payloads import documented_response, request_body, request_query
from emulator.domain.model import Dataset, SampleFilter
from emulator.domain.service import Emulator

PREVIEWS = 4  # samples shown per dataset with file_preview, as the service's example shows


def _emulator(request: web.Request) -> Emulator:
    return keys.shared(request, keys.EMULATOR)


def _ids(request: web.Request) -> tuple[str, str]:
    return request.match_info["project_id"], request.match_info["dataset_id"]


def _running(request: web.Request, dataset_id: str) -> list[str]:
    return _emulator(request).tasks.running_task_ids(dataset_id)


async def create_dataset(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets"""
    body = await request_body(request)
    dataset = _emulator(request).datasets.create(request.match_info["project_id"], body)
    return documented_response(request, {"dataset_id": dataset.dataset_id}, 201)


async def list_datasets(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets"""
    query = request_query(request)
    datasets = _emulator(request).datasets.list(
        request.match_info["project_id"],
        dataset_type=query.get("dataset_type"),
        search_content=query.get("search_content"),
        sort_by=query.get("sort_by", "create_time"),
        order=query.get("order", "desc"),
    )
    shown = render.page(datasets, query["offset"], query["limit"])
    listed = [_listed(request, d, query.get("file_preview") is True) for d in shown]
    return documented_response(request, {"datasets": listed, "total_number": len(datasets)})


def _listed(request: web.Request, dataset: Dataset, preview: bool) -> dict:
    running = _running(request, dataset.dataset_id)  # tasks whose end came end first
    body = render.dataset(_emulator(request).datasets.statistics_of(dataset), running)
    if preview:
        project_id = request.match_info["project_id"]
        samples = _emulator(request).datasets.find_samples(
            project_id, dataset.dataset_id, SampleFilter()
        )
        body["samples"] = [render.preview(sample) for sample in samples[:PREVIEWS]]
    return body


async def get_dataset(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}"""
    request_query(request)
    project_id, dataset_id = _ids(request)
    datasets = _emulator(request).datasets
    dataset = datasets.looked_at(project_id, dataset_id)
    running = _running(request, dataset_id)  # tasks whose end came end (and label) first
    body = render.dataset(datasets.statistics_of(dataset), running)
    return documented_response(request, body)


async def update_dataset(request: web.Request) -> web.Response:
    """PUT /v2/{project_id}/datasets/{dataset_id}"""
    body = await request_body(request)
    dataset = _emulator(request).datasets.update(*_ids(request), body)
    return documented_response(request, {"dataset_id": dataset.dataset_id})


async def delete_dataset(request: web.Request) -> web.Response:
    """DELETE /v2/{project_id}/datasets/{dataset_id}"""
    _emulator(request).delete_dataset(*_ids(request))
    return web.Response(status=204)


async def create_labels(request: web.Request) -> web.Response:
    """POST /v2/{project_id}/datasets/{dataset_id}/data-annotations/labels"""
    body = await request_body(request)
    labels = body.get("labels") or []
    _emulator(request).datasets.add_labels(*_ids(request), labels)
    return documented_response(
        request, {"success": True, "results": [{"success": True} for _ in labels]}
    )


async def list_labels(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/labels"""
    query = request_query(request)
    dataset = _emulator(request).datasets.get(*_ids(request))
    shown = render.page(dataset.labels, query["offset"], query["limit"])
    return documented_response(
        request,
        {"labels": [render.label(label) for label in shown], "total_number": len(dataset.labels)},
    )


async def dataset_statistics(request: web.Request) -> web.Response:
    """GET /v2/{project_id}/datasets/{dataset_id}/data-annotations/stats"""
    request_query(request)
    statistics = _emulator(request).datasets.statistics(*_ids(request))
    return documented_response(request, render.statistics(statistics))
