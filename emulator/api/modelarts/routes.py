"""The ModelArts route table and sub-app.

Documented operations take their method and path from the contract (``operations.json``),
so a route cannot drift from the documented URI; each route is named by its operation id.
"""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.authentication import authenticate
from emulator.api.modelarts import datasets, samples, tasks
from emulator.api.routing import Handler
from emulator.api.scripted import apply_scenarios
from emulator.contract import Contract

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


@web.middleware
async def admit(request: web.Request, handler) -> web.StreamResponse:
    """Authentication, then scenarios (unknown ``/v2`` paths too): one middleware where
    there were two, as each layer costs every request."""
    await authenticate(request, keys.shared(request, keys.CONFIG).auth)
    return await apply_scenarios(request, handler)


def create_modelarts_app(contract: Contract) -> web.Application:
    app = web.Application(middlewares=[admit])
    for operation_id, handler in DOCUMENTED.items():
        operation = contract.operations[operation_id]
        path = operation.path.removeprefix(PREFIX)
        app.router.add_route(operation.method, path, handler, name=operation_id)
    return app
