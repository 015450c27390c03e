"""The one place that defines a route.

Documented operations take their method and path from the contract (``operations.json``),
so a route cannot drift from the documented URI. The emulator's own endpoints (IAM, the
control API) are listed beside them with what the OpenAPI document says about them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from emulator.api import admin, control, datasets, iam, samples, tasks
from emulator.contract import Contract
from emulator.contract.openapi import ExtraRoute

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OBJECT = {"type": "object"}

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


def _route(method: str, path: str, summary: str, **fields) -> ExtraRoute:
    return ExtraRoute(method, path, summary, **fields)


EXTRA: list[tuple[ExtraRoute, Handler]] = [
    (
        _route(
            "POST",
            "/v3/auth/tokens",
            "IAM: issue a token",
            success=201,
            request=OBJECT,
            response=OBJECT,
            error_schema="KeystoneError",
        ),
        iam.issue_token,
    ),
    (
        _route(
            "GET",
            "/v3/auth/tokens",
            "IAM: validate the token in X-Subject-Token",
            response=OBJECT,
            error_schema="KeystoneError",
        ),
        iam.validate_token,
    ),
    (
        _route(
            "GET",
            "/v3/projects",
            "IAM: projects, by name",
            response=OBJECT,
            error_schema="KeystoneError",
        ),
        iam.list_projects,
    ),
    (_route("GET", "/openapi.json", "This document", response=OBJECT), control.openapi),
    (_route("GET", "/_emulator/health", "Readiness", response=OBJECT), control.health),
    (
        _route(
            "POST",
            "/_emulator/reset",
            "Reset everything, a scenario or a project",
            request=OBJECT,
            response=OBJECT,
        ),
        admin.reset,
    ),
    (_route("GET", "/_emulator/clock", "The clock", response=OBJECT), control.get_clock),
    (
        _route(
            "POST",
            "/_emulator/clock/advance",
            "Move the manual clock",
            request=OBJECT,
            response=OBJECT,
        ),
        control.advance_clock,
    ),
    (_route("GET", "/_emulator/scenarios", "Scenarios", response=OBJECT), admin.list_scenarios),
    (
        _route(
            "POST",
            "/_emulator/scenarios",
            "Load a scenario (YAML or JSON body)",
            success=201,
            request=OBJECT,
            response=OBJECT,
        ),
        admin.load_scenario,
    ),
    (
        _route("GET", "/_emulator/scenarios/{name}", "One scenario", response=OBJECT),
        admin.get_scenario,
    ),
    (
        _route(
            "PUT",
            "/_emulator/scenarios/{name}",
            "Replace a scenario",
            request=OBJECT,
            response=OBJECT,
        ),
        admin.replace_scenario,
    ),
    (
        _route("DELETE", "/_emulator/scenarios/{name}", "Remove a scenario", success=204),
        admin.delete_scenario,
    ),
    (
        _route(
            "POST",
            "/_emulator/scenarios/{name}/activate",
            "Apply to every request",
            response=OBJECT,
        ),
        admin.activate_scenario,
    ),
    (
        _route("POST", "/_emulator/scenarios/{name}/deactivate", "Stop applying", response=OBJECT),
        admin.deactivate_scenario,
    ),
    (_route("GET", "/_emulator/journal", "Recent requests", response=OBJECT), admin.read_journal),
    (_route("DELETE", "/_emulator/journal", "Empty the journal", success=204), admin.clear_journal),
    (
        _route(
            "POST", "/_emulator/verify", "Count matching requests", request=OBJECT, response=OBJECT
        ),
        admin.verify,
    ),
    (
        _route(
            "POST",
            "/_emulator/iam/tokens",
            "Mint a token",
            success=201,
            request=OBJECT,
            response=OBJECT,
        ),
        iam.mint_token,
    ),
    (
        _route(
            "POST",
            "/_emulator/iam/tokens/expire",
            "Expire a token now",
            request=OBJECT,
            response=OBJECT,
        ),
        iam.expire_token,
    ),
    (
        _route(
            "POST",
            "/_emulator/iam/credentials",
            "Add an AK/SK pair",
            success=201,
            request=OBJECT,
            response=OBJECT,
        ),
        iam.add_credential,
    ),
]


def add_routes(app: web.Application, contract: Contract) -> None:
    for operation_id, handler in DOCUMENTED.items():
        operation = contract.operations[operation_id]
        app.router.add_route(operation.method, operation.path, handler, name=operation_id)
    for route, handler in EXTRA:
        app.router.add_route(route.method, route.path, handler)
