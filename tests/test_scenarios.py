"""Scenario files through HTTP: the bundled library, selection, faults, sequences, states,
timelines, near misses, the journal and verification."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from emulator.app import create_app
from emulator.config import Config
from emulator.domain.clock import SystemClock
from tests.conftest import DEMO_PROJECT, REPO, TASKS_URL
from tests.domain_support import RecordingSleeper

LIBRARY = REPO / "scenarios"
DATASET_URL = f"/v2/{DEMO_PROJECT}/datasets/DemoImageDataset001"
TOKEN = {"X-Auth-Token": "any-token"}


def scenario(name: str) -> dict:
    return {"X-Emulator-Scenario": name, **TOKEN}


@pytest.fixture
async def library(make_client):
    return await make_client(scenarios=(LIBRARY,), clock="manual")


async def _error(response) -> tuple[int, str]:
    return response.status, (await response.json())["error_code"]


@pytest.mark.parametrize(
    ("name", "method", "path", "expected"),
    [
        ("expired-token", "GET", DATASET_URL, (401, "ModelArts.0202")),
        ("project-mismatch", "POST", TASKS_URL, (403, "ModelArts.0210")),
        ("obs-forbidden", "POST", TASKS_URL, (403, "ModelArts.4310")),
        ("dataset-not-found", "GET", DATASET_URL, (404, "ModelArts.6623")),
        ("dataset-not-found", "POST", TASKS_URL, (404, "ModelArts.6623")),
        ("throttled", "POST", TASKS_URL, (429, "ModelArts.4395")),
        ("internal-error", "GET", DATASET_URL, (500, "ModelArts.0010")),
        ("service-unavailable", "GET", DATASET_URL, (503, "ModelArts.4700")),
    ],
)
async def test_library_scenario_answers_its_error(library, name, method, path, expected):
    response = await library.request(method, path, json={}, headers=scenario(name))

    assert await _error(response) == expected


async def test_missing_token_scenario_refuses_only_requests_without_credentials(make_client):
    library = await make_client(token=None, auth="off", scenarios=(LIBRARY,))
    without = await library.get(DATASET_URL, headers={"X-Emulator-Scenario": "missing-token"})
    with_token = await library.get(DATASET_URL, headers=scenario("missing-token"))

    assert await _error(without) == (401, "ModelArts.0201")
    assert with_token.status == 200


async def test_throttled_answer_says_when_to_retry(library):
    response = await library.post(TASKS_URL, json={}, headers=scenario("throttled"))

    assert response.headers["Retry-After"] == "2"


async def _slow_answers(aiohttp_client, sleeper: RecordingSleeper):
    """The slow-answers scenario on an app whose clock records delays instead of waiting."""
    config = Config(scenarios=(LIBRARY / "slow-answers.yaml",), obs_port=None)
    app = create_app(config, clock=SystemClock(sleeper=sleeper))
    return await aiohttp_client(app)


async def test_slow_answers_wait_the_scripted_delay_then_answer(aiohttp_client):
    waited = RecordingSleeper()
    client = await _slow_answers(aiohttp_client, waited)

    response = await client.get(DATASET_URL, headers=scenario("slow-answers"))

    assert response.status == 200
    assert len(waited.seconds) == 1 and 1.5 <= waited.seconds[0] <= 2.5


async def test_slow_answers_repeat_their_delays_from_the_scenario_seed(aiohttp_client):
    runs = []
    for _ in range(2):
        waited = RecordingSleeper()
        client = await _slow_answers(aiohttp_client, waited)
        for _ in range(5):
            assert (await client.get(DATASET_URL, headers=scenario("slow-answers"))).status == 200
        runs.append(waited.seconds)

    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1  # drawn between min and max, not one fixed value


async def test_flaky_start_fails_twice_then_passes_through(library):
    statuses = []
    for _ in range(4):
        response = await library.post(TASKS_URL, json={}, headers=scenario("flaky-start"))
        statuses.append(response.status)

    assert statuses == [503, 503, 200, 200]


async def test_connection_reset_is_a_connection_error_for_a_real_client(make_client):
    client = await make_client()
    reset = {"name": "reset", "rules": [{"respond": {"fault": "connection_reset"}}]}
    assert (await client.post("/_emulator/scenarios", data=json.dumps(reset))).status == 201
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(client.make_url(DATASET_URL), headers=scenario("reset"))


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("close_after_headers", aiohttp.ClientPayloadError),
        ("truncated_body", aiohttp.ClientPayloadError),
    ],
)
async def test_broken_bodies_fail_the_client_read(make_client, fault, error):
    client = await make_client()
    body = {"name": "broken", "rules": [{"respond": {"fault": fault}}]}
    await client.post("/_emulator/scenarios", data=json.dumps(body))

    response = await client.get(DATASET_URL, headers=scenario("broken"))

    with pytest.raises(error):
        await response.read()


@pytest.mark.parametrize(
    "respond",
    [
        {"error": "ModelArts.4700", "status": 503},
        {"status": 502, "body": {"upstream": "down"}},
    ],
)
async def test_a_scripted_content_type_is_sent_as_written(make_client, respond):
    client = await make_client()
    rule = {"respond": {**respond, "headers": {"Content-Type": "text/plain"}}}
    added = await client.post("/_emulator/scenarios", json={"name": "plain", "rules": [rule]})
    assert added.status == 201, await added.text()

    response = await client.get(DATASET_URL, headers=scenario("plain"))

    assert (response.status, response.headers["Content-Type"]) == (respond["status"], "text/plain")
    assert json.loads(await response.read())


async def test_malformed_body_is_not_json(make_client):
    client = await make_client()
    await client.post(
        "/_emulator/scenarios",
        data='{"name": "bad", "rules": [{"respond": {"fault": "malformed_body"}}]}',
    )

    response = await client.post(TASKS_URL, json={}, headers=scenario("bad"))

    with pytest.raises(ValueError):
        await response.json()


async def test_flaky_network_is_the_same_for_the_same_seed(make_client):
    outcomes = []
    for _ in range(2):
        client = await make_client(scenarios=(LIBRARY / "flaky-network.yaml",))
        run = []
        async with aiohttp.ClientSession() as session:
            for _ in range(20):
                try:
                    async with session.get(
                        client.make_url(DATASET_URL), headers=scenario("flaky-network")
                    ) as response:
                        run.append(response.status)
                except aiohttp.ClientConnectionError:
                    run.append("reset")
        outcomes.append(run)

    assert outcomes[0] == outcomes[1]
    assert "reset" in outcomes[0] and 200 in outcomes[0]


async def test_state_moves_after_the_first_start(library):
    headers = scenario("dataset-deleted-after-first-task")

    first = await library.post(TASKS_URL, json={}, headers=headers)
    second = await library.post(TASKS_URL, json={}, headers=headers)
    listed = await library.get(DATASET_URL, headers=headers)

    assert first.status == 200
    assert await _error(second) == (404, "ModelArts.6623")
    assert await _error(listed) == (404, "ModelArts.6623")
    summary = await (
        await library.get("/_emulator/scenarios/dataset-deleted-after-first-task")
    ).json()
    assert summary["state"] == "Deleted"


async def test_task_fails_midway_as_seen_by_get_task(library):
    started = await library.post(TASKS_URL, json={}, headers=scenario("task-fails-midway"))
    url = f"{TASKS_URL}/{(await started.json())['task_id']}"
    seen = []
    for seconds in (0, 1, 2, 2, 1):
        await library.post("/_emulator/clock/advance", json={"seconds": seconds})
        task = await (await library.get(url)).json()
        seen.append((task["status"], task["progress"]))

    assert seen == [(-1, 0.0), (1, 0.0), (1, 20.0), (1, 40.0), (2, 40.0)]
    assert task["error_code"] == "ModelArts.4392" and task["error_msg"] == "Task failed"


async def test_task_never_finishes_but_can_be_stopped(library):
    started = await library.post(TASKS_URL, json={}, headers=scenario("task-never-finishes"))
    url = f"{TASKS_URL}/{(await started.json())['task_id']}"
    await library.post("/_emulator/clock/advance", json={"seconds": 3600})

    running = await (await library.get(url)).json()
    await library.post(f"{url}/stop")
    await library.post("/_emulator/clock/advance", json={"seconds": 1})
    stopped = await (await library.get(url)).json()

    assert (running["status"], running["progress"]) == (1, 99.0)
    assert stopped["status"] == 5


async def test_poll_based_timeline(make_client):
    client = await make_client()
    body = {
        "name": "polls",
        "rules": [
            {
                "match": {"operation": "CreateTask"},
                "respond": {
                    "timeline": [
                        {"poll": 0, "status": "queued"},
                        {"poll": 2, "status": "running"},
                        {"poll": 3, "status": "succeeded", "progress": 100},
                    ]
                },
            }
        ],
    }
    await client.post("/_emulator/scenarios", data=json.dumps(body))
    started = await client.post(TASKS_URL, json={}, headers=scenario("polls"))
    url = f"{TASKS_URL}/{(await started.json())['task_id']}"

    statuses = [(await (await client.get(url)).json())["status"] for _ in range(3)]

    assert statuses == [-1, 1, 3]


async def test_unknown_scenario_header_lists_the_known_names(library):
    response = await library.get(DATASET_URL, headers={"X-Emulator-Scenario": "nope"})

    body = await response.json()
    assert response.status == 400
    assert "nope" in body["error_msg"] and "throttled" in body["error_msg"]


async def test_a_scenario_named_again_in_the_header_is_tried_once(library):
    once = {"X-Emulator-Scenario": "obs-forbidden", **TOKEN}
    again = {"X-Emulator-Scenario": ",".join(["obs-forbidden"] * 500), **TOKEN}
    await library.get(f"{TASKS_URL}/AnyTask", headers=once)
    await library.get(f"{TASKS_URL}/AnyTask", headers=again)

    journal = await (await library.get("/_emulator/journal")).json()

    named_once, named_again = journal["requests"][-2:]
    assert named_again["near_misses"] == named_once["near_misses"]
    assert len(named_once["near_misses"]) >= 1


async def test_parallel_requests_see_only_their_own_scenario(library):
    async def start(name: str) -> list[int]:
        statuses = []
        for _ in range(5):
            response = await library.post(TASKS_URL, json={}, headers=scenario(name))
            statuses.append(response.status)
        return statuses

    throttled, failing = await asyncio.gather(start("throttled"), start("internal-error"))

    assert set(throttled) == {429} and set(failing) == {500}


async def test_active_scenario_applies_without_a_header(library):
    await library.post("/_emulator/scenarios/throttled/activate")
    throttled = await library.post(TASKS_URL, json={}, headers=TOKEN)
    await library.post("/_emulator/scenarios/throttled/deactivate")
    normal = await library.post(TASKS_URL, json={}, headers=TOKEN)

    assert (throttled.status, normal.status) == (429, 200)


async def test_near_miss_is_reported_in_header_journal_and_log(library, caplog):
    headers = {"X-Emulator-Scenario": "obs-forbidden", **TOKEN}
    with caplog.at_level(logging.INFO, logger="emulator.scenarios"):
        response = await library.get(f"{TASKS_URL}/AnyTask", headers=headers)
    journal = await (await library.get("/_emulator/journal")).json()

    near_miss = response.headers["X-Emulator-Near-Miss"]
    assert near_miss.startswith("obs-forbidden/start-without-obs-access: method is GET")
    assert "does not fit /v2/{project_id}/datasets/{dataset_id}/tasks" in near_miss
    assert journal["requests"][-1]["near_misses"][0] == near_miss
    assert "matched no rule" in caplog.text


async def test_scripted_body_uses_templates(make_client):
    client = await make_client()
    body = {
        "name": "templated",
        "rules": [
            {
                "match": {"operation": "CreateTask"},
                "respond": {
                    "status": 200,
                    "headers": {"X-Dataset": "{{ path.dataset_id }}"},
                    "body": {"task_id": "{{ id }}"},
                },
            }
        ],
    }
    await client.post("/_emulator/scenarios", data=json.dumps(body))

    response = await client.post(TASKS_URL, json={}, headers=scenario("templated"))

    assert response.headers["X-Dataset"] == "DemoImageDataset001"
    assert len((await response.json())["task_id"]) == 19


async def test_body_conditions_choose_the_rule(make_client):
    client = await make_client()
    text = """
name: by-body
rules:
  - name: accurate
    match:
      operation: CreateTask
      body:
        expressions: ['config.algorithm_type == "accurate"']
    respond: {error: ModelArts.4392}
  - name: pre-label
    match:
      operation: CreateTask
      body:
        subset: {task_type: pre-label}
    respond: {error: ModelArts.4395}
"""
    await client.post("/_emulator/scenarios", data=text)
    headers = scenario("by-body")

    accurate = await client.post(
        TASKS_URL, json={"config": {"algorithm_type": "accurate"}}, headers=headers
    )
    pre = await client.post(TASKS_URL, json={"task_type": "pre-label"}, headers=headers)
    other = await client.post(
        TASKS_URL, json={"config": {"algorithm_type": "fast"}}, headers=headers
    )

    assert (await _error(accurate))[1] == "ModelArts.4392"
    assert (await _error(pre))[1] == "ModelArts.4395"
    assert other.status == 200


async def test_times_limits_a_rule_to_its_first_matches(make_client):
    client = await make_client()
    await client.post(
        "/_emulator/scenarios",
        data="""
name: once
rules:
  - times: 1
    respond: {error: ModelArts.0010, status: 500}
""",
    )
    statuses = [(await client.get(DATASET_URL, headers=scenario("once"))).status for _ in range(3)]

    assert statuses == [500, 200, 200]


async def test_journal_records_rule_and_validation_and_filters(library):
    await library.post(TASKS_URL, json={}, headers=scenario("throttled"))
    await library.post(TASKS_URL, json={"task_type": "nope"}, headers=TOKEN)

    throttled = await (
        await library.get("/_emulator/journal", params={"scenario": "throttled"})
    ).json()
    refused = await (
        await library.get("/_emulator/journal", params={"error_code": "ModelArts.4200"})
    ).json()

    assert throttled["total"] == 1
    assert throttled["requests"][0]["rule"] == "too-many-requests"
    assert throttled["requests"][0]["headers"]["X-Auth-Token"] == "***"
    assert "$.task_type" in refused["requests"][0]["validation"]


async def test_verify_counts_matching_requests(library):
    for task_type in ("auto-label", "auto-label", "pre-label"):
        await library.post(TASKS_URL, json={"task_type": task_type}, headers=TOKEN)
    criteria = {
        "match": {"operation": "CreateTask", "body": {"subset": {"task_type": "auto-label"}}},
        "expect": 2,
    }

    response = await library.post("/_emulator/verify", json=criteria)
    wrong = await library.post("/_emulator/verify", json={**criteria, "expect": 3})

    assert response.status == 200 and (await response.json())["count"] == 2
    assert wrong.status == 417


async def test_reset_of_one_scenario_restarts_its_sequence(library):
    headers = scenario("flaky-start")
    for _ in range(3):
        await library.post(TASKS_URL, json={}, headers=headers)

    await library.post("/_emulator/reset", json={"scenario": "flaky-start"})
    again = await library.post(TASKS_URL, json={}, headers=headers)

    assert again.status == 503


async def test_reset_of_everything_clears_journal_states_and_tasks(library):
    started = await library.post(
        TASKS_URL, json={}, headers=scenario("dataset-deleted-after-first-task")
    )
    task_id = (await started.json())["task_id"]

    await library.post("/_emulator/reset")

    journal = await (await library.get("/_emulator/journal")).json()
    summary = await (
        await library.get("/_emulator/scenarios/dataset-deleted-after-first-task")
    ).json()
    task = await library.get(f"{TASKS_URL}/{task_id}")
    assert journal["total"] == 0 and summary["state"] == "Started"
    assert (await _error(task)) == (400, "ModelArts.4612")


async def test_reset_of_one_project_restores_its_datasets(library):
    await library.delete(DATASET_URL)

    await library.post("/_emulator/reset", json={"project_id": DEMO_PROJECT})

    assert (await library.get(DATASET_URL)).status == 200


async def test_admin_api_loads_replaces_and_deletes(make_client):
    client = await make_client()
    text = "name: mine\nrules:\n  - respond: {error: ModelArts.0010, status: 500}\n"

    created = await client.post("/_emulator/scenarios", data=text)
    duplicate = await client.post("/_emulator/scenarios", data=text)
    replaced = await client.put(
        "/_emulator/scenarios/mine", data=text.replace("0010, status: 500", "4395")
    )
    hit = await client.get(DATASET_URL, headers=scenario("mine"))
    deleted = await client.delete("/_emulator/scenarios/mine")
    gone = await client.get("/_emulator/scenarios/mine")

    assert (created.status, duplicate.status, replaced.status) == (201, 409, 200)
    assert (await _error(hit)) == (429, "ModelArts.4395")
    assert (deleted.status, gone.status) == (204, 404)
