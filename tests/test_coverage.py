"""Contract coverage: what a client exercised of the documented contract, over HTTP."""

from __future__ import annotations

from tests.conftest import TASKS_URL


def _operation(report: dict, operation_id: str) -> dict:
    return next(op for op in report["operations"] if op["operation_id"] == operation_id)


async def _coverage(client) -> dict:
    response = await client.get("/_emulator/coverage")
    assert response.status == 200
    return await response.json()


async def test_every_documented_operation_is_listed_uncalled_at_start(client):
    report = await _coverage(client)
    assert report["summary"]["operations"] == 19
    assert not any(op["called"] for op in report["operations"])


async def test_calls_statuses_and_error_codes_are_counted(client):
    await client.post(TASKS_URL, json={"task_type": "auto-label"})
    await client.post(TASKS_URL, data="{")
    report = await _coverage(client)
    create = _operation(report, "CreateTask")
    assert create["calls"] == 2
    assert create["statuses"] == {"200": 1, "400": 1}
    assert create["error_codes"] == {"ModelArts.4105": 1}
    assert "ModelArts.4105" not in create["error_codes_never_received"]
    assert "ModelArts.4200" in create["error_codes_never_received"]


async def test_documented_error_codes_follow_the_pages_statuses(client):
    create = _operation(await _coverage(client), "CreateTask")
    # 401 is on the page and 0201 is a 401 code; 400 applies to every operation.
    assert "ModelArts.0201" in create["documented_error_codes"]
    assert "ModelArts.4200" in create["documented_error_codes"]
    # 409 is not on the page of CreateTask.
    assert "ModelArts.2796" not in create["documented_error_codes"]


async def test_a_code_outside_the_mapping_is_reported_as_undocumented(make_client):
    client = await make_client(clock="manual")
    task = await (await client.post(TASKS_URL, json={"task_type": "auto-label"})).json()
    await client.post("/_emulator/clock/advance", json={"seconds": 3600})
    await client.post(f"{TASKS_URL}/{task['task_id']}/stop")
    stop = _operation(await _coverage(client), "StopAutoAnnotation")
    # Stopping a finished task answers 409, a status the page of StopAutoAnnotation omits.
    assert stop["statuses"] == {"409": 1}
    assert stop["undocumented_error_codes_received"] == ["ModelArts.2796"]


async def test_fields_sent_in_body_and_query_leave_the_never_sent_list(client):
    await client.post(TASKS_URL, json={"task_type": "auto-label", "config": {"ambiguity": False}})
    await client.get(TASKS_URL + "?limit=5")
    report = await _coverage(client)
    never = _operation(report, "CreateTask")["fields_never_sent"]
    assert "task_type" not in never
    assert "config.ambiguity" not in never
    assert "collect_key_sample" in never
    listed = _operation(report, "ListTasks")["fields_never_sent"]
    assert "?limit" not in listed
    assert "?offset" in listed


async def test_array_item_fields_are_named_with_brackets(client):
    samples_url = TASKS_URL.replace("/tasks", "/data-annotations/samples")
    body = {"samples": [{"name": "a.jpg", "data": "aGVsbG8="}]}
    await client.post(samples_url, json=body)
    never = _operation(await _coverage(client), "UploadSamplesJson")["fields_never_sent"]
    assert "samples" not in never
    assert "samples[].name" not in never


async def test_undocumented_v2_paths_are_counted_apart(client):
    await client.get("/v2/some-project/nothing-here")
    assert (await _coverage(client))["summary"]["undocumented_requests"] == 1


async def test_coverage_survives_a_reset_and_clears_on_its_own(client):
    await client.get(TASKS_URL)
    await client.post("/_emulator/reset")
    assert _operation(await _coverage(client), "ListTasks")["calls"] == 1
    assert (await client.delete("/_emulator/coverage")).status == 204
    assert _operation(await _coverage(client), "ListTasks")["calls"] == 0


async def test_control_and_iam_calls_are_not_contract_coverage(client):
    await client.get("/_emulator/journal")
    report = await _coverage(client)
    assert report["summary"]["undocumented_requests"] == 0
    assert report["summary"]["operations_called"] == 0
