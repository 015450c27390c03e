"""Keystone version discovery, as OpenStack clients (keystoneauth) do it before asking
for a token: ``GET /`` lists the identity versions, ``GET /v3`` describes the one there is.
Both answer without authentication, as Keystone does."""

from __future__ import annotations

from aiohttp import web

from emulator.api.json_body import json_response

MEDIA_TYPES = [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]
UPDATED = "2025-08-26T00:00:00Z"  # the date of the reference pages the emulator follows


def _version(request: web.Request) -> dict:
    return {
        "id": "v3.0",
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{request.scheme}://{request.host}/v3/"}],
        "media-types": MEDIA_TYPES,
    }


async def versions(request: web.Request) -> web.Response:
    """GET /: the identity API versions (Keystone answers 300 Multiple Choices)."""
    return json_response({"versions": {"values": [_version(request)]}}, status=300)


async def version(request: web.Request) -> web.Response:
    """GET /v3: the v3 identity API."""
    return json_response({"version": _version(request)})
