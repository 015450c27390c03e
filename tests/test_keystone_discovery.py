"""OpenStack clients discover the identity API before they ask for a token."""

from __future__ import annotations

import asyncio
import logging

from keystoneauth1 import session as keystone_session
from keystoneauth1.identity import generic


async def test_identity_versions_are_listed_without_authentication(make_client):
    client = await make_client(token=None, auth="strict")

    listing = await client.get("/")
    version = await client.get("/v3")

    assert listing.status == 300
    assert [v["id"] for v in (await listing.json())["versions"]["values"]] == ["v3.0"]
    assert version.status == 200 and (await version.json())["version"]["status"] == "stable"


async def test_keystoneauth_discovers_and_gets_a_token_without_warnings(make_client, caplog):
    client = await make_client(token=None, auth="strict")
    base = str(client.make_url("")).rstrip("/")
    plugin = generic.Password(
        auth_url=base,  # discovery starts at the root, as with a cloud's bare IAM endpoint
        username="demo-user",
        password="demo-password",
        user_domain_name="demo-domain",
        project_name="eu-de",
        project_domain_name="demo-domain",
    )

    with caplog.at_level(logging.WARNING, logger="keystoneauth"):
        token = await asyncio.to_thread(keystone_session.Session(auth=plugin).get_token)

    assert token
    assert "discover" not in caplog.text.lower()
