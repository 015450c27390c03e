"""Issue 13 row 5: a body that stops arriving is cut off by --body-timeout on every path that
reads one (signature checks, scenario body matching, control uploads, IAM), never held open."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import TASKS_URL
from tests.test_auth import signed

PROMISED = 100
# Only a safety net so a regression fails instead of hanging; the tests wait for the 408.
GIVE_UP_SECONDS = 60
BY_BODY = """
name: by-body
rules:
  - name: accurate
    match:
      operation: CreateTask
      body:
        subset: {task_type: auto-label}
    respond: {error: ModelArts.4392}
"""


async def stall(client, method: str, path: str, headers: dict) -> tuple[int, dict]:
    """Send headers promising 100 bytes, then one byte, then silence; read the answer, which
    must announce that the connection closes."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    headers = {"Host": f"{client.host}:{client.port}", **headers}
    lines = [f"{method} {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {PROMISED}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b"{")
    await writer.drain()
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GIVE_UP_SECONDS)
        fields = dict(
            line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if line
        )
        body = await reader.readexactly(int(fields["Content-Length"]))
    finally:
        writer.close()
    assert fields["Connection"].lower() == "close"
    return int(head.split()[1]), json.loads(body)


@pytest.fixture
async def slow(make_client):
    return await make_client(token=None, auth="strict", body_timeout=0.2)


async def test_a_signed_request_whose_body_stalls_gets_408(slow):
    headers = signed(slow, "POST", TASKS_URL, b"x" * PROMISED)

    status, body = await stall(slow, "POST", TASKS_URL, headers)

    assert (status, body["error_code"]) == (408, "ModelArts.4205")


async def test_a_request_naming_a_body_matching_scenario_gets_408(make_client):
    client = await make_client(token=None, body_timeout=0.2)
    await client.post("/_emulator/scenarios", data=BY_BODY)
    headers = {
        "X-Auth-Token": "any",
        "X-Emulator-Scenario": "by-body",
        "Content-Type": "application/json",
    }

    status, body = await stall(client, "POST", TASKS_URL, headers)

    assert (status, body["error_code"]) == (408, "ModelArts.4205")


async def test_a_scenario_upload_that_stalls_gets_408(slow):
    status, body = await stall(slow, "POST", "/_emulator/scenarios", {})

    assert (status, body["error_code"]) == (408, "ModelArts.4205")


async def test_a_token_request_that_stalls_gets_408_in_keystone_format(slow):
    headers = {"Content-Type": "application/json"}

    status, body = await stall(slow, "POST", "/v3/auth/tokens", headers)

    assert (status, body["error"]["code"]) == (408, 408)


async def test_the_emulator_serves_on_after_a_stalled_body(slow):
    await stall(slow, "POST", TASKS_URL, signed(slow, "POST", TASKS_URL, b"x" * PROMISED))

    response = await slow.get("/v3/projects", headers={"X-Auth-Token": "made-up"})

    assert response.status == 401
