"""Check a request's IAM token or AK/SK signature, in the configured mode.

- off: nothing is checked;
- permissive (default): a token or an ``SDK-HMAC-SHA256`` signature must be present; any
  token passes; a signature is verified when its access key is known;
- strict: tokens must come from this emulator's IAM, be unexpired and scoped to the
  URL's project; access keys must be known, signatures valid, ``X-Sdk-Date`` within 15
  minutes, and temporary keys must bring their ``X-Security-Token``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from emulator.api import keys
from emulator.auth.identity import Identities
from emulator.auth.signature import (
    SignatureFormatError,
    canonical_request,
    parse_authorization,
    parse_sdk_date,
    signature,
    signatures_equal,
)
from emulator.codes import (
    BAD_AUTHORIZATION,
    NO_PROJECT_IN_TOKEN,
    NO_TOKEN,
    PROJECT_MISMATCH,
    SIGNATURE_CHECK_FAILED,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    UNKNOWN_ACCESS_KEY,
)
from emulator.errors import ModelArtsError

MAX_CLOCK_SKEW_SECONDS = 15 * 60


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    mode = request.config_dict[keys.CONFIG].auth
    if mode == "off":
        return await handler(request)
    await check_request(request, strict=mode == "strict")
    return await handler(request)


async def check_request(request: web.Request, *, strict: bool) -> None:
    """Raise the service's refusal if the request is not authenticated in this mode."""
    identities = request.config_dict[keys.IDENTITIES]
    token = request.headers.get("X-Auth-Token", "").strip()
    authorization = request.headers.get("Authorization", "").strip()
    if token:
        if strict:
            _check_token(request, identities, token)
        return
    if authorization:
        await _check_signature(request, identities, authorization, strict=strict)
        return
    raise ModelArtsError(NO_TOKEN)


def _url_project(request: web.Request) -> str | None:
    return request.match_info.get("project_id")


def _check_token(request: web.Request, identities: Identities, value: str) -> None:
    token = identities.token(value)
    if token is None:
        raise ModelArtsError(
            TOKEN_INVALID, status=401, detail="(the token was not issued by this emulator's IAM)"
        )
    if token.expired(request.config_dict[keys.EMULATOR].clock.now_ms()):
        raise ModelArtsError(TOKEN_EXPIRED)
    if token.project is None:
        raise ModelArtsError(NO_PROJECT_IN_TOKEN)
    project_id = _url_project(request)
    if project_id is not None and project_id != token.project.project_id:
        raise ModelArtsError(PROJECT_MISMATCH, status=403)


async def _check_signature(
    request: web.Request, identities: Identities, authorization: str, *, strict: bool
) -> None:
    try:
        signed = parse_authorization(authorization)
    except SignatureFormatError as error:
        raise ModelArtsError(BAD_AUTHORIZATION, status=401, detail=f"({error})") from None
    credential = identities.credentials.get(signed.access_key)
    if credential is None:
        if strict:
            raise ModelArtsError(
                UNKNOWN_ACCESS_KEY, status=401, detail=f"(access key {signed.access_key})"
            )
        return
    sdk_date = request.headers.get("X-Sdk-Date")
    if sdk_date is None:
        raise ModelArtsError(BAD_AUTHORIZATION, status=401, detail="(X-Sdk-Date is missing)")
    try:
        signed_at = parse_sdk_date(sdk_date)
    except SignatureFormatError as error:
        raise ModelArtsError(BAD_AUTHORIZATION, status=401, detail=f"({error})") from None
    if strict:
        _check_freshness(signed_at)
        _check_temporary(request, credential.security_token)
        project_header = request.headers.get("X-Project-Id")
        url_project = _url_project(request)
        if project_header and url_project and project_header != url_project:
            raise ModelArtsError(PROJECT_MISMATCH, status=403)
    body = await request.read() if request.can_read_body else b""
    if request.can_read_body or body:
        request[keys.RAW_BODY] = body
    headers = {name.lower(): value for name, value in request.headers.items()}
    canonical = canonical_request(
        request.method,
        request.raw_path.split("?", 1)[0],
        list(request.query.items()),
        headers,
        signed.signed_headers,
        body,
    )
    expected = signature(credential.secret_key, sdk_date, canonical)
    if not signatures_equal(expected, signed.signature):
        raise ModelArtsError(
            BAD_AUTHORIZATION, status=403, detail="(the signature does not match the request)"
        )


def _check_freshness(signed_at: datetime) -> None:
    skew = abs((datetime.now(UTC) - signed_at).total_seconds())
    if skew > MAX_CLOCK_SKEW_SECONDS:
        raise ModelArtsError(
            SIGNATURE_CHECK_FAILED,
            detail=f"(X-Sdk-Date is {int(skew)} s away from now; at most "
            f"{MAX_CLOCK_SKEW_SECONDS} s are allowed)",
        )


def _check_temporary(request: web.Request, security_token: str | None) -> None:
    if security_token is None:
        return
    given = request.headers.get("X-Security-Token")
    if given != security_token:
        raise ModelArtsError(
            BAD_AUTHORIZATION,
            status=401,
            detail="(temporary credentials need their X-Security-Token)",
        )
