"""The contract as OpenAPI, and schemathesis run against the live emulator over it."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, settings

from emulator.api import keys
from emulator.api.control.routes import ROUTES as CONTROL_ROUTES
from emulator.api.iam.routes import ROUTES as IAM_ROUTES
from emulator.api.modelarts.routes import DOCUMENTED
from emulator.app import ROOT_ROUTES, create_app, openapi_document
from emulator.config import Config


def _modelarts_operations() -> dict:
    """The ModelArts operations of the OpenAPI document (the control API is left out:
    fuzzing it would reset and rescript the emulator under the other cases' feet)."""
    document = openapi_document(create_app(Config())[keys.CONTRACT])
    paths = {path: item for path, item in document["paths"].items() if path.startswith("/v2/")}
    return {**document, "paths": paths}


# Schemathesis's label of each operation ("METHOD path"), in the document's order, as its
# own `SCHEMA.parametrize()` names them.
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in _modelarts_operations()["paths"].items()
    for method in item
]


async def test_openapi_document_covers_every_route(client):
    document = await (await client.get("/openapi.json")).json()

    assert document["openapi"].startswith("3.1")
    served = set(_served_routes(client.app))
    listed = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert served == listed
    tables = (IAM_ROUTES, CONTROL_ROUTES, ROOT_ROUTES)
    assert len(DOCUMENTED) + sum(len(table) for table in tables) == len(listed)


def _served_routes(app):
    """Method and full path of every route of an app and its sub-apps (but the one that
    takes any method: it answers undocumented /v2 requests with 404 or 405)."""
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:
            yield from _served_routes(info["app"])
            continue
        for route in resource:
            if route.method not in ("HEAD", "*"):
                yield route.method, resource.canonical


async def test_openapi_carries_the_documented_examples(client):
    document = await (await client.get("/openapi.json")).json()

    start = document["paths"]["/v2/{project_id}/datasets/{dataset_id}/tasks"]["post"]
    examples = start["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) == 3
    assert "#/components/schemas/CreateTask.request" in str(start["requestBody"])


async def test_every_reference_resolves(client):
    document = await (await client.get("/openapi.json")).json()
    names = set(document["components"]["schemas"])

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    targets = {
        ref.rsplit("/", 1)[1] for ref in refs(document) if ref.startswith("#/components/schemas/")
    }
    assert targets <= names


@pytest.fixture(scope="module")
def http():
    """One keep-alive session for every case (schemathesis makes the same kind per case
    when given none): the cases are the same requests, without a connection each."""
    from schemathesis.transport.requests import SameHostRedirectsSession

    with SameHostRedirectsSession() as session:
        # The emulator is on loopback: no proxy or netrc from the environment to look up
        # (requests reads them anew for every request otherwise).
        session.trust_env = False
        yield session


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def _conforms(case, modelarts_emulator, http):
    http.cookies.clear()  # nothing carries over from one case to the next
    from schemathesis import checks

    case.call_and_validate(
        base_url=modelarts_emulator.api_url,
        session=http,
        headers={"X-Auth-Token": modelarts_emulator.token},
        checks=[
            checks.not_a_server_error,
            checks.response_schema_conformance,
            checks.status_code_conformance,
            checks.content_type_conformance,
        ],
    )


@functools.cache
def _schemathesis_run():
    """What schemathesis's pytest collector makes once for ``_conforms``: the schema it is
    parametrized with, its operations by label, and the feedback they share. Made once per
    worker, by the first operation's test that runs there."""
    import schemathesis
    from schemathesis.checks import load_all_checks
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest.plugin import SchemaHandleMark
    from schemathesis.python._constants.orchestrator import make_constants_value_source

    load_all_checks()
    test = schemathesis.openapi.from_dict(_modelarts_operations()).parametrize()(_conforms)
    schema = SchemaHandleMark.get(test)
    operations = {result.ok().label: result.ok() for result in schema.get_all_operations()}
    feedback = FeedbackSources(constants_value_source=make_constants_value_source(schema))
    return test, schema, operations, feedback


def _operation_test(label: str):
    """Schemathesis's hypothesis test of one operation, built as its pytest collector
    builds it (same cases, settings and seed), when the test runs and only in the worker
    that runs it: built at collection, every xdist worker made every operation's coverage
    cases (about 3 s a worker), most of them for operations another worker ran."""
    from schemathesis.pytest._test_builder import build_operation_test

    test, schema, operations, feedback = _schemathesis_run()
    operation = operations[label]
    # The collector builds every operation in this order, and the first one of a path takes
    # the path's probes with undeclared methods (each sent once): the same one takes them
    # here, whichever operations this worker built before.
    first_of_path = next(op for op in operations.values() if op.path == operation.path)
    unexpected = schema.config.phases_for(operation=operation).coverage.unexpected_methods
    probes = {(operation.path, method) for method in unexpected}
    if first_of_path is operation:
        schema.coverage_unexpected_methods_seen.difference_update(probes)
    else:
        schema.coverage_unexpected_methods_seen.update(probes)
    return build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=test,
        given_kwargs={},
        feedback=feedback,
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATIONS)
def test_no_5xx_and_responses_conform_to_the_contract(operation, modelarts_emulator, http):
    """Every case of schemathesis's phases for one operation; what its pytest plugin
    checks after an operation's run is checked here too."""
    from schemathesis.core.failures import FailureGroup, as_reported_failure
    from schemathesis.generation.hypothesis.builder import (
        InvalidHeadersExampleMark,
        MissingPathParameters,
        UnserializablePayloadMark,
    )
    from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output
    from schemathesis.pytest.warnings import emit_unserializable_payload_warning

    test = _operation_test(operation)
    try:
        with ignore_hypothesis_output():
            test(modelarts_emulator=modelarts_emulator, http=http)
    except FailureGroup as failures:  # reported with each case's curl, as the plugin does
        raise as_reported_failure(failures) from None
    unserializable = UnserializablePayloadMark.get(test)
    if unserializable is not None:
        emit_unserializable_payload_warning(unserializable)
    invalid_headers = InvalidHeadersExampleMark.get(test)
    if invalid_headers is not None:
        from schemathesis.core.errors import InvalidHeadersExample

        raise InvalidHeadersExample.from_headers(invalid_headers)
    missing = MissingPathParameters.get(test)
    if missing:
        raise missing


def _schema_nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_nodes(item)


async def test_the_published_document_is_the_closed_schema_strict_mode_enforces(client):
    document = await (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    validator = client.app[keys.CONTRACT].operations["CreateTask"].validator("request")

    assert document["info"]["x-emulator-mode"] == "strict"
    assert schemas["CreateTask.request"]["additionalProperties"] is False
    assert schemas["CreateTask.request.InfConfig"]["additionalProperties"] is False
    assert schemas["CreateTask.request.InfConfig"]["properties"]["instance_count"]["maximum"] == (
        2**31 - 1
    )
    assert validator.validate({"task_type": "auto-label", "extra": 1}, strict=True)


async def test_published_patterns_use_only_ascii_classes(client):
    document = await (await client.get("/openapi.json")).json()
    patterns = [node["pattern"] for node in _schema_nodes(document) if "pattern" in node]

    assert patterns
    assert not [p for p in patterns if any(c in p for c in (r"\d", r"\w", r"\s", r"\b"))]


async def test_lenient_document_opens_objects_and_marks_string_conversion(client):
    document = await (await client.get("/openapi.json", params={"mode": "lenient"})).json()
    task = document["components"]["schemas"]["CreateTask.request"]
    config = document["components"]["schemas"]["CreateTask.request.SmartTaskConfig"]

    assert document["info"]["x-emulator-mode"] == "lenient"
    assert "additionalProperties" not in task
    assert config["properties"]["stop_time"]["x-emulator-converts-strings"] is True
    assert "x-emulator-converts-strings" not in config["properties"]["collect_rule"]


async def test_an_unknown_document_mode_is_refused(client):
    response = await client.get("/openapi.json", params={"mode": "loose"})

    assert response.status == 400
    assert (await response.json())["error_code"] == "ModelArts.4200"
