"""Authentication as the cloud does it: IAM tokens and AK/SK signatures, in each mode."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL, load_example

AK, SK = "DEMOACCESSKEY0000001", "demo-secret-key-0000000000000000000000"
TEMP_AK, TEMP_SK = "DEMOTEMPACCESSKEY001", "demo-temporary-secret-key-000000000000"
LIST_URL = f"{TASKS_URL}?limit=5&offset=0"


def password_body(password: str = "demo-password", scope: dict | None = None) -> dict:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "demo-user",
                        "password": password,
                        "domain": {"name": "demo-domain"},
                    }
                },
            },
            "scope": scope if scope is not None else {"project": {"name": "eu-de"}},
        }
    }


async def _token(client, body: dict | None = None) -> str:
    response = await client.post("/v3/auth/tokens", json=body or password_body())
    assert response.status == 201, await response.text()
    return response.headers["X-Subject-Token"]


async def _code(response) -> tuple[int, str]:
    return response.status, (await response.json())["error_code"]


@pytest.fixture
async def strict(make_client):
    return await make_client(token=None, auth="strict")


@pytest.fixture
async def permissive(make_client):
    return await make_client(token=None)


# --- IAM --------------------------------------------------------------------------------


async def test_iam_token_starts_a_task_in_strict_mode(strict):
    token = await _token(strict)

    response = await strict.post(
        TASKS_URL, json=load_example("start-auto-label.json"), headers={"X-Auth-Token": token}
    )

    assert response.status == 200


async def test_token_body_lists_the_emulators_endpoints(strict):
    response = await strict.post("/v3/auth/tokens", json=password_body())
    token = (await response.json())["token"]

    urls = {entry["type"]: entry["endpoints"][0]["url"] for entry in token["catalog"]}
    assert token["project"]["id"] == DEMO_PROJECT
    assert urls["modelartsv2"].endswith(f"/v2/{DEMO_PROJECT}")
    assert urls["identity"].endswith("/v3")
    assert {"modelarts", "obs", "object-store"} <= set(urls)
    assert token["catalog"][0]["endpoints"][0]["region"] == "eu-de"


async def test_domain_by_id_and_project_by_id(strict):
    body = password_body(scope={"project": {"id": DEMO_PROJECT}})
    body["auth"]["identity"]["password"]["user"]["domain"] = {
        "id": "7c2a9d0e5b4f4c3a8e1d6f0b2a9c8e71"
    }

    assert await _token(strict, body)


async def test_token_method_rescopes_a_token(strict):
    domain_token = await _token(strict, password_body(scope={"domain": {"name": "demo-domain"}}))
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": domain_token}},
            "scope": {"project": {"name": "eu-de"}},
        }
    }

    project_token = await _token(strict, body)

    response = await strict.get(LIST_URL, headers={"X-Auth-Token": project_token})
    assert response.status == 200


async def test_wrong_password_is_refused_in_keystone_format(strict):
    response = await strict.post("/v3/auth/tokens", json=password_body("wrong"))

    assert response.status == 401
    assert (await response.json())["error"]["code"] == 401


async def test_token_validation_and_project_lookup(strict):
    token = await _token(strict)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}

    validated = await strict.get("/v3/auth/tokens", headers=headers)
    projects = await strict.get("/v3/projects", params={"name": "eu-de"}, headers=headers)

    assert validated.status == 200
    assert (await projects.json())["projects"][0]["id"] == DEMO_PROJECT


# --- modes ------------------------------------------------------------------------------


async def test_off_mode_checks_nothing(make_client):
    client = await make_client(token=None, auth="off")
    assert (await client.get(LIST_URL)).status == 200


async def test_permissive_mode_needs_a_token_or_a_signature(permissive):
    assert await _code(await permissive.get(LIST_URL)) == (401, "ModelArts.0201")


async def test_permissive_mode_accepts_any_token(permissive):
    response = await permissive.get(LIST_URL, headers={"X-Auth-Token": "anything"})
    assert response.status == 200


async def test_permissive_mode_accepts_an_unknown_access_key(permissive):
    headers = signed(permissive, "GET", LIST_URL, ak="UNKNOWNKEY00000001", sk="whatever")
    assert (await permissive.get(LIST_URL, headers=headers)).status == 200


async def test_permissive_mode_checks_a_known_access_key(permissive):
    headers = signed(permissive, "GET", LIST_URL, sk="not-the-secret")
    assert await _code(await permissive.get(LIST_URL, headers=headers)) == (403, "ModelArts.0206")


async def test_strict_mode_refuses_a_token_it_did_not_issue(strict):
    response = await strict.get(LIST_URL, headers={"X-Auth-Token": "made-up"})
    assert await _code(response) == (401, "ModelArts.0203")


async def test_strict_mode_refuses_an_expired_token(strict):
    token = await _token(strict)
    await strict.post("/_emulator/iam/tokens/expire", json={"token": token})

    response = await strict.get(LIST_URL, headers={"X-Auth-Token": token})

    assert await _code(response) == (401, "ModelArts.0202")


async def test_tokens_expire_after_24_hours_of_the_manual_clock(make_client):
    client = await make_client(token=None, auth="strict", clock="manual")
    token = await _token(client)
    await client.post("/_emulator/clock/advance", json={"seconds": 24 * 3600})

    response = await client.get(LIST_URL, headers={"X-Auth-Token": token})

    assert await _code(response) == (401, "ModelArts.0202")


async def test_strict_mode_refuses_a_token_of_another_project(strict):
    token = await _token(strict)
    url = f"/v2/0000000000000000000000000000aaaa/datasets/{DEMO_DATASET}/tasks"

    response = await strict.get(url, headers={"X-Auth-Token": token})

    assert await _code(response) == (403, "ModelArts.0210")


async def test_strict_mode_refuses_a_domain_scoped_token(strict):
    token = await _token(strict, password_body(scope={"domain": {"name": "demo-domain"}}))

    response = await strict.get(LIST_URL, headers={"X-Auth-Token": token})

    assert await _code(response) == (401, "ModelArts.0212")


async def test_strict_mode_refuses_an_unknown_access_key(strict):
    headers = signed(strict, "GET", LIST_URL, ak="UNKNOWNKEY00000001", sk="whatever")
    assert await _code(await strict.get(LIST_URL, headers=headers)) == (401, "ModelArts.3801")


async def test_strict_mode_refuses_clock_skew(strict):
    old = datetime.now(UTC) - timedelta(minutes=16)
    headers = signed(strict, "GET", LIST_URL, when=old)

    assert await _code(await strict.get(LIST_URL, headers=headers)) == (401, "ModelArts.0208")


async def test_strict_mode_accepts_skew_within_15_minutes(strict):
    headers = signed(strict, "GET", LIST_URL, when=datetime.now(UTC) - timedelta(minutes=14))
    assert (await strict.get(LIST_URL, headers=headers)).status == 200


async def test_temporary_credentials_need_their_security_token(strict):
    without = signed(strict, "GET", LIST_URL, ak=TEMP_AK, sk=TEMP_SK)
    with_token = signed(
        strict,
        "GET",
        LIST_URL,
        ak=TEMP_AK,
        sk=TEMP_SK,
        extra={"X-Security-Token": "demo-security-token"},
    )

    assert await _code(await strict.get(LIST_URL, headers=without)) == (401, "ModelArts.0206")
    assert (await strict.get(LIST_URL, headers=with_token)).status == 200


async def test_malformed_authorization_header_is_refused(strict):
    response = await strict.get(LIST_URL, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert await _code(response) == (401, "ModelArts.0206")


async def test_library_auth_scenarios_still_answer_in_strict_mode(make_client):
    from tests.conftest import REPO

    client = await make_client(token=None, auth="strict", scenarios=(REPO / "scenarios",))
    token = await _token(client)

    response = await client.get(
        LIST_URL, headers={"X-Auth-Token": token, "X-Emulator-Scenario": "expired-token"}
    )

    assert await _code(response) == (401, "ModelArts.0202")


# --- the real signer --------------------------------------------------------------------


def signed(
    client,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    ak: str = AK,
    sk: str = SK,
    when: datetime | None = None,
    extra: dict | None = None,
) -> dict:
    """Headers huaweicloudsdkcore's Signer produces for this request to ``client``'s server."""
    path, _, query = url.partition("?")
    pairs = [
        tuple(unquote(part) for part in item.split("=", 1)) for item in query.split("&") if item
    ]
    headers = {"Content-Type": "application/json", "X-Project-Id": DEMO_PROJECT, **(extra or {})}
    if when is not None:
        headers["X-Sdk-Date"] = when.strftime("%Y%m%dT%H%M%SZ")
    host = f"{client.host}:{client.port}"
    request = SdkRequest(
        method=method,
        schema="http",
        host=host,
        resource_path=path,
        query_params=pairs,
        header_params=headers,
        body=body,
    )
    Signer(BasicCredentials(ak, sk, DEMO_PROJECT)).sign(request)
    return dict(request.header_params)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", f"{TASKS_URL}?type=auto-label&limit=10&offset=0", b""),
        ("GET", f"{TASKS_URL}?task_name=a%20b&limit=3", b""),
        ("POST", TASKS_URL, json.dumps(load_example("start-auto-label.json")).encode()),
        ("POST", TASKS_URL, json.dumps({"config": {"description": "x" * 1_000_000}}).encode()),
        ("GET", f"/v2/{DEMO_PROJECT}/datasets/数据集-1/tasks", b""),
        ("POST", f"{TASKS_URL}/NoSuchTask000000000/stop", b""),
    ],
    ids=["query", "encoded-query", "json-body", "large-body", "non-ascii-path", "empty-post"],
)
async def test_requests_signed_by_huaweicloudsdkcore_are_accepted(strict, method, url, body):
    response = await strict.request(
        method, url, data=body, headers=signed(strict, method, url, body)
    )

    assert response.status not in (401, 403), await response.text()


async def test_changed_body_byte_is_refused(strict):
    body = json.dumps(load_example("start-auto-label.json")).encode()
    headers = signed(strict, "POST", TASKS_URL, body)

    response = await strict.post(TASKS_URL, data=body.replace(b"fast", b"fasT"), headers=headers)

    assert await _code(response) == (403, "ModelArts.0206")


async def test_changed_signed_header_is_refused(strict):
    headers = signed(strict, "GET", LIST_URL)
    headers["Content-Type"] = "application/json; charset=latin-1"

    assert await _code(await strict.get(LIST_URL, headers=headers)) == (403, "ModelArts.0206")


async def test_changed_path_is_refused(strict):
    headers = signed(strict, "GET", LIST_URL)
    other = LIST_URL.replace(DEMO_DATASET, "DemoImageDataset002")

    assert await _code(await strict.get(other, headers=headers)) == (403, "ModelArts.0206")


# --- control helpers --------------------------------------------------------------------


async def test_minted_token_works_without_a_password(strict):
    minted = await strict.post(
        "/_emulator/iam/tokens", json={"user": "demo-user", "project": "eu-de"}
    )
    token = (await minted.json())["token"]

    assert minted.status == 201
    assert (await strict.get(LIST_URL, headers={"X-Auth-Token": token})).status == 200


async def test_added_credentials_sign_requests(strict):
    await strict.post(
        "/_emulator/iam/credentials",
        json={
            "access_key": "RUNTIMEKEY00000001",
            "secret_key": "runtime-secret",
            "user": "demo-user",
        },
    )

    headers = signed(strict, "GET", LIST_URL, ak="RUNTIMEKEY00000001", sk="runtime-secret")

    assert (await strict.get(LIST_URL, headers=headers)).status == 200


async def test_secrets_never_reach_the_journal(strict):
    await strict.post("/v3/auth/tokens", json=password_body())
    token = await _token(strict)
    await strict.get(LIST_URL, headers={"X-Auth-Token": token})

    journal = json.dumps(await (await strict.get("/_emulator/journal")).json())

    assert "demo-password" not in journal and token not in journal
