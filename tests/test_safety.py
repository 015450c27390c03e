"""Safe defaults and a clean life cycle: control API off beyond loopback, secrets out of
logs, health of both listeners, stopping with in-flight requests answered."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from emulator.config import load_config
from tests.conftest import EMULATOR_COMMAND, FREE_PORTS, REPO, TASKS_URL
from tests.test_auth import password_body


def test_default_host_is_loopback():
    assert load_config([], {}).host == "127.0.0.1"


async def test_control_api_is_open_on_loopback(client):
    assert (await client.get("/_emulator/scenarios")).status == 200


async def test_control_api_is_off_beyond_loopback_without_a_token(make_client):
    # The app is told it listens on all interfaces; the test still connects over loopback.
    client = await make_client(host="0.0.0.0")

    response = await client.post("/_emulator/reset")
    health = await client.get("/_emulator/health")

    body = await response.json()
    assert response.status == 403 and body["error_code"] == "ModelArts.0108"
    assert "--admin-token" in body["error_msg"]
    assert health.status in (200, 503)  # health stays open


async def test_admin_token_opens_the_control_api(make_client):
    client = await make_client(host="0.0.0.0", admin_token="s3cret")

    without = await client.get("/_emulator/journal")
    wrong = await client.get("/_emulator/journal", headers={"X-Emulator-Admin-Token": "no"})
    right = await client.get("/_emulator/journal", headers={"X-Emulator-Admin-Token": "s3cret"})

    assert (without.status, wrong.status, right.status) == (403, 403, 200)


async def test_admin_token_is_required_on_loopback_too_once_set(make_client):
    client = await make_client(admin_token="s3cret")
    assert (await client.post("/_emulator/reset")).status == 403


async def test_api_itself_is_not_behind_the_admin_token(make_client):
    client = await make_client(host="0.0.0.0", admin_token="s3cret")
    assert (await client.get(TASKS_URL)).status == 200


async def test_health_reports_both_listeners(make_client):
    with_obs = await make_client()
    without_obs = await make_client(obs_port=None)

    ready = await with_obs.get("/_emulator/health")
    starting = await without_obs.get("/_emulator/health")

    assert ready.status == 200 and (await ready.json())["obs"] == "ready"
    assert starting.status == 503 and (await starting.json())["obs"] == "not listening"


async def test_secrets_stay_out_of_the_log(make_client, caplog):
    client = await make_client(token=None, auth="strict")
    with caplog.at_level(logging.DEBUG):
        await client.post("/v3/auth/tokens", json=password_body())
        await client.get(TASKS_URL, headers={"X-Auth-Token": "MIIEMU-secret-token"})
        await client.post(
            "/_emulator/iam/credentials",
            json={
                "access_key": "LOGTESTKEY00000001",
                "secret_key": "very-secret-sk",
                "user": "demo-user",
            },
        )

    assert "demo-password" not in caplog.text
    assert "MIIEMU-secret-token" not in caplog.text
    assert "very-secret-sk" not in caplog.text


def _fired(base_url: str, scenario: str) -> int:
    """How often the scenario's rule has fired: it fires when a request arrives, before the
    scripted delay, so a count of 1 means that request is now being answered."""
    with urllib.request.urlopen(f"{base_url}/_emulator/scenarios/{scenario}", timeout=5) as r:
        return json.load(r)["rules"][0]["fired"]


def test_sigterm_answers_in_flight_requests_then_stops(tmp_path):
    # The delay is half the shutdown budget (emulator.app.SHUTDOWN_SECONDS, 0.8 s): a request
    # in flight when the signal arrives is answered before the server stops.
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(
        "name: slow\nactive: true\nrules:\n  - name: slow\n    respond: {delay: 400}\n"
    )
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, *FREE_PORTS, "--log-level", "info", "--scenarios", str(scenario)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []  # read as it comes, so the pipe never fills and blocks the server
    reader = threading.Thread(target=lambda: log.extend(process.stderr))
    reader.start()
    try:
        url = process.stdout.readline().split()[-1]
        process.stdout.readline()  # both listeners are bound
        answers = []

        def slow_request():
            request = urllib.request.Request(url + TASKS_URL, headers={"X-Auth-Token": "t"})
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append(response.status)

        in_flight = threading.Thread(target=slow_request)
        in_flight.start()
        while True:  # until the server has the request; bounded by the request's timeout
            sending = in_flight.is_alive()
            if _fired(url, "slow"):
                break
            assert sending, "the slow request ended without reaching the server"
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)  # a guard against a hang, not a threshold
        in_flight.join(timeout=30)
        reader.join(timeout=30)
    finally:
        process.kill()

    assert process.returncode == 0
    assert answers == [200]
    # The request was still being answered when the server began to stop.
    lines = "".join(log)
    stopping = lines.index("emulator: stopping")
    answered = lines.index(f"GET {TASKS_URL} 200")
    assert stopping < answered, lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_cleanly(signum):
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, *FREE_PORTS],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.readline()
    process.stdout.readline()
    process.send_signal(signum)
    _, errors = process.communicate(timeout=30)  # a guard against a hang, not a threshold

    assert process.returncode == 0
    assert "Traceback" not in errors
