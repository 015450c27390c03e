"""S3 and OBS request signatures (AWS V2, AWS V4 and the OBS signature), checked as OBS does.

Pure Python: the S3 listener hands over a request's method, raw path and query, headers and
body, and a way to find an access key's credential. Three schemes, each in the
``Authorization`` header or in the query string (presigned URLs):

- V2 (``AWS AK:sig``) and OBS (``OBS AK:sig``): base64 HMAC-SHA1 of method, Content-MD5,
  Content-Type, the date (empty when ``x-amz-date``/``x-obs-date`` is sent; ``Expires`` in
  a URL), the ``x-amz-``/``x-obs-`` headers, and the path with its sub-resources. boto3 and
  esdk-obs-python name different sub-resources, so both lists are tried.
- V4 (``AWS4-HMAC-SHA256``): hex HMAC-SHA256, under a key derived from the date, region and
  service of the credential scope, of the hashed canonical request; a hex
  ``x-amz-content-sha256`` must also be the body's hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from emulator.auth.identity import Credential

MAX_CLOCK_SKEW = timedelta(minutes=15)
V4_ALGORITHM = "AWS4-HMAC-SHA256"
V4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_V2 = re.compile(r"^(?P<scheme>AWS|OBS) (?P<access>[^:\s]+):(?P<signature>\S+)$")
# The longest StringToSign or CanonicalRequest a SignatureDoesNotMatch error shows whole.
MAX_ECHOED_CHARS = 64 * 1024
_V4_FIELD = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Sub-resources that take part in a V2 signature, as botocore lists them ...
BOTOCORE_SUBRESOURCES = _words(
    "accelerate acl cors defaultObjectAcl location logging partNumber policy "
    "requestPayment torrent versioning versionId versions website uploads uploadId "
    "response-content-type response-content-language response-expires "
    "response-cache-control response-content-disposition response-content-encoding "
    "delete lifecycle tagging restore storageClass notification replication analytics "
    "metrics inventory select select-type object-lock"
)
# ... and as OBS (and esdk-obs-python) list them, compared in lower case.
OBS_SUBRESOURCES = _words(
    "acl backtosource policy torrent logging location storageinfo quota storageclass "
    "storagepolicy requestpayment versions versioning versionid uploads uploadid "
    "partnumber website notification dispolicy lifecycle deletebucket delete cors "
    "restore tagging replication metadata encryption publicaccessblock bucketstatus "
    "policystatus x-obs-accesslabel inventory obscompresspolicy object-lock retention "
    "directcoldaccess append position truncate modify rename length name fileinterface "
    "response-content-type response-content-language response-expires "
    "response-cache-control response-content-disposition response-content-encoding "
    "x-image-save-bucket x-image-save-object x-image-process x-oss-process"
)


@dataclass(frozen=True)
class S3Request:
    """What a signature covers. ``headers``: lower-case names, repeated values joined by ','."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def query(self) -> list[tuple[str, str | None]]:
        """Decoded pairs in order; ``None`` for a name sent without ``=``."""
        pairs: list[tuple[str, str | None]] = []
        for part in self.raw_query.split("&") if self.raw_query else []:
            name, equals, value = part.partition("=")
            pairs.append((unquote(name), unquote(value) if equals else None))
        return pairs

    def query_value(self, name: str) -> str | None:
        return next((v for k, v in self.query if k.lower() == name.lower()), None)


@dataclass
class S3Error(Exception):
    """A refusal with the S3/OBS error code and the extra fields its XML carries."""

    code: str
    message: str
    status: int = 403
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Claim:
    scheme: str  # "v2", "obs" or "v4"
    access_key: str
    signature: str
    presigned: bool
    signed_headers: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()  # date, region, service, "aws4_request"


def is_signed(request: S3Request) -> bool:
    """The request carries a signature (checked or not); raises ``S3Error`` if malformed."""
    return _claim(request) is not None


def verify(
    request: S3Request,
    credential_for: Callable[[str], Credential | None],
    now: datetime | None = None,
) -> Credential:
    """The signer's credential; raises ``S3Error`` as OBS would refuse the request."""
    now = now or datetime.now(UTC)
    claim = _claim(request)
    if claim is None:
        raise S3Error("AccessDenied", "Access Denied")
    credential = credential_for(claim.access_key)
    if credential is None:
        raise S3Error(
            "InvalidAccessKeyId",
            "The access key Id you provided does not exist in our records.",
            details={"AWSAccessKeyId": claim.access_key},
        )
    if claim.scheme == "v4":
        _verify_v4(request, claim, credential, now)
    else:
        _verify_v2(request, claim, credential, now)
    _check_security_token(request, claim, credential)
    return credential


# --- reading the claim ----------------------------------------------------------------


def _claim(request: S3Request) -> _Claim | None:
    authorization = request.headers.get("authorization", "").strip()
    if authorization:
        return _header_claim(authorization)
    if request.query_value("X-Amz-Signature") is not None:
        if request.query_value("X-Amz-Algorithm") != V4_ALGORITHM:
            raise S3Error(
                "AuthorizationQueryParametersError",
                f"X-Amz-Algorithm only supports {V4_ALGORITHM}",
                status=400,
            )
        credential = request.query_value("X-Amz-Credential") or ""
        headers = request.query_value("X-Amz-SignedHeaders") or ""
        return _v4_claim(credential, headers, request.query_value("X-Amz-Signature") or "", True)
    signature = request.query_value("Signature")
    if signature is None:
        return None
    for name, scheme in (("AWSAccessKeyId", "v2"), ("AccessKeyId", "obs")):
        access_key = request.query_value(name)
        if access_key:
            return _Claim(scheme, access_key, signature, presigned=True)
    raise S3Error(
        "AccessDenied",
        "Query-string authentication requires the Signature, Expires and "
        "AWSAccessKeyId (or AccessKeyId) parameters",
    )


def _header_claim(authorization: str) -> _Claim:
    found = _V2.match(authorization)
    if found is not None:
        scheme = "obs" if found.group("scheme") == "OBS" else "v2"
        return _Claim(scheme, found.group("access"), found.group("signature"), presigned=False)
    if authorization.startswith(V4_ALGORITHM + " "):
        fields = dict(_V4_FIELD.findall(authorization))
        return _v4_claim(
            fields.get("Credential", ""),
            fields.get("SignedHeaders", ""),
            fields.get("Signature", ""),
            False,
        )
    raise S3Error("InvalidArgument", "Unsupported Authorization Type", status=400)


def _v4_claim(credential: str, signed_headers: str, signature: str, presigned: bool) -> _Claim:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not signed_headers or not signature:
        raise S3Error(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; expected Credential=AK/date/region/"
            "service/aws4_request, SignedHeaders=... and Signature=...",
            status=400,
        )
    names = tuple(signed_headers.lower().split(";"))
    if "host" not in names:
        raise S3Error("AuthorizationHeaderMalformed", "The host header must be signed.", status=400)
    return _Claim(
        "v4",
        parts[0],
        signature,
        presigned,
        signed_headers=names,
        scope=tuple(parts[1:]),
    )


# --- V2 and OBS -----------------------------------------------------------------------


def _verify_v2(request: S3Request, claim: _Claim, credential: Credential, now: datetime) -> None:
    prefix = "x-obs-" if claim.scheme == "obs" else "x-amz-"
    if claim.presigned:
        date_line = request.query_value("Expires") or ""
        _check_expires(date_line, now)
    else:
        date_line = "" if prefix + "date" in request.headers else request.headers.get("date", "")
        _check_skew(_http_date(request.headers.get(prefix + "date") or date_line), now)
    subresources = [_obs_subresource(prefix)]
    if claim.scheme == "v2":
        subresources.append(BOTOCORE_SUBRESOURCES.__contains__)
    paths = [request.raw_path]
    if request.raw_path.count("/") == 1 and len(request.raw_path) > 1:
        paths.append(request.raw_path + "/")  # botocore signs a bucket as "/bucket/"
    candidates = [
        _string_to_sign_v2(request, prefix, date_line, path, included)
        for path in paths
        for included in subresources
    ]
    for string_to_sign in candidates:
        digest = hmac.new(_utf8(credential.secret_key), _utf8(string_to_sign), hashlib.sha1)
        expected = base64.b64encode(digest.digest()).decode("ascii")
        if hmac.compare_digest(expected, claim.signature):
            return
    raise _mismatch(claim, StringToSign=candidates[0])


def _obs_subresource(prefix: str) -> Callable[[str], bool]:
    def included(name: str) -> bool:
        lower = name.lower()
        return lower in OBS_SUBRESOURCES or lower.startswith(prefix)

    return included


def _string_to_sign_v2(
    request: S3Request,
    prefix: str,
    date_line: str,
    resource: str,
    subresource: Callable[[str], bool],
) -> str:
    headers = request.headers
    lines = [
        request.method.upper(),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        date_line,
    ]
    lines += [f"{name}:{headers[name]}" for name in sorted(headers) if name.startswith(prefix)]
    pairs = sorted(
        ((name, value) for name, value in request.query if subresource(name)),
        key=lambda pair: pair[0],
    )
    if pairs:
        resource += "?" + "&".join(name if v is None else f"{name}={v}" for name, v in pairs)
    return "\n".join([*lines, resource])


# --- V4 -------------------------------------------------------------------------------


def _verify_v4(request: S3Request, claim: _Claim, credential: Credential, now: datetime) -> None:
    headers = request.headers
    amz_date = request.query_value("X-Amz-Date") if claim.presigned else headers.get("x-amz-date")
    if amz_date is None and "date" in headers:
        amz_date = _http_date(headers["date"]).strftime(V4_DATE_FORMAT)
    try:
        signed_at = datetime.strptime(amz_date or "", V4_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise S3Error(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        ) from None
    if claim.scope[0] != amz_date[:8]:
        raise S3Error(
            "AuthorizationHeaderMalformed",
            f"The credential date {claim.scope[0]!r} is not the date of {amz_date!r}",
            status=400,
        )
    if claim.presigned:
        _check_v4_expiry(request, signed_at, now)
    else:
        _check_skew(signed_at, now)
    sent_hash = None if claim.presigned else headers.get("x-amz-content-sha256")
    payload_hash = UNSIGNED_PAYLOAD if claim.presigned else sent_hash or _sha256_hex(request.body)
    canonical = "\n".join(
        [
            request.method.upper(),
            request.raw_path or "/",
            _v4_query(request, claim.presigned),
            "".join(
                f"{name}:{_v4_header_value(headers.get(name, ''))}\n"
                for name in claim.signed_headers
            ),
            ";".join(claim.signed_headers),
            payload_hash,
        ]
    )
    scope = "/".join(claim.scope)
    string_to_sign = "\n".join([V4_ALGORITHM, amz_date, scope, _sha256_hex(_utf8(canonical))])
    key = _utf8("AWS4" + credential.secret_key)
    for part in claim.scope:
        key = hmac.new(key, _utf8(part), hashlib.sha256).digest()
    expected = hmac.new(key, _utf8(string_to_sign), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, claim.signature.lower()):
        raise _mismatch(claim, StringToSign=string_to_sign, CanonicalRequest=canonical)
    # A hash the client sent must be the body's (one computed here is: not hashed twice).
    if sent_hash and _HEX_SHA256.match(sent_hash) and sent_hash != _sha256_hex(request.body):
        raise S3Error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            status=400,
            details={"ClientComputedContentSHA256": payload_hash},
        )


def _v4_query(request: S3Request, presigned: bool) -> str:
    pairs = [
        (_rfc3986(name), _rfc3986(value or ""))
        for name, value in request.query
        if not (presigned and name == "X-Amz-Signature")
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _v4_header_value(value: str) -> str:
    return " ".join(value.split())


def _check_v4_expiry(request: S3Request, signed_at: datetime, now: datetime) -> None:
    expires = request.query_value("X-Amz-Expires") or ""
    if not expires.isascii() or not expires.isdigit() or int(expires) > 7 * 24 * 3600:
        raise S3Error(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be a number of seconds up to 604800",
            status=400,
        )
    if now > signed_at + timedelta(seconds=int(expires)):
        raise S3Error("AccessDenied", "Request has expired")


# --- shared ---------------------------------------------------------------------------


def _check_security_token(request: S3Request, claim: _Claim, credential: Credential) -> None:
    if credential.security_token is None:
        return
    name = "x-obs-security-token" if claim.scheme == "obs" else "x-amz-security-token"
    given = request.headers.get(name) or request.query_value(name)
    if given is None or not hmac.compare_digest(_utf8(given), _utf8(credential.security_token)):
        raise S3Error(
            "InvalidToken",
            f"Temporary credentials need their security token in {name}.",
            status=400,
        )


def _check_expires(expires: str, now: datetime) -> None:
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise S3Error("AccessDenied", "Expires must be a number of seconds since the epoch")
    if now.timestamp() > int(expires):
        raise S3Error("AccessDenied", "Request has expired")


def _check_skew(signed_at: datetime, now: datetime) -> None:
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise S3Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            details={"RequestTime": signed_at.strftime(V4_DATE_FORMAT)},
        )


def _http_date(text: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            return datetime.strptime(text, V4_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise S3Error(
                "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
            ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mismatch(claim: _Claim, **details: str) -> S3Error:
    return S3Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        details={"AWSAccessKeyId": claim.access_key, "SignatureProvided": claim.signature}
        | {name: _echoed(value) for name, value in details.items()},
    )


def _echoed(text: str) -> str:
    """``text`` as the error shows it: cut past ``MAX_ECHOED_CHARS`` (a header signed
    thousands of times over makes a canonical request thousands of times the request)."""
    if len(text) <= MAX_ECHOED_CHARS:
        return text
    return f"{text[:MAX_ECHOED_CHARS]}... [{len(text) - MAX_ECHOED_CHARS} more characters]"


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utf8(text: str) -> bytes:
    # Header bytes that are not UTF-8 arrive as surrogates; they sign to a mismatch, not a 500.
    return text.encode("utf-8", errors="surrogatepass")
