"""The ModelArts operations: their handlers, and their routes under ``/v2``.

Documented operations take their method and path from the contract (``operations.json``),
so a route cannot drift from the documented URI; each route is named by its operation id.
"""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.authentication import check_request
from emulator.api.modelarts import datasets, samples, tasks
from emulator.api.routing import Handler
from emulator.api.scripted import apply_scenarios
from emulator.contract import Contract, Operation

PREFIX = "/v2"

DOCUMENTED: dict[str, Handler] = {
    "CreateTask": tasks.start_task,
    "AutoAnnotationProgress": tasks.get_task,
    "ListTasks": tasks.list_tasks,
    "StopAutoAnnotation": tasks.stop_task,
    "CreateDataset": datasets.create_dataset,
    "ListDatasets": datasets.list_datasets,
    "DescDataset": datasets.get_dataset,
    "UpdateDataset": datasets.update_dataset,
    "DeleteDataset": datasets.delete_dataset,
    "CreateLabels": datasets.create_labels,
    "ListLabels": datasets.list_labels,
    "GetDatasetStats": datasets.dataset_statistics,
    "UploadSamplesJson": samples.add_samples,
    "ListSamples": samples.list_samples,
    "DescribeSample": samples.describe_sample,
    "UpdateSamples": samples.update_samples,
    "DeleteSamples": samples.delete_samples,
    "ListAutoAnnotationSamples": samples.list_auto_annotation_samples,
    "DescribeAutoAnnotationSample": samples.describe_auto_annotation_sample,
}


def add_modelarts_routes(app: web.Application, contract: Contract, auth: str) -> None:
    """Mount the documented operations on ``app`` itself, each behind authentication and
    scenarios, and send every other ``/v2`` path through the same two checks to its 404
    (or 405 naming the allowed methods).

    Routes of the root app, not of a ``/v2`` sub-app: a sub-app costs every request a
    second walk of the path and a wrapper per layer, and the start is the path contract
    tests call most.
    """
    documented: list[web.AbstractResource] = []
    for operation_id, handler in DOCUMENTED.items():
        operation = contract.operations[operation_id]
        admitted = _admitted(handler, auth, operation)
        added = app.router.add_route(operation.method, operation.path, admitted, name=operation_id)
        documented.append(added.resource)
    undocumented = _admitted(_undocumented(documented), auth, None)
    app.router.add_route("*", PREFIX + "{rest:(/.*)?}", undocumented)


def _admitted(handler: Handler, auth: str, operation: Operation | None) -> Handler:
    """``handler`` behind authentication (in the server's ``--auth`` mode), then scenarios;
    the request's notes name its documented ``operation`` for the layers below."""

    async def admitted(request: web.Request) -> web.StreamResponse:
        keys.notes(request).operation = operation
        if auth != "off":
            await check_request(request, strict=auth == "strict")
        return await apply_scenarios(request, handler)

    return admitted


def _undocumented(documented: list[web.AbstractResource]) -> Handler:
    """The answer to a ``/v2`` request no documented route takes: 405 with the methods
    its path allows, else 404 (as the router would give, after the checks above)."""

    async def undocumented(request: web.Request) -> web.StreamResponse:
        allowed: set[str] = set()
        for resource in documented:
            allowed |= (await resource.resolve(request))[1]
        if allowed:
            raise web.HTTPMethodNotAllowed(request.method, allowed)
        raise web.HTTPNotFound()

    return undocumented
