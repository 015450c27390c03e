"""The one place that defines a route.

Documented operations take their method and path from the contract (``operations.json``),
so a route cannot drift from the documented URI; the emulator's own endpoints are listed
beside them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from emulator.api import admin, control, datasets, iam, samples, tasks
from emulator.contract import Contract

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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

IAM: list[tuple[str, str, Handler]] = [
    ("POST", "/v3/auth/tokens", iam.issue_token),
    ("GET", "/v3/auth/tokens", iam.validate_token),
    ("GET", "/v3/projects", iam.list_projects),
]

CONTROL: list[tuple[str, str, Handler]] = [
    ("GET", "/_emulator/health", control.health),
    ("POST", "/_emulator/reset", admin.reset),
    ("GET", "/_emulator/clock", control.get_clock),
    ("POST", "/_emulator/clock/advance", control.advance_clock),
    ("GET", "/_emulator/scenarios", admin.list_scenarios),
    ("POST", "/_emulator/scenarios", admin.load_scenario),
    ("GET", "/_emulator/scenarios/{name}", admin.get_scenario),
    ("PUT", "/_emulator/scenarios/{name}", admin.replace_scenario),
    ("DELETE", "/_emulator/scenarios/{name}", admin.delete_scenario),
    ("POST", "/_emulator/scenarios/{name}/activate", admin.activate_scenario),
    ("POST", "/_emulator/scenarios/{name}/deactivate", admin.deactivate_scenario),
    ("GET", "/_emulator/journal", admin.read_journal),
    ("DELETE", "/_emulator/journal", admin.clear_journal),
    ("POST", "/_emulator/verify", admin.verify),
    ("POST", "/_emulator/iam/tokens", iam.mint_token),
    ("POST", "/_emulator/iam/tokens/expire", iam.expire_token),
    ("POST", "/_emulator/iam/credentials", iam.add_credential),
]


def add_routes(app: web.Application, contract: Contract) -> None:
    for operation_id, handler in DOCUMENTED.items():
        operation = contract.operations[operation_id]
        app.router.add_route(operation.method, operation.path, handler, name=operation_id)
    for method, path, handler in IAM + CONTROL:
        app.router.add_route(method, path, handler)
