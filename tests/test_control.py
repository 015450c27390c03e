"""The emulator's own endpoints: health, reset, the manual clock."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PROJECT


async def test_health_is_ready_once_the_app_started_its_obs_listener(client):
    response = await client.get("/_emulator/health")

    body = await response.json()
    assert (response.status, body["api"], body["obs"]) == (200, "ready", "ready")
    s3 = await client.session.get(f"{body['obs_url']}/demo-bucket")
    assert s3.status in (200, 403)  # the listener answers S3, whatever its auth says


async def test_clock_reports_its_mode(make_client):
    manual = await make_client(clock="manual")
    body = await (await manual.get("/_emulator/clock")).json()
    assert body["mode"] == "manual" and isinstance(body["now_ms"], int)


async def test_manual_clock_moves_by_the_amount_asked(make_client):
    client = await make_client(clock="manual")
    before = (await (await client.get("/_emulator/clock")).json())["now_ms"]

    await client.post("/_emulator/clock/advance", json={"seconds": 1.5})
    after = await (await client.post("/_emulator/clock/advance", json={"milliseconds": 250})).json()

    assert after["now_ms"] - before == 1750


async def test_system_clock_cannot_be_advanced(client):
    response = await client.post("/_emulator/clock/advance", json={"seconds": 1})

    body = await response.json()
    assert response.status == 400 and "--clock manual" in body["error_msg"]


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "soon"}, {}, [1]])
async def test_clock_advance_refuses_what_is_not_a_duration(make_client, body):
    client = await make_client(clock="manual")
    response = await client.post("/_emulator/clock/advance", json=body)

    assert response.status == 400
    assert (await response.json())["error_code"] == "ModelArts.4200"


async def test_two_numeric_query_strings_are_both_converted(client):
    response = await client.get(
        f"/v2/{DEMO_PROJECT}/datasets", params={"limit": "5", "offset": "0"}
    )
    assert response.status == 200
