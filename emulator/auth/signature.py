"""AK/SK request signatures (``SDK-HMAC-SHA256``) computed the way Huawei Cloud SDKs compute them.

The canonical request is: method, canonical URI (each path segment percent-encoded, always
ending in ``/``), canonical query (pairs sorted, percent-encoded), the signed headers as
``name:value`` lines, their names joined by ``;``, and the hex SHA-256 of the body (or the
``X-Sdk-Content-Sha256`` value when that header is signed, or the hash of nothing). The
string to sign is the algorithm, the ``X-Sdk-Date`` and the hex SHA-256 of the canonical
request; the signature is the hex HMAC-SHA256 of that string under the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_HASH_HEADER = "x-sdk-content-sha256"
EMPTY_BODY_HASH = hashlib.sha256(b"").hexdigest()
_AUTHORIZATION = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*SignedHeaders=(?P<headers>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


class SignatureFormatError(ValueError):
    """The Authorization header is not an SDK-HMAC-SHA256 signature."""


@dataclass(frozen=True)
class SignedAuthorization:
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> SignedAuthorization:
    found = _AUTHORIZATION.match(value.strip())
    if found is None:
        raise SignatureFormatError(
            "expected 'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...'"
        )
    headers = tuple(found.group("headers").lower().split(";"))
    return SignedAuthorization(found.group("access"), headers, found.group("signature").lower())


def parse_sdk_date(value: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureFormatError(f"X-Sdk-Date {value!r} is not YYYYMMDDTHHMMSSZ") from None


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(raw_path: str) -> str:
    uri = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def canonical_request(
    method: str,
    raw_path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """``headers`` has lower-case names; a signed header missing from it makes no match.

    An unsigned ``X-Sdk-Content-Sha256`` is ignored: only signed values stand for the body.
    """
    lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    claimed = headers.get(CONTENT_HASH_HEADER) if CONTENT_HASH_HEADER in signed_headers else None
    payload_hash = (claimed or hashlib.sha256(body).hexdigest()) if body else EMPTY_BODY_HASH
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(query),
            lines,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def signature(secret_key: str, sdk_date: str, canonical: str) -> str:
    string_to_sign = "\n".join(
        [ALGORITHM, sdk_date.strip(), hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    return hmac.new(
        secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def signatures_equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected, given)
