"""Check a request's IAM token or AK/SK signature, in the configured mode.

- off: nothing is checked;
- permissive (default): a token or an ``SDK-HMAC-SHA256`` signature must be present; any
  token passes; a signature is verified when its access key is known;
- strict: tokens must come from this emulator's IAM, be unexpired and scoped to the
  URL's project; access keys must be known, signatures valid, ``host`` and
  ``X-Sdk-Date`` signed, ``X-Sdk-Date`` within 15 minutes, and temporary keys must bring
  their ``X-Security-Token``; a token or key reaches only its own domain's projects.

Wherever a signature is verified, ``X-Sdk-Content-Sha256`` counts only when it is signed
and equal to the body's SHA-256, and the body is read by the one body reader (size limit
and ``--body-timeout``). Header values that are not UTF-8 are refused as bad credentials.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from aiohttp import web

from emulator.api import keys
from emulator.api.payloads import read_body
from emulator.auth.identity import Credential, Domain, Identities
from emulator.auth.signature import (
    CONTENT_HASH_HEADER,
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
# Strict mode: what a signature must cover, so it cannot be replayed to another host or
# at another time.
REQUIRED_SIGNED_HEADERS = ("host", "x-sdk-date")


async def check_request(request: web.Request, *, strict: bool) -> Credential | None:
    """Raise the service's refusal if the request is not authenticated in this mode.

    Returns the known credential a verified signature was made with, if any.
    """
    identities = keys.shared(request, keys.IDENTITIES)
    token = request.headers.get("X-Auth-Token", "").strip()
    authorization = request.headers.get("Authorization", "").strip()
    if token:
        if strict:
            _check_token(request, identities, token)
        return None
    if authorization:
        return await _check_signature(request, identities, authorization, strict=strict)
    raise ModelArtsError(NO_TOKEN)


def signing_access_key(authorization: str) -> str | None:
    """The access key an ``Authorization`` header names, if it is a signature."""
    try:
        return parse_authorization(authorization).access_key
    except SignatureFormatError:
        return None


def _url_project(request: web.Request) -> str | None:
    return request.match_info.get("project_id")


def _check_token(request: web.Request, identities: Identities, value: str) -> None:
    token = identities.token(value)
    if token is None:
        raise ModelArtsError(
            TOKEN_INVALID, status=401, detail="(the token was not issued by this emulator's IAM)"
        )
    if token.expired(keys.shared(request, keys.EMULATOR).clock.now_ms()):
        raise ModelArtsError(TOKEN_EXPIRED)
    if token.project is None:
        raise ModelArtsError(NO_PROJECT_IN_TOKEN)
    project_id = _url_project(request)
    if project_id is not None and project_id != token.project.project_id:
        raise ModelArtsError(PROJECT_MISMATCH, status=403)
    _check_tenancy(identities, project_id, token.user.domain)


def _check_tenancy(identities: Identities, project_id: str | None, domain: Domain) -> None:
    """Strict: the URL's project must be a project of the caller's domain."""
    if project_id is None or identities.project_of_domain(project_id, domain) is not None:
        return
    raise ModelArtsError(
        PROJECT_MISMATCH,
        status=403,
        detail=f"(project {project_id} is not a project of domain {domain.name})",
    )


async def _check_signature(
    request: web.Request, identities: Identities, authorization: str, *, strict: bool
) -> Credential | None:
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
        return None
    if strict:
        missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in signed.signed_headers]
        if missing:
            raise ModelArtsError(
                BAD_AUTHORIZATION,
                status=401,
                detail=f"(SignedHeaders must include {', '.join(missing)})",
            )
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
        _check_tenancy(identities, url_project, credential.user.domain)
    headers = _signed_header_values(request, signed.signed_headers)
    body = await read_body(request)
    _check_content_hash(headers, body)
    canonical = canonical_request(
        request.method,
        request.raw_path.split("?", 1)[0],
        list(request.query.items()),
        headers,
        signed.signed_headers,
        body,
    )
    try:
        expected = signature(credential.secret_key, sdk_date, canonical)
    except UnicodeEncodeError:
        raise ModelArtsError(
            BAD_AUTHORIZATION, status=401, detail="(the request line is not UTF-8)"
        ) from None
    if not signatures_equal(expected, signed.signature):
        raise ModelArtsError(
            BAD_AUTHORIZATION, status=403, detail="(the signature does not match the request)"
        )
    return credential


def _signed_header_values(request: web.Request, names: tuple[str, ...]) -> dict[str, str]:
    """The signed headers by lower-case name; a value that is not UTF-8 cannot be signed."""
    values = {}
    for name in names:
        value = request.headers.get(name)
        if value is None:
            continue
        if not _is_utf8(value):
            raise ModelArtsError(
                BAD_AUTHORIZATION, status=401, detail=f"(header {name} is not UTF-8)"
            )
        values[name] = value
    return values


def _is_utf8(text: str) -> bool:
    """aiohttp keeps undecodable header bytes as lone surrogates; those are not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_content_hash(headers: dict[str, str], body: bytes) -> None:
    """``X-Sdk-Content-Sha256`` stands for the body only when signed and equal to its hash.

    Unsigned, it is ignored (the body's own hash is signed over); an empty body is signed
    as the hash of nothing whatever the header says, as SDKs do.
    """
    claimed = headers.get(CONTENT_HASH_HEADER)
    if claimed is None or not body:
        return
    if claimed.strip().lower() != hashlib.sha256(body).hexdigest():
        raise ModelArtsError(
            BAD_AUTHORIZATION,
            status=403,
            detail=f"(the signed {CONTENT_HASH_HEADER} is not the SHA-256 of the body)",
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
