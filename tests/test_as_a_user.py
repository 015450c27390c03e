"""A test suite as a user writes it: only the ``modelarts_emulator`` fixture and public clients.

The README shows the first test of this file as its complete example.
"""

import json
import urllib.request


def test_auto_labeling_story(modelarts_emulator):
    emu = modelarts_emulator
    s3 = emu.s3_client()
    s3.put_object(Bucket="demo-bucket", Key="images/new-cat.jpg", Body=b"...")

    status, started, _ = emu.call(
        "POST", f"{emu.dataset_url}/tasks", {"task_type": "auto-label", "collect_key_sample": True}
    )
    assert status == 200
    emu.advance_clock(10)  # the fixture's emulator runs on the manual clock
    _, task, _ = emu.call("GET", f"{emu.dataset_url}/tasks/{started['task_id']}")

    assert task["status"] == 3  # succeeded
    bucket, key = task["result"]["manifest_path"].lstrip("/").split("/", 1)
    manifest = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    sources = [json.loads(line)["source"] for line in manifest.splitlines()]
    assert "s3://demo-bucket/images/new-cat.jpg" in sources


def test_throttling_story(modelarts_emulator):
    emu = modelarts_emulator
    emu.load_scenario("""
name: busy
rules:
  - match: {operation: CreateTask}
    times: 1
    respond: {error: ModelArts.4395, retry_after: 1}
""")

    first, body, headers = emu.call(
        "POST", f"{emu.dataset_url}/tasks", {}, headers=emu.scenario_headers("busy")
    )
    second, _, _ = emu.call(
        "POST", f"{emu.dataset_url}/tasks", {}, headers=emu.scenario_headers("busy")
    )

    assert (first, body["error_code"], headers["Retry-After"]) == (429, "ModelArts.4395", "1")
    assert second == 200
    assert emu.verify({"operation": "CreateTask"}, status=429) == 1


def test_each_test_starts_from_the_seed(modelarts_emulator):
    assert modelarts_emulator.journal() == []
    _, scenarios, _ = modelarts_emulator.call("GET", "/_emulator/scenarios")
    assert scenarios["scenarios"] == []


def test_strict_token_story(modelarts_emulator):
    emu = modelarts_emulator
    token = emu.mint_token()
    request = urllib.request.Request(
        f"{emu.dataset_url}/tasks?limit=1", headers={"X-Auth-Token": token}
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["total_count"] == 0
