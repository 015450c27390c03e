"""Record, replay, compare: a second emulator plays the cloud, with three deviations.

The upstream answers like the emulator except for one extra field (GET dataset), another
error code (GET of an unknown task) and another status (stop of an unknown task). The
recording must hold exactly those answers, a replay must give them back with the upstream
gone, and compare must find exactly those three differences and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from emulator.app import create_app
from emulator.config import Config, ConfigError, load_config
from emulator.contract import load_contract
from emulator.errors import StartupError
from emulator.record.recorder import FILE_NAME
from emulator.scenarios.loader import ScenarioLoader
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, EMULATOR_COMMAND, TASKS_URL, load_example
from tests.test_auth import AK, SK, TEMP_AK, TEMP_SK, password_body, signed

DATASET_URL = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}"
UNKNOWN_TASK = "NoSuchTask000000000"
# The interactions whose recorded answers deviate, by their 1-based place in FLOW.
DEVIATIONS = {5: ["missing"], 6: ["error_code"], 7: ["status"]}


async def run_flow(client) -> list[tuple[int, object]]:
    """A client's session: a token, a list, a task started and read, then three oddities."""
    answers = []

    async def send(method: str, url: str, body: dict | None = None, token: str | None = None):
        headers = {"X-Auth-Token": token} if token else {}
        response = await client.request(method, url, json=body, headers=headers)
        text = await response.text()
        answers.append((response.status, json.loads(text) if text else None))
        return response

    token = (await send("POST", "/v3/auth/tokens", password_body())).headers["X-Subject-Token"]
    await send("GET", f"{TASKS_URL}?limit=5&offset=0", token=token)
    await send("POST", TASKS_URL, load_example("start-auto-label.json"), token=token)
    task_id = answers[-1][1]["task_id"]
    await send("GET", f"{TASKS_URL}/{task_id}", token=token)
    await send("GET", DATASET_URL, token=token)
    await send("GET", f"{TASKS_URL}/{UNKNOWN_TASK}", token=token)
    await send("POST", f"{TASKS_URL}/{UNKNOWN_TASK}/stop", token=token)
    return answers


async def deviating_scenario(aiohttp_client, folder: Path) -> Path:
    """An active scenario: the emulator's own dataset answer plus a field, two other errors."""
    plain = await aiohttp_client(create_app(Config(obs_port=None)))
    dataset = await (await plain.get(DATASET_URL, headers={"X-Auth-Token": "t"})).json()
    dataset["extra_field"] = "only the upstream has this"
    scenario = {
        "name": "upstream-deviates",
        "active": True,
        "rules": [
            {
                "name": "extra-field",
                "match": {"method": "GET", "path": DATASET_URL},
                "respond": {"status": 200, "body": dataset},
            },
            {
                "name": "other-error-code",
                "match": {"method": "GET", "path": f"{TASKS_URL}/{UNKNOWN_TASK}"},
                "respond": {"error": "ModelArts.4352", "status": 400},
            },
            {
                "name": "other-status",
                "match": {"method": "POST", "path": f"{TASKS_URL}/{UNKNOWN_TASK}/stop"},
                "respond": {
                    "status": 404,
                    "body": {"error_code": "ModelArts.4612", "error_msg": "Task not found"},
                },
            },
        ],
    }
    path = folder / "upstream-deviates.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return path


@pytest.fixture
def start_upstream(aiohttp_server, aiohttp_client, tmp_path):
    """A second emulator on 127.0.0.1 playing the cloud: strict auth, optionally deviating."""

    async def start(*, deviating: bool = True, scenario: dict | None = None):
        scenarios = (await deviating_scenario(aiohttp_client, tmp_path),) if deviating else ()
        if scenario is not None:
            (tmp_path / "upstream.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
            scenarios = (tmp_path / "upstream.yaml",)
        config = Config(auth="strict", scenarios=scenarios, obs_port=None)
        return await aiohttp_server(create_app(config))

    return start


@pytest.fixture
def start_proxy(aiohttp_client, tmp_path):
    async def start(upstream, **config_fields):
        config_fields.setdefault("record", tmp_path / "recording")
        url = str(upstream.make_url("")).rstrip("/")
        return await aiohttp_client(
            create_app(Config(proxy_to=url, obs_port=None, **config_fields))
        )

    return start


@pytest.fixture
async def recorded(start_upstream, start_proxy, tmp_path):
    """What the client got through the proxy, and the folder the proxy recorded into."""
    upstream = await start_upstream()
    answers = await run_flow(await start_proxy(upstream))
    await upstream.close()
    return answers, tmp_path / "recording"


def rules_of(folder: Path) -> list[dict]:
    return yaml.safe_load((folder / FILE_NAME).read_text(encoding="utf-8"))["rules"]


def run_compare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EMULATOR_COMMAND, "compare", *args], capture_output=True, text=True, timeout=120
    )


# --- record ---------------------------------------------------------------------------


async def test_the_client_gets_the_upstreams_answers(recorded):
    answers, _ = recorded

    assert answers[4][1]["extra_field"] == "only the upstream has this"
    assert answers[5] == (
        400,
        {"error_code": "ModelArts.4352", "error_msg": answers[5][1]["error_msg"]},
    )
    assert answers[6] == (404, {"error_code": "ModelArts.4612", "error_msg": "Task not found"})


async def test_the_recording_holds_each_answer_as_a_rule(recorded):
    answers, folder = recorded

    rules = rules_of(folder)

    assert [(r["respond"]["status"], r["respond"].get("body")) for r in rules] == answers
    assert [r["match"]["method"] for r in rules] == [
        "POST",
        "GET",
        "POST",
        "GET",
        "GET",
        "GET",
        "POST",
    ]


async def test_the_recording_loads_as_a_valid_scenario(recorded):
    _, folder = recorded
    loader = ScenarioLoader(load_contract(Config().with_defaults_resolved().schemas_dir))

    scenario = loader.load_paths([folder])[0]

    assert (scenario.name, scenario.active, len(scenario.rules)) == ("recording", True, 7)


async def test_the_recording_keeps_no_secret(recorded):
    _, folder = recorded
    text = (folder / FILE_NAME).read_text(encoding="utf-8")

    assert "demo-password" not in text
    assert rules_of(folder)[0]["respond"]["headers"] == {"X-Subject-Token": "***"}
    assert rules_of(folder)[0]["match"]["body"]["subset"]["auth"]["identity"]["password"] == {
        "user": {"name": "demo-user", "domain": {"name": "demo-domain"}}
    }


async def test_a_request_made_twice_replays_its_answers_in_order(
    start_upstream, start_proxy, tmp_path
):
    proxy = await start_proxy(await start_upstream(deviating=False))
    for _ in range(2):
        await proxy.get(f"{TASKS_URL}?limit=1", headers={"X-Auth-Token": "t"})

    rules = rules_of(tmp_path / "recording")

    assert [rule.get("times") for rule in rules] == [1, None]


async def test_secrets_inside_answers_are_masked(start_upstream, start_proxy, tmp_path):
    credential = {"access": "TEMPAK", "secret": "TEMPSK", "securitytoken": "TEMPST"}
    answer = {"credential": credential, "token": "TOKENVALUE", "name": "kept"}
    rule = {"match": {"path": "/v3/projects"}, "respond": {"status": 200, "body": answer}}
    upstream = await start_upstream(
        deviating=False, scenario={"name": "secrets", "active": True, "rules": [rule]}
    )
    proxy = await start_proxy(upstream)

    await proxy.get("/v3/projects?name=eu-de", headers={"X-Auth-Token": "t"})

    assert rules_of(tmp_path / "recording")[0]["respond"]["body"] == {
        "credential": {"access": "***", "secret": "***", "securitytoken": "***"},
        "token": "***",
        "name": "kept",
    }


async def test_a_second_session_adds_to_the_recording(start_upstream, start_proxy, tmp_path):
    upstream = await start_upstream(deviating=False)
    for _ in range(2):
        proxy = await start_proxy(upstream)
        await proxy.get(f"{TASKS_URL}?limit=1", headers={"X-Auth-Token": "t"})
        await proxy.close()

    rules = rules_of(tmp_path / "recording")

    assert [(rule["name"][:4], rule.get("times")) for rule in rules] == [
        ("0001", 1),
        ("0002", None),
    ]


async def test_iam_version_discovery_goes_upstream(start_upstream, start_proxy, tmp_path):
    proxy = await start_proxy(await start_upstream(deviating=False))

    response = await proxy.get("/v3")

    assert response.status == 200
    assert rules_of(tmp_path / "recording")[0]["match"] == {"method": "GET", "path": "/v3"}


async def test_the_journal_lists_proxied_requests_with_secrets_masked(start_upstream, start_proxy):
    proxy = await start_proxy(await start_upstream(deviating=False))
    await proxy.get(TASKS_URL, headers={"X-Auth-Token": "secret-token-value"})

    journal = await (await proxy.get("/_emulator/journal")).json()

    assert TASKS_URL in json.dumps(journal)
    assert "secret-token-value" not in json.dumps(journal)


# --- replay ---------------------------------------------------------------------------


async def test_replay_answers_the_same_with_the_upstream_gone(recorded, aiohttp_client):
    answers, folder = recorded
    replay = await aiohttp_client(create_app(Config(scenarios=(folder,), obs_port=None)))

    assert await run_flow(replay) == answers


# --- compare --------------------------------------------------------------------------


async def test_compare_finds_exactly_the_three_deviations(recorded, tmp_path):
    _, folder = recorded
    report_file = tmp_path / "drift.json"

    result = run_compare(str(folder), "--format", "json", "--output", str(report_file))

    report = json.loads(report_file.read_text(encoding="utf-8"))
    found = {
        place: [d["kind"] for d in entry["differences"]]
        for place, entry in enumerate(report["interactions"], start=1)
        if entry["differences"]
    }
    assert result.returncode == 1, result.stderr
    assert found == DEVIATIONS
    assert report["summary"]["drifted"] == 3


async def test_compare_names_the_differences_in_markdown(recorded):
    _, folder = recorded

    result = run_compare(str(folder))

    assert result.returncode == 1
    assert "missing: $.extra_field is missing in the emulator" in result.stdout
    assert "error_code: recorded ModelArts.4352, emulator ModelArts.4612" in result.stdout
    assert "status: recorded 404, emulator 400" in result.stdout


async def test_compare_of_a_faithful_recording_exits_0(start_upstream, start_proxy, tmp_path):
    await run_flow(await start_proxy(await start_upstream(deviating=False)))

    result = run_compare(str(tmp_path / "recording"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "differing: 0" in result.stdout


# --- AK/SK through the proxy, with a real client's signature --------------------------

CLIENT_AK, CLIENT_SK = "CLIENTSIDEKEY0000001", "client-side-secret-key-000000000000000"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", TASKS_URL, json.dumps(load_example("start-auto-label.json")).encode()),
        ("GET", f"{TASKS_URL}?task_name=a%20b&limit=3", b""),
    ],
    ids=["json-body", "encoded-query"],
)
async def test_huaweicloudsdkcore_requests_are_resigned_for_the_upstream(
    start_upstream, start_proxy, tmp_path, method, url, body
):
    upstream = await start_upstream(deviating=False)  # strict: checks every signature
    proxy = await start_proxy(upstream, upstream_ak=AK, upstream_sk=SK)
    headers = signed(proxy, method, url, body, ak=CLIENT_AK, sk=CLIENT_SK)

    response = await proxy.request(method, url, data=body, headers=headers)

    assert response.status == 200, await response.text()
    text = (tmp_path / "recording" / FILE_NAME).read_text(encoding="utf-8")
    for secret in (CLIENT_AK, CLIENT_SK, AK, SK, headers["Authorization"].rsplit("=", 1)[1]):
        assert secret not in text


@pytest.mark.parametrize("depth", [100_000, 500])
async def test_a_deeply_nested_body_is_recorded_as_text(
    start_upstream, start_proxy, tmp_path, depth
):
    proxy = await start_proxy(await start_upstream(deviating=False))
    body = b"[" * depth + b"]" * depth

    response = await proxy.post(TASKS_URL, data=body, headers={"X-Auth-Token": "t"})

    assert response.status == 401  # the strict upstream's refusal (a token it never issued)
    [rule] = rules_of(tmp_path / "recording")
    assert "body" not in rule["match"]  # not JSON the matcher could read: matched without it
    assert rule["respond"]["status"] == 401


@pytest.mark.parametrize(("token", "status"), [("demo-security-token", 200), (None, 401)])
async def test_temporary_upstream_keys_send_their_security_token(
    start_upstream, start_proxy, token, status
):
    upstream = await start_upstream(deviating=False)  # strict: temporary keys need the token
    proxy = await start_proxy(
        upstream, upstream_ak=TEMP_AK, upstream_sk=TEMP_SK, upstream_security_token=token
    )
    headers = signed(proxy, "GET", TASKS_URL, ak=CLIENT_AK, sk=CLIENT_SK)

    response = await proxy.get(TASKS_URL, headers=headers)

    assert response.status == status, await response.text()


@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "empty"), ("demo-security-token\n", "control characters")],
)
@pytest.mark.parametrize(
    "variable",
    [
        "MODELARTS_EMULATOR_UPSTREAM_AK",
        "MODELARTS_EMULATOR_UPSTREAM_SK",
        "MODELARTS_EMULATOR_UPSTREAM_SECURITY_TOKEN",
    ],
)
def test_upstream_keys_that_cannot_be_sent_stop_the_start(variable, value, reason):
    with pytest.raises(ConfigError, match=f"{variable}.*{reason}"):
        load_config([], {variable: value, "MODELARTS_EMULATOR_PROXY_TO": "http://127.0.0.1:1"})


def test_a_security_token_without_upstream_keys_stops_the_start():
    with pytest.raises(StartupError, match="--upstream-security-token goes with"):
        create_app(
            Config(proxy_to="http://127.0.0.1:1", upstream_security_token="t", obs_port=None)
        )


async def test_signed_requests_need_upstream_keys(start_upstream, start_proxy, tmp_path):
    proxy = await start_proxy(await start_upstream(deviating=False))
    headers = signed(proxy, "GET", TASKS_URL, ak=CLIENT_AK, sk=CLIENT_SK)

    response = await proxy.get(TASKS_URL, headers=headers)

    assert response.status == 401
    assert "--upstream-ak" in (await response.json())["error_msg"]
    assert not (tmp_path / "recording" / FILE_NAME).exists()


# --- failing clearly ------------------------------------------------------------------


async def test_an_unreachable_upstream_is_a_502_and_the_proxy_keeps_serving(aiohttp_client):
    with socket.socket() as probe:  # a loopback port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    proxy = await aiohttp_client(create_app(Config(proxy_to=closed, obs_port=None)))

    response = await proxy.get(TASKS_URL, headers={"X-Auth-Token": "t"})

    assert response.status == 502
    assert (await response.json())["error_code"] == "ModelArts.0010"
    assert (await proxy.get("/openapi.json")).status == 200


async def test_compare_maps_the_ids_of_the_recorded_account(recorded, tmp_path):
    _, folder = recorded
    recording = folder / FILE_NAME
    theirs = "0123456789abcdef0123456789abcdef"
    document = yaml.safe_load(recording.read_text(encoding="utf-8").replace(DEMO_PROJECT, theirs))
    del document["rules"][0]  # no token answer to learn the project from
    recording.write_text(yaml.safe_dump(document), encoding="utf-8")

    unmapped = run_compare(str(folder), "--format", "json")
    mapped = run_compare(str(folder), "--format", "json", "--map", f"{theirs}={DEMO_PROJECT}")

    differing = [
        [
            place
            for place, entry in enumerate(json.loads(r.stdout)["interactions"], 1)
            if entry["differences"]
        ]
        for r in (unmapped, mapped)
    ]
    assert differing[0][:3] == [1, 2, 3]  # unmapped, the successes fail in another project
    assert differing[1] == [4, 5, 6]  # mapped, only the upstream's deviations remain


def test_compare_of_an_invalid_recording_exits_2_naming_the_line(tmp_path):
    (tmp_path / "recording.yaml").write_text("name: broken\nrules:\n  - respond: {status: 99}\n")

    result = run_compare(str(tmp_path))

    assert result.returncode == 2
    assert "recording.yaml:3:" in result.stderr


async def test_compare_against_a_running_emulator(recorded, aiohttp_server, tmp_path):
    _, folder = recorded
    server = await aiohttp_server(create_app(Config(obs_port=None)))
    process = await asyncio.create_subprocess_exec(
        *EMULATOR_COMMAND,
        "compare",
        str(folder),
        "--against",
        str(server.make_url("")),
        "--format",
        "json",
        "--password",
        "demo-password",
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()

    report = json.loads(output)
    assert process.returncode == 1
    assert report["against"] == str(server.make_url("")).rstrip("/")
    assert [
        place for place, entry in enumerate(report["interactions"], 1) if not entry["same"]
    ] == [5, 6, 7]


def test_upstream_keys_go_together(tmp_path):
    with pytest.raises(StartupError, match="--upstream-ak and --upstream-sk go together"):
        create_app(Config(proxy_to="http://127.0.0.1:1", upstream_ak="ak", obs_port=None))


def test_record_without_an_upstream_stops_the_start(tmp_path):
    result = subprocess.run(
        [*EMULATOR_COMMAND, "--record", str(tmp_path), "--port", "0", "--obs-port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "--record and --proxy-iam-to need --proxy-to" in result.stderr


def test_upstream_keys_come_from_the_environment():
    config = load_config(
        ["--proxy-to", "https://modelarts.example.test/"],
        {"MODELARTS_EMULATOR_UPSTREAM_AK": "ak", "MODELARTS_EMULATOR_UPSTREAM_SK": "sk"},
    )

    assert (config.proxy_to, config.upstream_ak, config.upstream_sk) == (
        "https://modelarts.example.test",
        "ak",
        "sk",
    )


def test_proxy_to_must_be_an_http_url():
    with pytest.raises(SystemExit):
        load_config(["--proxy-to", "modelarts.example.test"], {})
