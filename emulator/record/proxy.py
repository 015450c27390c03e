"""Record mode: ``/v2`` and ``/v3`` answered by an upstream, each interaction recorded.

With ``--proxy-to`` the emulator mounts these forwarding sub-apps in place of its own
ModelArts and IAM ones; the root app's journal, access log and control API stay. Token
requests pass their token through; AK/SK-signed ones are signed again for the upstream
(``resign``). What the upstream says is what the client gets, byte for byte, and what
the recording keeps (secrets masked).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from yarl import URL

from emulator.api.payloads import read_body
from emulator.codes import BAD_AUTHORIZATION, INTERNAL_ERROR
from emulator.config import Config
from emulator.errors import ModelArtsError, StartupError
from emulator.outbound_tls import client_ssl
from emulator.record.recorder import Interaction, Recorder
from emulator.record.resign import SignatureFormatError, UpstreamKeys, is_signed, resign

log = logging.getLogger("emulator.record")
UPSTREAM_TIMEOUT_SECONDS = 120
# Connection-level headers (RFC 9110 7.6.1) and those the HTTP library sets itself.
_NOT_FORWARDED = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "accept-encoding",
    }
)
_NOT_RETURNED = _NOT_FORWARDED | {"content-encoding", "date", "server"}


@dataclass
class Upstream:
    base: URL
    keys: UpstreamKeys | None
    recorder: Recorder | None
    session: aiohttp.ClientSession | None = None

    @property
    def host(self) -> str:
        """The Host header the upstream expects (and its signatures cover)."""
        host, port = self.base.raw_host or "", self.base.explicit_port
        host = f"[{host}]" if ":" in host else host  # an IPv6 address
        return host + (f":{port}" if port is not None else "")


UPSTREAM: web.AppKey[Upstream] = web.AppKey("upstream")


def proxy_configured(config: Config) -> bool:
    """Whether record mode is on; raises ``StartupError`` for settings that cannot work."""
    if config.proxy_to is None:
        if config.record is not None or config.proxy_iam_to is not None:
            raise StartupError("--record and --proxy-iam-to need --proxy-to (the upstream URL)")
        return False
    if (config.upstream_ak is None) != (config.upstream_sk is None):
        raise StartupError("--upstream-ak and --upstream-sk go together: give both or neither")
    if config.upstream_security_token is not None and config.upstream_ak is None:
        raise StartupError("--upstream-security-token goes with --upstream-ak and --upstream-sk")
    return True


def install_proxy(app: web.Application, config: Config) -> None:
    """Mount forwarding ``/v2`` and ``/v3`` sub-apps sharing one client session."""
    keys = None
    if config.upstream_ak is not None and config.upstream_sk is not None:
        keys = UpstreamKeys(config.upstream_ak, config.upstream_sk, config.upstream_security_token)
    recorder = None
    if config.record is not None:
        try:
            recorder = Recorder(config.record, upstream=config.proxy_to)
        except (OSError, ValueError) as error:
            raise StartupError(f"--record {config.record}: cannot write there ({error})") from None
    modelarts = Upstream(URL(config.proxy_to), keys, recorder)
    iam = Upstream(URL(config.proxy_iam_to or config.proxy_to), keys, recorder)
    app.add_subapp("/v2", _forwarding_app(modelarts))
    app.add_subapp("/v3", _forwarding_app(iam))

    async def client_session(_app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_SECONDS)
        tls = client_ssl(str(modelarts.base), str(iam.base))
        async with aiohttp.ClientSession(
            timeout=timeout, auto_decompress=True, connector=aiohttp.TCPConnector(ssl=tls)
        ) as session:
            modelarts.session = iam.session = session
            yield

    app.cleanup_ctx.append(client_session)
    log.info("proxying /v2 to %s and /v3 to %s", modelarts.base, iam.base)


def _forwarding_app(upstream: Upstream) -> web.Application:
    app = web.Application()
    app[UPSTREAM] = upstream
    app.router.add_route("*", "", forward)  # the prefix itself: GET /v3 is IAM discovery
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def forward(request: web.Request) -> web.Response:
    """Send the request upstream as the client sent it (re-signed if signed); return its answer."""
    upstream = request.app[UPSTREAM]
    body = await read_body(request)  # bounded in size and time, like every reader
    headers = {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower() not in _NOT_FORWARDED and not name.lower().startswith("x-emulator-")
    }
    headers["host"] = upstream.host
    raw_path = upstream.base.raw_path.rstrip("/") + request.raw_path.split("?", 1)[0]
    if is_signed(headers):
        headers = _resigned(upstream, request, raw_path, headers, body)
    query = request.raw_path.partition("?")[2]
    target = str(upstream.base.origin()) + raw_path + (f"?{query}" if query else "")
    assert upstream.session is not None, "the session starts with the app"
    try:
        async with upstream.session.request(
            request.method,
            URL(target, encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as answer:
            answer_body = await answer.read()
            status, answer_headers = answer.status, answer.headers
    except (aiohttp.ClientError, TimeoutError) as error:
        raise ModelArtsError(
            INTERNAL_ERROR,
            http_status=502,
            detail=f"(the upstream {upstream.base} did not answer: {type(error).__name__})",
        ) from None
    if upstream.recorder is not None:
        upstream.recorder.add(
            Interaction(
                method=request.method,
                path=request.path,
                query={name: request.query.getone(name) for name in request.query},
                request_body=body,
                status=status,
                response_headers=answer_headers,
                response_body=answer_body,
            )
        )
    returned = [
        (name, value) for name, value in answer_headers.items() if name.lower() not in _NOT_RETURNED
    ]
    return web.Response(status=status, body=answer_body, headers=returned)


def _resigned(
    upstream: Upstream, request: web.Request, raw_path: str, headers: dict, body: bytes
) -> dict[str, str]:
    if upstream.keys is None:
        raise ModelArtsError(
            BAD_AUTHORIZATION,
            status=401,
            detail="(the recording proxy re-signs AK/SK requests for the upstream: "
            "start it with --upstream-ak and --upstream-sk)",
        )
    try:
        return resign(
            upstream.keys, request.method, raw_path, list(request.query.items()), headers, body
        )
    except SignatureFormatError as error:
        raise ModelArtsError(BAD_AUTHORIZATION, status=401, detail=f"({error})") from None
