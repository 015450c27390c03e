"""Issue 13 row 9 (tokens): expired tokens are pruned and the token table is capped."""

from __future__ import annotations

from emulator.api import keys
from emulator.auth.identity import MAX_TOKENS
from tests.test_auth import LIST_URL, password_body


async def _token(client) -> str:
    response = await client.post("/v3/auth/tokens", json=password_body())
    assert response.status == 201
    return response.headers["X-Subject-Token"]


async def test_expired_tokens_are_pruned_when_the_next_is_issued(make_client):
    client = await make_client(token=None, auth="strict", clock="manual")
    for _ in range(5):
        await _token(client)
    await client.post("/_emulator/clock/advance", json={"seconds": 24 * 3600})

    fresh = await _token(client)

    assert list(client.app[keys.IDENTITIES].tokens) == [fresh]


async def test_beyond_the_cap_the_oldest_token_is_forgotten(make_client):
    client = await make_client(token=None, auth="strict")
    client.app[keys.IDENTITIES].max_tokens = 3
    oldest = await _token(client)
    newest = [await _token(client) for _ in range(3)]

    refused = await client.get(LIST_URL, headers={"X-Auth-Token": oldest})
    accepted = await client.get(LIST_URL, headers={"X-Auth-Token": newest[0]})

    assert (refused.status, (await refused.json())["error_code"]) == (401, "ModelArts.0203")
    assert accepted.status == 200
    assert len(client.app[keys.IDENTITIES].tokens) == 3


async def test_the_default_cap_is_the_documented_one(client):
    assert client.app[keys.IDENTITIES].max_tokens == MAX_TOKENS == 10_000
