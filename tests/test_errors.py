"""What the emulator answers for bad input: the README's error table, row by row."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from emulator.api import keys
from emulator.api.payloads import MAX_BODY_BYTES
from tests.conftest import REPO, TASKS_URL, load_example


async def _error(response) -> tuple[int, str, str]:
    body = await response.json()
    assert set(body) == {"error_code", "error_msg"}
    return response.status, body["error_code"], body["error_msg"]


async def test_malformed_json_is_4105(client):
    response = await client.post(TASKS_URL, data=b'{"task_type": ')

    status, code, _ = await _error(response)
    assert (status, code) == (400, "ModelArts.4105")


async def test_nan_literal_is_malformed_json(client):
    response = await client.post(TASKS_URL, data=b'{"config": {"n_clusters": NaN}}')

    assert (await _error(response))[1] == "ModelArts.4105"


async def test_body_that_is_not_utf8_is_malformed_json(client):
    response = await client.post(TASKS_URL, data=b'{"model_id": "\xff\xfe"}')

    assert (await _error(response))[1] == "ModelArts.4105"


async def test_empty_body_is_4202(client):
    response = await client.post(TASKS_URL, data=b"")

    assert await _error(response) == (400, "ModelArts.4202", "Empty request.")


async def test_whitespace_body_is_empty(client):
    response = await client.post(TASKS_URL, data=b"  \n ")

    assert (await _error(response))[1] == "ModelArts.4202"


async def test_json_array_instead_of_object_is_a_schema_violation(client):
    response = await client.post(TASKS_URL, json=[1, 2])

    status, code, message = await _error(response)
    assert (status, code) == (400, "ModelArts.4200")
    assert "$: expected object, got array" in message


async def test_schema_violation_names_every_field_with_expected_and_got(client):
    response = await client.post(
        TASKS_URL, json={"task_type": "auto-magic", "config": {"n_clusters": "two"}}
    )

    status, code, message = await _error(response)
    assert (status, code) == (400, "ModelArts.4200")
    assert message.startswith("Invalid request.")
    assert (
        '$.task_type: expected one of ["auto-label", "pre-label", "auto-grouping"], '
        'got string "auto-magic"' in message
    )
    assert '$.config.n_clusters: expected integer, got string "two"' in message


async def test_declared_body_over_12_mb_is_413_before_reading_it(client):
    headers = {"Content-Length": str(MAX_BODY_BYTES + 1), "Content-Type": "application/json"}

    async def trickle():
        yield b"{"  # only the start of the body is ever sent

    response = await client.post(TASKS_URL, data=trickle(), headers=headers)

    assert await _error(response) == (
        413,
        "ModelArts.4104",
        "Invalid request body because the size exceeds the maximum size allowed.",
    )


async def test_streamed_body_over_12_mb_is_413(client):
    chunk = b" " * (1024 * 1024)

    async def chunks():
        yield b'{"model_id": "'
        for _ in range(13):
            yield chunk

    response = await client.post(TASKS_URL, data=chunks())

    assert (await _error(response))[:2] == (413, "ModelArts.4104")


async def test_body_just_under_12_mb_is_read(client):
    padding = " " * (MAX_BODY_BYTES - 100)
    response = await client.post(TASKS_URL, data=f'{{"model_id": "m"}}{padding}'.encode())

    assert response.status == 200


async def test_unknown_path_is_404_4204_naming_it(client):
    response = await client.get("/v2/nothing/here")

    assert await _error(response) == (
        404,
        "ModelArts.4204",
        "API GET /v2/nothing/here does not exist.",
    )


async def test_wrong_method_is_405_with_the_same_body_shape(client):
    response = await client.delete(TASKS_URL)

    status, code, message = await _error(response)
    assert (status, code) == (405, "ModelArts.4204")
    assert response.headers["Allow"] == "GET, POST"
    assert message == f"API DELETE {TASKS_URL} does not exist."


@pytest.mark.parametrize("path", ["/v2", "/v2/", "/v2/nothing/here"])
async def test_undocumented_v2_path_checks_credentials_before_its_404(make_client, path):
    client = await make_client(token=None)

    response = await client.get(path)

    assert response.status == 401


async def test_path_that_only_starts_like_v2_is_not_a_modelarts_path(make_client):
    client = await make_client(token=None)

    response = await client.get("/v2x/nothing")

    assert (await _error(response))[:2] == (404, "ModelArts.4204")


async def test_wrong_method_is_405_after_the_scenarios(make_client):
    client = await make_client()
    rule = {"match": {"method": "DELETE"}, "respond": {"status": 202, "body": {"scripted": 1}}}
    await client.post("/_emulator/scenarios", json={"name": "deleting", "rules": [rule]})

    scripted = await client.delete(TASKS_URL, headers={"X-Emulator-Scenario": "deleting"})
    unscripted = await client.delete(TASKS_URL)

    assert (scripted.status, await scripted.json()) == (202, {"scripted": 1})
    assert (unscripted.status, unscripted.headers["Allow"]) == (405, "GET, POST")


async def test_unexpected_exception_is_500_0010_with_traceback_only_in_the_log(
    client, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("emulator bug")

    monkeypatch.setattr(client.app[keys.EMULATOR].tasks, "start", broken)
    with caplog.at_level(logging.ERROR, logger="emulator"):
        response = await client.post(TASKS_URL, json=load_example("start-auto-label.json"))

    assert await _error(response) == (500, "ModelArts.0010", "Internal error.")
    assert "Traceback" in caplog.text and "emulator bug" in caplog.text


async def test_server_keeps_serving_after_bad_requests(client):
    await asyncio.gather(
        client.post(TASKS_URL, data=b"{"),
        client.post(TASKS_URL, data=b""),
        client.get("/nowhere"),
    )

    response = await client.post(TASKS_URL, json=load_example("start-auto-label.json"))

    assert response.status == 200


async def test_every_request_is_logged_with_status_code_and_time(client, caplog):
    with caplog.at_level(logging.INFO, logger="emulator.access"):
        await client.post(TASKS_URL, data=b"")

    assert re.search(rf"POST {TASKS_URL} 400 ModelArts\.4202 \d+\.\dms", caplog.text)


def test_every_error_code_the_code_raises_is_in_the_catalog():
    import json

    catalog = json.loads((REPO / "schemas" / "error-catalog.json").read_text())
    listed = {row["code"] for row in catalog["errors"]}
    used = set()
    for source in (REPO / "emulator").rglob("*.py"):
        used |= set(re.findall(r"ModelArts\.\d{4}", source.read_text()))
    assert used and used <= listed


def test_error_codes_are_named_only_in_the_codes_module():
    definition = re.compile(r'^[A-Z_]+ = "ModelArts\.\d{4}"', re.MULTILINE)
    elsewhere = [
        str(source.relative_to(REPO))
        for source in (REPO / "emulator").rglob("*.py")
        if source.name != "codes.py" and definition.search(source.read_text())
    ]
    assert elsewhere == []


def test_the_codes_module_lists_catalog_codes_with_their_documented_statuses():
    import json

    from emulator import codes

    catalog = json.loads((REPO / "schemas" / "error-catalog.json").read_text())
    listed = {row["code"] for row in catalog["errors"]}
    named = {value for name, value in vars(codes).items() if name.isupper()}
    assert named and named <= listed


def test_the_demo_ids_are_the_bundled_seeds():
    import yaml

    from emulator.demo import DEMO_DATASET, DEMO_PROJECT

    seed = yaml.safe_load((REPO / "emulator" / "data" / "default-seed.yaml").read_text())
    declared = {
        (project["id"], dataset["id"])
        for project in seed["projects"]
        for dataset in project.get("datasets", [])
    }
    assert (DEMO_PROJECT, DEMO_DATASET) in declared


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        ({"Content-Type": "application/json"}, b"{", "ModelArts.4105"),
        ({"Content-Type": "application/json"}, b"", "ModelArts.4202"),
        ({"Content-Type": "text/plain", "X-Emulator-Strict": "true"}, b"{}", "ModelArts.4200"),
        (
            {"Content-Type": "application/json", "X-Emulator-Strict": "maybe"},
            b"{}",
            "ModelArts.4200",
        ),
        ({"Content-Type": "application/json"}, b'{"task_type": 7}', "ModelArts.4200"),
    ],
)
async def test_every_refusal_of_a_request_is_logged_with_its_reason(
    client, caplog, headers, body, code
):
    with caplog.at_level(logging.INFO, logger="emulator.validation"):
        response = await client.post(TASKS_URL, data=body, headers=headers)
    message = (await response.json())["error_msg"]

    assert f"POST {TASKS_URL} refused: {code} {message}" in caplog.text


async def test_an_oversized_body_is_logged_as_refused(client, caplog):
    with caplog.at_level(logging.INFO, logger="emulator.validation"):
        await client.post(TASKS_URL, data=b"x" * (MAX_BODY_BYTES + 1))

    assert f"POST {TASKS_URL} refused: ModelArts.4104" in caplog.text


async def test_refusals_are_info_so_log_level_warning_keeps_them_out(client, caplog):
    with caplog.at_level(logging.WARNING, logger="emulator.validation"):
        response = await client.post(TASKS_URL, json={"task_type": 7})

    assert response.status == 400
    assert "refused" not in caplog.text


async def test_each_missing_field_is_named_once(client):
    url = TASKS_URL.split("/datasets/")[0] + "/datasets"

    response = await client.post(url, json={"dataset_name": "only-a-name"})

    message = (await response.json())["error_msg"]
    assert response.status == 400
    for field in ("data_sources", "work_path", "work_path_type"):
        assert message.count(f"$.{field}: missing required field") == 1
