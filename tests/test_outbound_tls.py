"""Outbound TLS of the command: record mode verifies its upstream with the CAs the user
trusts, although the command imports aiohttp without reading a CA bundle."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulator.outbound_tls import CA_FILE_VARIABLE, ca_bundle_skipped, client_ssl
from tests.conftest import EMULATOR_COMMAND, TASKS_URL


def _self_signed(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 that is its own CA: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstream.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "upstream.pem", folder / "upstream.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
async def tls_upstream(tmp_path):
    """An HTTPS upstream on loopback answering every request; yields (URL, its CA file)."""
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.set_alpn_protocols(["http/1.1"])

    async def answer(request: web.Request) -> web.Response:
        alpn = request.transport.get_extra_info("ssl_object").selected_alpn_protocol()
        return web.json_response({"upstream": "tls", "path": request.path, "alpn": alpn})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    yield f"https://127.0.0.1:{port}", cert_file
    await runner.cleanup()


async def _through_proxy(upstream: str, env: dict[str, str]) -> tuple[int, bytes]:
    """Start the command in record mode towards ``upstream`` and send it one request."""
    process = await asyncio.create_subprocess_exec(
        *EMULATOR_COMMAND,
        *("--proxy-to", upstream, "--port", "0", "--obs-port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        url = banner.split("listening on ", 1)[1].strip()
        reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        writer.write(
            f"GET {TASKS_URL} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: t\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        status = int(answer.split(b" ", 2)[1])
        return status, answer.partition(b"\r\n\r\n")[2]
    finally:
        process.terminate()
        await process.wait()


async def test_record_mode_reaches_an_https_upstream_the_users_ca_file_vouches_for(
    tls_upstream,
):
    upstream, ca_file = tls_upstream

    status, body = await _through_proxy(upstream, {**os.environ, CA_FILE_VARIABLE: ca_file})

    assert status == 200
    assert json.loads(body)["upstream"] == "tls"
    assert json.loads(body)["alpn"] == "http/1.1"  # offered, as aiohttp's own context does


async def test_record_mode_refuses_an_upstream_no_trusted_ca_vouches_for(tls_upstream):
    upstream, _ = tls_upstream
    env = {key: value for key, value in os.environ.items() if key != CA_FILE_VARIABLE}

    status, body = await _through_proxy(upstream, env)

    assert status == 502
    assert b"ClientConnectorCertificateError" in body


def test_contexts_made_while_skipping_hold_no_ca_and_the_variable_comes_back():
    script = (
        "import os, ssl\n"
        "from emulator.outbound_tls import CA_FILE_VARIABLE, ca_bundle_skipped\n"
        "with ca_bundle_skipped():\n"
        "    print(ssl.create_default_context().cert_store_stats()['x509_ca'])\n"
        "print(os.environ.get(CA_FILE_VARIABLE))\n"
    )
    for before in ("/somewhere/bundle.pem", None):
        env = {key: value for key, value in os.environ.items() if key != CA_FILE_VARIABLE}
        if before is not None:
            env[CA_FILE_VARIABLE] = before
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )

        assert result.stdout.split("\n")[:2] == ["0", str(before)]


def test_plain_http_targets_use_no_context_of_their_own():
    assert client_ssl("http://127.0.0.1:8080", "HTTP://localhost") is True
    assert isinstance(client_ssl("http://a", "https://b"), ssl.SSLContext)


def test_skipping_leaves_the_variable_as_it_was_in_this_process():
    before = os.environ.get(CA_FILE_VARIABLE)
    with ca_bundle_skipped():
        assert os.environ[CA_FILE_VARIABLE] == os.devnull
    assert os.environ.get(CA_FILE_VARIABLE) == before
