"""The journal under hostile requests (issue 13): deep and huge bodies, odd limits, secrets.

Whatever was sent, ``GET /_emulator/journal`` and ``POST /_emulator/verify`` answer, the
journal stays bounded by count and bytes, and secrets never show.
"""

from __future__ import annotations

import json

import pytest

from emulator.api.control import journal as control_journal
from emulator.journal import (
    MASK,
    MAX_BODY_BYTES,
    MAX_JOURNAL_BYTES,
    MAX_RENDER_DEPTH,
    Journal,
    RecordedRequest,
)
from tests.conftest import TASKS_URL, load_example

DEEP_ARRAY = b"[" * 900 + b"]" * 900
JSON = {"Content-Type": "application/json"}
BODY_SCENARIO = """
name: body-match
rules:
  - match: {method: POST, body: {subset: {task_type: auto-label}}}
    respond: {status: 202}
"""


async def _journal(client, query: str = "") -> dict:
    response = await client.get(f"/_emulator/journal{query}")
    assert response.status == 200
    return await response.json()


async def test_a_900_deep_body_leaves_the_journal_readable_with_a_marker(client):
    await client.post(TASKS_URL, data=DEEP_ARRAY, headers=JSON)

    entry = (await _journal(client))["requests"][-1]

    assert entry["body"] == (
        f"[not shown: JSON nested deeper than {MAX_RENDER_DEPTH} levels, {len(DEEP_ARRAY)} bytes]"
    )
    assert entry["body_bytes"] == len(DEEP_ARRAY)


async def test_a_900_deep_body_leaves_verify_working(client):
    await client.post(TASKS_URL, data=DEEP_ARRAY, headers=JSON)

    response = await client.post("/_emulator/verify", json={"match": {"method": "POST"}})

    assert response.status == 200
    assert (await response.json())["count"] == 1


async def test_a_900_deep_body_against_a_body_matching_scenario_is_4105(client):
    assert (await client.post("/_emulator/scenarios", data=BODY_SCENARIO)).status == 201

    response = await client.post(
        TASKS_URL, data=DEEP_ARRAY, headers={**JSON, "X-Emulator-Scenario": "body-match"}
    )

    assert response.status == 400
    assert (await response.json())["error_code"] == "ModelArts.4105"
    good = await client.post(
        TASKS_URL,
        json=load_example("start-auto-label.json"),
        headers={"X-Emulator-Scenario": "body-match"},
    )
    assert good.status == 202


@pytest.mark.parametrize("limit", ["%C2%B2", "%D9%A3", "-1", "1.5", "9" * 5000, ""])
async def test_journal_limit_takes_ascii_digits_only(client, limit):
    response = await client.get(f"/_emulator/journal?limit={limit}")

    assert response.status == 400
    assert (await response.json())["error_code"] == "ModelArts.4200"


async def test_a_large_body_is_cut_when_recorded_with_its_size(client):
    body = b'{"model_id": "' + b"x" * (1024 * 1024) + b'"}'

    await client.post(TASKS_URL, data=body, headers=JSON)

    entry = (await _journal(client))["requests"][-1]
    assert entry["body_bytes"] == len(body)
    assert entry["body"].endswith(f"... [cut: first {MAX_BODY_BYTES} of {len(body)} bytes]")
    assert len(entry["body"]) < MAX_BODY_BYTES + 100


async def test_the_journal_drops_old_entries_to_stay_within_its_byte_budget(client):
    # About 360 KB of headers per request: by count the journal would keep all 60.
    big_headers = {f"X-Filler-{i}": "f" * 8000 for i in range(45)}
    for _ in range(60):
        response = await client.get("/v2/none", headers=big_headers)
        assert response.status == 404

    entries = (await _journal(client))["requests"]

    assert len(entries) < 60
    assert entries[-1]["id"] == 60
    kept = sum(len(str(e["headers"])) for e in entries)
    assert kept <= MAX_JOURNAL_BYTES


SECRET_BODY = {
    "secret_key": "s1",
    "securityToken": "s2",
    "auth_token": "s3",
    "passwd": "s4",
    "pwd": "s5",
    "nested": [{"Secret-Key": "s6", "name": "visible"}],
}


async def test_secrets_in_query_headers_and_body_are_masked(client):
    await client.post(
        f"{TASKS_URL}?sk=s7&X-Auth-Token=s8&limit=3",
        json=SECRET_BODY,
        headers={"Proxy-Authorization": "Basic s9", "X-Api-Key": "s10"},
    )

    entry = (await _journal(client))["requests"][-1]

    assert entry["query"] == {"sk": MASK, "X-Auth-Token": MASK, "limit": "3"}
    assert entry["headers"]["Proxy-Authorization"] == MASK
    assert entry["headers"]["X-Api-Key"] == MASK
    assert '"visible"' in entry["body"]
    assert not any(f'"s{i}"' in entry["body"] for i in range(1, 7)), entry["body"]


async def test_secrets_in_a_cut_body_are_masked_too(client):
    body = b'{"secret_key": "s1", "model_id": "' + b"x" * (2 * MAX_BODY_BYTES) + b'"}'

    await client.post(TASKS_URL, data=body, headers=JSON)

    shown = (await _journal(client))["requests"][-1]["body"]
    assert shown.startswith(f'{{"secret_key": "{MASK}", "model_id": "xxx')


async def test_entries_read_again_are_the_same_and_the_console_adds_nothing_to_them(client):
    await client.post(TASKS_URL, json=load_example("start-auto-label.json"))
    first = (await (await client.get("/_emulator/journal")).json())["requests"]

    console = await client.get("/_emulator/ui/requests/rows")  # adds each row's operation
    again = (await (await client.get("/_emulator/journal")).json())["requests"]

    assert console.status == 200
    assert again == first
    assert "operation" not in again[0]


async def test_verify_refuses_to_walk_a_journal_past_its_schema_checks(client, monkeypatch):
    # A fortieth of the real budget (the same stop, in less time): 6 bodies of 5,000
    # integers, each item two schema checks, are 60,000 checks.
    monkeypatch.setattr(control_journal, "MAX_VERIFY_SCHEMA_CHECKS", 50_000)
    body = {"x": [0] * 5000}
    for _ in range(6):
        await client.post(TASKS_URL, json=body)
    schema = {"properties": {"x": {"items": {"type": "integer", "minimum": 0}}}}

    narrow = await client.post(
        "/_emulator/verify", json={"match": {"body": {"schema": schema}, "method": "GET"}}
    )
    wide = await client.post("/_emulator/verify", json={"match": {"body": {"schema": schema}}})

    assert narrow.status == 200
    assert wide.status == 400
    assert "more than 50,000 schema checks" in (await wide.json())["error_msg"]


def test_entries_kept_as_read_stay_within_the_journals_byte_budget():
    # Read back, a dense JSON body grows by half (", " between items); the renderings kept
    # for the console's next read are held to the journal's budget too.
    journal = Journal(capacity=100, max_bytes=50_000)
    body = json.dumps([1] * 4000, separators=(",", ":")).encode()
    for number in range(20):
        entry = RecordedRequest(number, "POST", "/v2/x", "", {}, body, 400, None, 1.0, "")
        journal.record(entry, [])

    first = journal.entries()
    again = journal.entries()

    assert first == again
    assert len(first) == len(journal) > 1
    assert all(shown["body"] == json.dumps([1] * 4000) for shown in first)
    assert 0 < journal.rendered_bytes <= 50_000
