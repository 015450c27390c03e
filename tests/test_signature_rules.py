"""What a signature must cover (issue 13 rows 6, 14 and 18), in strict mode.

``X-Sdk-Content-Sha256`` stands for the body only when it is signed and is the body's
hash; ``host`` and ``x-sdk-date`` must be signed; header bytes that are not UTF-8 are
refused as bad credentials, never a 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from tests.conftest import TASKS_URL, load_example
from tests.test_auth import AK, SK, signed

BODY = json.dumps(load_example("start-auto-label.json")).encode()
FORGED = BODY.replace(b"fast", b"fasT")
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
async def strict(make_client):
    return await make_client(token=None, auth="strict")


async def _code(response) -> tuple[int, str]:
    return response.status, (await response.json())["error_code"]


# --- row 6: the content hash -------------------------------------------------------------


async def test_an_unsigned_content_hash_cannot_vouch_for_a_swapped_body(strict):
    headers = signed(strict, "POST", TASKS_URL, BODY)
    headers["X-Sdk-Content-Sha256"] = SHA  # added after signing: not in SignedHeaders

    response = await strict.post(TASKS_URL, data=FORGED, headers=headers)

    assert await _code(response) == (403, "ModelArts.0206")


async def test_a_signed_content_hash_must_be_the_bodys(strict):
    headers = signed(strict, "POST", TASKS_URL, BODY, extra={"X-Sdk-Content-Sha256": SHA})

    response = await strict.post(TASKS_URL, data=FORGED, headers=headers)

    assert await _code(response) == (403, "ModelArts.0206")


async def test_a_signed_content_hash_equal_to_the_bodys_is_accepted(strict):
    headers = signed(strict, "POST", TASKS_URL, BODY, extra={"X-Sdk-Content-Sha256": SHA})

    response = await strict.post(TASKS_URL, data=BODY, headers=headers)

    assert response.status == 200, await response.text()


# --- row 18: what must be signed ---------------------------------------------------------


def hand_signed(client, signed_headers: dict[str, str]) -> dict:
    """A valid SDK-HMAC-SHA256 signature of a GET over exactly ``signed_headers``."""
    date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    names = sorted(signed_headers)
    canonical = "\n".join(
        [
            "GET",
            TASKS_URL + "/",
            "",
            "".join(f"{name}:{signed_headers[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(b"").hexdigest(),
        ]
    )
    to_sign = "\n".join(["SDK-HMAC-SHA256", date, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(SK.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {**signed_headers, "X-Sdk-Date": date, "Authorization": authorization}


@pytest.mark.parametrize(
    "covered",
    [
        {"x-nothing": "1"},
        {"host": "HOST"},
        {"x-sdk-date": "DATE"},
    ],
    ids=["neither", "host-only", "date-only"],
)
async def test_host_and_date_must_be_signed(strict, covered):
    date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = f"{strict.host}:{strict.port}"
    values = {
        name: value.replace("HOST", host).replace("DATE", date) for name, value in covered.items()
    }
    headers = hand_signed(strict, values)

    response = await strict.get(TASKS_URL, headers=headers)

    assert await _code(response) == (401, "ModelArts.0206")
    assert "SignedHeaders must include" in (await response.json())["error_msg"]


async def test_the_hand_signer_agrees_with_the_emulator(strict):
    host = f"{strict.host}:{strict.port}"
    date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = hand_signed(strict, {"host": host, "x-sdk-date": date})

    assert (await strict.get(TASKS_URL, headers=headers)).status == 200


# --- row 14: header bytes that are not UTF-8 ---------------------------------------------


async def raw_get(client, path: str, headers: dict[str, bytes]) -> int:
    """Send header values as raw bytes (no client library would send these)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    headers = {"Host": f"{client.host}:{client.port}".encode(), **headers}
    head = f"GET {path} HTTP/1.1\r\n".encode()
    head += b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers.items())
    writer.write(head + b"Connection: close\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_an_admin_token_that_is_not_utf8_is_refused(make_client):
    client = await make_client(admin_token="s3cret")

    status = await raw_get(client, "/_emulator/journal", {"X-Emulator-Admin-Token": b"\xff\xfe"})

    assert status == 403


@pytest.mark.parametrize("auth", ["strict", "permissive"])
async def test_a_signed_header_that_is_not_utf8_is_refused(make_client, auth):
    client = await make_client(token=None, auth=auth)
    made = signed(client, "GET", TASKS_URL, extra={"X-Trace-Id": "abc"})
    headers = {name: value.encode() for name, value in made.items()}
    headers["X-Trace-Id"] = b"\xff\xfe"

    assert await raw_get(client, TASKS_URL, headers) == 401


async def test_an_authorization_header_that_is_not_utf8_is_refused(strict):
    headers = {
        "Authorization": b"SDK-HMAC-SHA256 Access=\xff\xfe, SignedHeaders=host, Signature=00"
    }

    assert await raw_get(strict, TASKS_URL, headers) == 401
