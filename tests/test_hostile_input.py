"""Hostile input: every case gets a ModelArts-style refusal and the server keeps serving."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.conftest import DEMO_PROJECT, TASKS_URL, load_example

GOOD = load_example("start-auto-label.json")


async def _still_serving(client) -> None:
    response = await client.post(TASKS_URL, json=GOOD)
    assert response.status == 200


async def _refusal(response) -> tuple[int, str]:
    body = await response.json()
    assert set(body) == {"error_code", "error_msg"}, body
    return response.status, body["error_code"]


BAD_BODIES = {
    "truncated JSON": (b'{"task_type": "auto-label", "config": {', "ModelArts.4105"),
    "JSON array": (b"[1, 2, 3]", "ModelArts.4200"),
    "JSON string": (b'"auto-label"', "ModelArts.4200"),
    "JSON number": (b"42", "ModelArts.4200"),
    "JSON null": (b"null", "ModelArts.4200"),
    "10,000 levels of nesting": (b'{"config": ' * 10_000 + b"{}" + b"}" * 10_000, "ModelArts.4105"),
    "NaN literal": (b'{"config": {"n_clusters": NaN}}', "ModelArts.4105"),
    "Infinity literal": (b'{"config": {"stop_time": -Infinity}}', "ModelArts.4105"),
    "integer beyond 64 bits": (
        b'{"config": {"n_clusters": 123456789012345678901234567890}}',
        "ModelArts.4200",
    ),
    "integer of 5000 digits": (
        b'{"config": {"n_clusters": ' + b"9" * 5000 + b"}}",
        "ModelArts.4105",
    ),
    "invalid UTF-8": (b'{"model_id": "\xc3\x28"}', "ModelArts.4105"),
    "lone surrogate escape": (b'{"model_id": "\\ud800"}', None),
    "control characters in a string": (b'{"model_id": "a\\u0000b\\u001bc"}', None),
    "empty body": (b"", "ModelArts.4202"),
    "byte order mark before the JSON": (
        b'\xef\xbb\xbf{"task_type": "auto-label"}',
        "ModelArts.4105",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_bad_body_is_refused_and_the_server_keeps_serving(client, case):
    body, code = BAD_BODIES[case]
    response = await client.post(TASKS_URL, data=body, headers={"Content-Type": "application/json"})

    if code is None:
        assert response.status < 500
    else:
        assert (await _refusal(response))[1] == code
    await _still_serving(client)


@pytest.mark.parametrize("strict", [False, True])
async def test_nesting_just_inside_what_json_parsing_allows_is_refused_not_failed(
    make_client, strict
):
    """Between the depth the JSON parser stops at and the one jsonschema can explain: a
    400 at every depth (the window moves with the stack, so a range is sent)."""
    client = await make_client(strict=strict)
    statuses = set()
    for depth in range(900, 1000, 4):
        nested = "[" * depth + "]" * depth
        body = f'{{"task_type": "auto-label", "config": {{"parameters": [{nested}]}}}}'
        response = await client.post(
            TASKS_URL, data=body, headers={"Content-Type": "application/json"}
        )
        statuses.add(response.status)
        await response.read()

    assert statuses == {400}
    await _still_serving(client)


async def test_a_refusal_names_a_hundred_violations_then_counts_the_rest(client):
    labels = {"labels": [1] * 250}
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/labels"

    response = await client.post(url, json=labels)

    message = (await response.json())["error_msg"]
    assert response.status == 400
    assert message.count("expected object") == 100
    assert message.endswith("$: 150 more violations")


async def test_violations_are_listed_in_the_bodys_order(client):
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/labels"

    response = await client.post(url, json={"labels": [1] * 12})

    listed = (await response.json())["error_msg"].removeprefix("Invalid request. ").split("; ")
    assert listed == [f"$.labels[{index}]: expected object, got integer 1" for index in range(12)]


LABELS_URL = TASKS_URL.removesuffix("/tasks") + "/data-annotations/labels"
STEPS = 20_000  # the explanation's budget in these tests (a tenth of the real one: quicker)
NOT_CHECKED_FURTHER = "$: not checked past 20,000 schema checks"


@pytest.fixture
def fewer_steps(monkeypatch):
    from emulator.contract import validation

    monkeypatch.setattr(validation, "MAX_EXPLAIN_STEPS", STEPS)


@pytest.mark.parametrize(
    "labels",
    [
        # 2 MB, one bad item at the end (parsed and checked on a worker thread)
        [{"name": f"label-{number}"} for number in range(100_000)] + [1],
        [1] * 20_000,  # a violation in every item
    ],
    ids=["one-violation-after-100000-good-items", "20000-violations"],
)
async def test_explaining_a_huge_refusal_stops_and_says_so(client, fewer_steps, labels):
    response = await client.post(LABELS_URL, json={"labels": labels})

    message = (await response.json())["error_msg"]
    assert response.status == 400
    assert message.endswith(NOT_CHECKED_FURTHER)
    await _still_serving(client)


async def test_a_body_too_large_to_explain_is_refused_even_if_conversions_would_pass(
    client, fewer_steps
):
    labels = [{"name": f"label-{number}", "type": "0"} for number in range(4000)]

    small = await client.post(LABELS_URL, json={"labels": labels[:200]})
    large = await client.post(LABELS_URL, json={"labels": labels})

    assert small.status == 200  # each "0" converted to the integer the table asks for
    assert large.status == 400
    assert (await large.json())["error_msg"] == f"Invalid request. {NOT_CHECKED_FURTHER}"


async def test_a_batch_of_3000_samples_needing_one_conversion_is_converted(client):
    samples = [{"name": f"s{number}.jpg", "data": "eA=="} for number in range(3000)]
    samples[-1]["labels"] = [{"name": "cat", "type": "0"}]  # 115 KB in all
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/samples"

    response = await client.post(url, json={"samples": samples})

    assert response.status == 200, await response.text()


async def test_one_megabyte_string_is_read(client):
    response = await client.post(TASKS_URL, json={"config": {"description": "x" * 1_000_000}})

    assert response.status == 200


async def test_duplicate_keys_keep_the_last_in_lenient_mode(client):
    body = b'{"task_type": "pre-label", "task_type": "auto-label"}'
    response = await client.post(TASKS_URL, data=body, headers={"Content-Type": "application/json"})

    assert response.status == 200


async def test_duplicate_keys_are_refused_in_strict_mode(strict_client):
    body = b'{"task_type": "pre-label", "task_type": "auto-label"}'
    response = await strict_client.post(
        TASKS_URL, data=body, headers={"Content-Type": "application/json"}
    )

    status, code = await _refusal(response)
    assert (status, code) == (400, "ModelArts.4105")
    assert "duplicate key 'task_type'" in (await response.json())["error_msg"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_content_type_is_not_checked_in_lenient_mode(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(TASKS_URL, data=json.dumps(GOOD).encode(), headers=headers)

    assert response.status == 200


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x"])
async def test_wrong_content_type_is_refused_in_strict_mode(strict_client, content_type):
    response = await strict_client.post(
        TASKS_URL, data=json.dumps(GOOD).encode(), headers={"Content-Type": content_type}
    )

    assert await _refusal(response) == (400, "ModelArts.4200")


async def test_slow_sender_is_cut_off_with_408(make_client):
    client = await make_client(body_timeout=0.3)

    never = asyncio.Event()  # the rest of the body never comes, however slow the machine

    async def trickle():
        yield b'{"task_type": '
        await never.wait()
        yield b'"auto-label"}'

    response = await client.post(
        TASKS_URL, data=trickle(), headers={"Content-Type": "application/json"}
    )

    assert await _refusal(response) == (408, "ModelArts.4205")
    await _still_serving(client)


@pytest.mark.parametrize(
    "dataset",
    ["..%2F..%2Fetc%2Fpasswd", "a%00b", "%0d%0aSet-Cookie:x=1", "%E2%80%AE", "x" * 2000],
)
async def test_hostile_ids_in_the_path_are_unknown_datasets(client, dataset):
    response = await client.post(f"/v2/{DEMO_PROJECT}/datasets/{dataset}/tasks", json=GOOD)

    assert await _refusal(response) == (400, "ModelArts.4352")


async def test_traversal_in_obs_paths_is_refused(client):
    body = {"config": {"output_dir": "/demo-bucket/../../etc/"}}
    response = await client.post(TASKS_URL, json=body)

    assert await _refusal(response) == (400, "ModelArts.4313")


async def test_control_characters_in_obs_paths_are_refused(client):
    body = {"config": {"manifest_path": "/demo-bucket/a\nb/c.manifest"}}
    response = await client.post(TASKS_URL, json=body)

    assert await _refusal(response) == (400, "ModelArts.4313")


async def test_values_echoed_into_headers_cannot_inject_headers(client):
    await client.post(
        "/_emulator/scenarios",
        data=json.dumps(
            {
                "name": "echo",
                "rules": [
                    {"respond": {"status": 200, "headers": {"X-Echo": "{{ query.v }}"}, "body": {}}}
                ],
            }
        ),
    )

    response = await client.get(
        f"{TASKS_URL}?v=a%0d%0aSet-Cookie:%20stolen=1", headers={"X-Emulator-Scenario": "echo"}
    )

    assert "Set-Cookie" not in response.headers
    assert "\r" not in response.headers["X-Echo"] and "\n" not in response.headers["X-Echo"]


async def test_oversized_header_is_refused_and_the_server_keeps_serving(client):
    response = await client.get(TASKS_URL, headers={"X-Big": "x" * 20_000})

    assert response.status in (400, 431)
    await _still_serving(client)


@pytest.mark.parametrize("method", ["PATCH", "PROPFIND", "TRACE"])
async def test_unknown_method_is_405_with_the_error_body(client, method):
    response = await client.request(method, TASKS_URL)

    assert await _refusal(response) == (405, "ModelArts.4204")


async def test_many_bad_requests_at_once_leave_the_server_serving(make_client):
    client = await make_client(max_running_tasks=1000)
    bodies = [body for body, _ in BAD_BODIES.values()] * 5
    responses = await asyncio.gather(
        *(
            client.post(TASKS_URL, data=body, headers={"Content-Type": "application/json"})
            for body in bodies
        )
    )

    assert all(response.status < 500 for response in responses)
    await _still_serving(client)


async def test_client_that_disconnects_mid_request_does_not_hurt(client):
    _reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        f"POST {TASKS_URL} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        'X-Auth-Token: t\r\nContent-Type: application/json\r\n\r\n{"ta'.encode()
    )
    await writer.drain()
    writer.close()

    await _still_serving(client)


async def test_garbage_on_the_socket_gets_an_answer_and_the_server_keeps_serving(client):
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n")
    await writer.drain()
    await asyncio.wait_for(reader.read(1000), 5)
    writer.close()

    await _still_serving(client)


async def test_real_aiohttp_client_sees_json_errors_only(client):
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            client.make_url(TASKS_URL), data=b"{", headers={"X-Auth-Token": "t"}
        ) as response,
    ):
        assert response.content_type == "application/json"


@pytest.mark.parametrize("name", ["low_score", "high_score"])
async def test_score_filter_that_is_not_a_number_is_refused(client, name):
    url = f"/v2/{DEMO_PROJECT}/datasets/DemoImageDataset001/data-annotations/samples"

    response = await client.get(url, params={name: "high"})

    assert await _refusal(response) == (400, "ModelArts.4200")


async def test_score_filters_select_auto_labeled_samples(make_client):
    client = await make_client(clock="manual")
    await client.post(TASKS_URL, json={})
    await client.post("/_emulator/clock/advance", json={"seconds": 10})
    url = f"/v2/{DEMO_PROJECT}/datasets/DemoImageDataset001/auto-annotations/samples"

    everything = await (await client.get(url)).json()
    confident = await (await client.get(url, params={"low_score": "0.6"})).json()

    scores = [float(s["score"]) for s in everything["samples"]]
    assert confident["sample_count"] == sum(1 for score in scores if score >= 0.6)


async def test_sample_names_that_leave_their_folder_are_refused_one_by_one(client):
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/samples"
    refused = ["../../escaped.jpg", "nul\u0000.jpg", "/rooted.jpg", "nel\x85.jpg", "rlo\u202e.jpg"]
    names = [*refused, "kept (1).jpg", "sub/kept.jpg"]
    samples = [{"name": name, "data": "eA=="} for name in names]

    response = await client.post(url, json={"samples": samples})
    listed = await (await client.get(f"{url}?limit=100")).json()

    results = (await response.json())["results"]
    assert [result["error_code"] for result in results] == ["ModelArts.4313"] * 5 + [None] * 2
    sources = {sample["source"] for sample in listed["samples"]}
    assert not any("escaped" in source or "nul" in source for source in sources)
    assert any(source.endswith("/sub/kept.jpg") for source in sources)


@pytest.mark.parametrize(
    ("n_clusters", "status"),
    [("3", 200), ("+3", 200), ("03", 200), ("\u0663", 400), ("1_0", 400), ("\uff13", 400)],
    ids=["digits", "plus-sign", "leading-zero", "arabic-indic-digit", "underscore", "full-width"],
)
async def test_lenient_conversion_reads_ascii_number_text_only(client, n_clusters, status):
    body = load_example("start-auto-grouping.json")
    body["config"]["n_clusters"] = n_clusters

    response = await client.post(TASKS_URL, json=body)

    assert response.status == status, await response.text()
    if status == 400:
        message = (await response.json())["error_msg"]
        assert "$.config.n_clusters: expected integer, got string" in message


async def test_a_long_run_of_digits_that_is_no_number_is_refused_at_once(client):
    # The conversion's pattern could match such text two ways: 40,000 digits took 38 s.
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/samples"
    label = {"name": "cat", "type": 0, "score": "1" * 40_000 + "x"}
    samples = [{"name": "s.jpg", "data": "eA==", "labels": [label]}]

    response = await client.post(url, json={"samples": samples})

    assert response.status == 400
    assert "score: expected number, got string" in (await response.json())["error_msg"]


@pytest.mark.parametrize("score", ["\u0661\u0660", "\uff11", "1_0", "NaN", "1e400"])
async def test_score_filters_read_ascii_numbers_only(client, score):
    url = TASKS_URL.removesuffix("/tasks") + "/data-annotations/samples"

    response = await client.get(url, params={"low_score": score})

    assert response.status == 400
    assert "$.low_score: expected a number" in (await response.json())["error_msg"]
