"""Tenancy (issue 13 rows 1 and 17) and IAM for existing SDK configurations (issue 14).

Strict mode: a user, its tokens and its keys reach only their own domain's projects, and
IAM's read endpoints need a valid token. Permissive mode: IAM issues a token for any user,
password, domain and project name, so a team's SDK configuration works unchanged.
"""

from __future__ import annotations

import copy
import functools

import pytest
import yaml

from emulator.config import BUNDLED_SEED
from tests.conftest import DEMO_DATASET, DEMO_PROJECT
from tests.test_auth import password_body, signed

# libyaml's safe loader and dumper where PyYAML was built with it: the same documents.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
OTHER_PROJECT = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
OTHER_AK, OTHER_SK = "OTHERACCESSKEY000001", "other-secret-key"
DEMO_DATASETS = f"/v2/{DEMO_PROJECT}/datasets"
DEMO_DATASET_URL = f"{DEMO_DATASETS}/{DEMO_DATASET}"
OTHER_DATASETS = f"/v2/{OTHER_PROJECT}/datasets"


@functools.cache
def _bundled_seed() -> dict:
    """The bundled seed, parsed once per process (with libyaml where PyYAML has it): about
    130 tests start from it, and the pure-Python parser took several ms a time."""
    return yaml.load(BUNDLED_SEED.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def two_domain_document() -> dict:
    """The bundled seed plus a second domain (its user, access key and a project that is
    also named after the region)."""
    document = copy.deepcopy(_bundled_seed())
    document["domains"].append({"id": "b" * 32, "name": "other-domain"})
    document["users"].append(
        {"name": "other-user", "password": "other-password", "domain": "other-domain"}
    )
    document["credentials"].append(
        {"access_key": OTHER_AK, "secret_key": OTHER_SK, "user": "other-user"}
    )
    document["projects"].append({"id": OTHER_PROJECT, "name": "eu-de", "domain": "other-domain"})
    return document


def write_seed(tmp_path, document: dict):
    path = tmp_path / "two-domains.yaml"
    path.write_text(yaml.dump(document, Dumper=_YAML_DUMPER), encoding="utf-8")
    return path


@pytest.fixture
def two_domains(tmp_path):
    return write_seed(tmp_path, two_domain_document())


def other_user(scope: dict) -> dict:
    body = password_body(scope=scope)
    body["auth"]["identity"]["password"]["user"].update(
        {"name": "other-user", "password": "other-password", "domain": {"name": "other-domain"}}
    )
    return body


@pytest.fixture
async def strict(make_client, two_domains):
    return await make_client(token=None, auth="strict", seed=two_domains)


@pytest.fixture
async def permissive(make_client, two_domains):
    return await make_client(token=None, seed=two_domains)


async def _token(client, body: dict) -> str:
    response = await client.post("/v3/auth/tokens", json=body)
    assert response.status == 201, await response.text()
    return response.headers["X-Subject-Token"]


async def _code(response) -> tuple[int, str]:
    return response.status, (await response.json())["error_code"]


# --- row 1: strict tenancy --------------------------------------------------------------


async def test_a_user_cannot_scope_a_token_to_another_domains_project(strict):
    response = await strict.post(
        "/v3/auth/tokens", json=other_user({"project": {"id": DEMO_PROJECT}})
    )

    assert response.status == 401
    assert (await response.json())["error"]["code"] == 401


async def test_a_user_cannot_scope_a_token_to_another_domain(strict):
    response = await strict.post(
        "/v3/auth/tokens", json=other_user({"domain": {"name": "demo-domain"}})
    )

    assert (await response.json())["error"]["code"] == 401


async def test_a_region_name_scopes_to_the_users_own_project(strict):
    response = await strict.post("/v3/auth/tokens", json=other_user({"project": {"name": "eu-de"}}))

    assert (await response.json())["token"]["project"]["id"] == OTHER_PROJECT


async def test_a_token_cannot_reach_another_domains_project(strict):
    token = await _token(strict, other_user({"project": {"name": "eu-de"}}))

    listed = await strict.get(DEMO_DATASETS, headers={"X-Auth-Token": token})
    deleted = await strict.delete(DEMO_DATASET_URL, headers={"X-Auth-Token": token})

    assert await _code(listed) == (403, "ModelArts.0210")
    assert await _code(deleted) == (403, "ModelArts.0210")


async def test_a_key_cannot_sign_for_another_domains_project(strict):
    headers = signed(strict, "GET", DEMO_DATASETS, ak=OTHER_AK, sk=OTHER_SK)

    assert await _code(await strict.get(DEMO_DATASETS, headers=headers)) == (403, "ModelArts.0210")


async def test_a_key_signs_for_its_own_domains_project(strict):
    headers = signed(
        strict,
        "GET",
        OTHER_DATASETS,
        ak=OTHER_AK,
        sk=OTHER_SK,
        extra={"X-Project-Id": OTHER_PROJECT},
    )

    assert (await strict.get(OTHER_DATASETS, headers=headers)).status == 200


async def test_a_key_cannot_sign_for_a_project_no_domain_has(strict):
    url = "/v2/0000000000000000000000000000aaaa/datasets"
    headers = signed(strict, "GET", url, extra={"X-Project-Id": "0000000000000000000000000000aaaa"})

    assert await _code(await strict.get(url, headers=headers)) == (403, "ModelArts.0210")


async def test_the_demo_domain_still_reaches_its_project(strict):
    token = await _token(strict, password_body())

    assert (await strict.get(DEMO_DATASETS, headers={"X-Auth-Token": token})).status == 200


async def test_permissive_mode_stays_permissive_across_domains(permissive):
    headers = signed(permissive, "GET", DEMO_DATASETS, ak=OTHER_AK, sk=OTHER_SK)

    assert (await permissive.get(DEMO_DATASETS, headers=headers)).status == 200


# --- row 17: IAM's read endpoints need a valid token in strict mode -----------------------


@pytest.mark.parametrize("path", ["/v3/auth/tokens", "/v3/projects?name=eu-de"])
async def test_a_garbage_token_cannot_read_iam(strict, path):
    token = await _token(strict, password_body())
    headers = {"X-Auth-Token": "garbage", "X-Subject-Token": token}

    response = await strict.get(path, headers=headers)

    assert response.status == 401
    assert (await response.json())["error"]["title"] == "Unauthorized"


async def test_projects_lists_only_the_callers_domain(strict):
    token = await _token(strict, other_user({"project": {"name": "eu-de"}}))

    response = await strict.get("/v3/projects?name=eu-de", headers={"X-Auth-Token": token})

    assert [p["id"] for p in (await response.json())["projects"]] == [OTHER_PROJECT]


async def test_a_signed_request_reads_projects_of_its_domain(strict):
    headers = signed(strict, "GET", "/v3/projects?name=eu-de", ak=OTHER_AK, sk=OTHER_SK)

    response = await strict.get("/v3/projects?name=eu-de", headers=headers)

    assert [p["id"] for p in (await response.json())["projects"]] == [OTHER_PROJECT]


async def test_tokens_of_another_domain_are_not_found(strict):
    demo = await _token(strict, password_body())
    other = await _token(strict, other_user({"project": {"name": "eu-de"}}))

    response = await strict.get(
        "/v3/auth/tokens", headers={"X-Auth-Token": other, "X-Subject-Token": demo}
    )

    assert response.status == 404


# --- issue 14: existing SDK configuration, permissive mode ------------------------------


def team_config(project: str, password: str = "their-real-password") -> dict:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "alice",
                        "password": password,
                        "domain": {"name": "acme-cloud"},
                    }
                },
            },
            "scope": {"project": {"name": project}},
        }
    }


async def test_any_user_gets_a_token_for_a_seeded_region(make_client):
    client = await make_client(token=None)

    response = await client.post("/v3/auth/tokens", json=team_config("eu-de"))
    token = (await response.json())["token"]

    assert response.status == 201
    assert (token["user"]["name"], token["user"]["domain"]["name"]) == ("alice", "acme-cloud")
    assert token["project"]["id"] == DEMO_PROJECT


async def test_an_unknown_project_name_is_made_in_the_users_domain(make_client):
    client = await make_client(token=None)

    first = await (await client.post("/v3/auth/tokens", json=team_config("ap-x"))).json()
    again = await client.post("/v3/auth/tokens", json=team_config("ap-x", "other-password"))
    listed = await client.get("/v3/projects?name=ap-x", headers={"X-Auth-Token": "any"})

    project = first["token"]["project"]
    assert project["domain"]["name"] == "acme-cloud"
    assert (await again.json())["token"]["project"]["id"] == project["id"]
    assert [p["id"] for p in (await listed.json())["projects"]] == [project["id"]]


@pytest.mark.parametrize("where", ["user", "domain", "project"])
async def test_a_name_over_255_characters_is_refused(make_client, where):
    client = await make_client(token=None)
    body = team_config("ap-long")
    user = body["auth"]["identity"]["password"]["user"]
    named = {"user": user, "domain": user["domain"], "project": body["auth"]["scope"]["project"]}
    named[where]["name"] = "n" * 256

    response = await client.post("/v3/auth/tokens", json=body)

    assert response.status == 400
    assert (await response.json())["error"]["message"] == (
        "Invalid input: a name or id of 256 characters (at most 255)."
    )


async def test_project_lookup_by_an_unknown_region_answers_a_project(make_client):
    client = await make_client(token=None)
    headers = signed(client, "GET", "/v3/projects?name=ap-y")

    listed = await (await client.get("/v3/projects?name=ap-y", headers=headers)).json()

    assert [p["name"] for p in listed["projects"]] == ["ap-y"]


async def test_strict_mode_keeps_checking_users(make_client):
    client = await make_client(token=None, auth="strict")

    response = await client.post("/v3/auth/tokens", json=team_config("eu-de"))

    assert response.status == 401


def test_a_project_naming_an_unknown_domain_is_refused_at_start(tmp_path):
    from emulator.app import create_app
    from emulator.config import Config
    from emulator.errors import StartupError

    document = yaml.safe_load(BUNDLED_SEED.read_text(encoding="utf-8"))
    document["projects"].append({"id": OTHER_PROJECT, "name": "x", "domain": "no-such-domain"})
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.dump(document, Dumper=_YAML_DUMPER), encoding="utf-8")

    with pytest.raises(StartupError, match="no domain named 'no-such-domain'"):
        create_app(Config(seed=path))


async def test_the_mint_helper_keeps_users_in_their_domain(strict):
    minted = await strict.post(
        "/_emulator/iam/tokens", json={"user": "other-user", "project": DEMO_PROJECT}
    )

    assert (minted.status, (await minted.json())["error_code"]) == (400, "ModelArts.4200")
