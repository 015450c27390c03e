"""Sign a forwarded request again, for the upstream's host and with the upstream's keys.

A client signs for the host it talks to (the proxy) with whatever keys it holds; the
upstream checks the signature against its own host and keys. So the proxy keeps the
client's list of signed headers, puts the upstream's host in, dates it now and signs
with ``--upstream-ak``/``--upstream-sk`` the way ``emulator.auth.signature`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from emulator.auth.signature import (
    ALGORITHM,
    DATE_FORMAT,
    SignatureFormatError,
    canonical_request,
    parse_authorization,
    signature,
)

_TEMPORARY = "x-security-token"


@dataclass(frozen=True)
class UpstreamKeys:
    access_key: str
    secret_key: str
    security_token: str | None = None  # temporary keys (from IAM's securitytokens) need it


def is_signed(headers: dict[str, str]) -> bool:
    """The request carries an ``SDK-HMAC-SHA256`` signature (``headers`` in lower case)."""
    return headers.get("authorization", "").strip().startswith(ALGORITHM)


def resign(
    keys: UpstreamKeys,
    method: str,
    raw_path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """``headers`` (lower-case names, ``host`` the upstream's) with a new date and signature.

    Raises ``SignatureFormatError`` when the client's Authorization is not a signature.
    """
    signed = parse_authorization(headers.get("authorization", ""))
    # The client's temporary key (its security token) is not ours to send upstream; the
    # upstream keys' own token is, signed like every header the signature names.
    names = set(signed.signed_headers) | {"host", "x-sdk-date"}
    headers = {name: value for name, value in headers.items() if name != _TEMPORARY}
    if keys.security_token is None:
        names.discard(_TEMPORARY)
    else:
        headers[_TEMPORARY] = keys.security_token
        names.add(_TEMPORARY)
    names = tuple(sorted(names))
    headers["x-sdk-date"] = (now or datetime.now(UTC)).strftime(DATE_FORMAT)
    canonical = canonical_request(method, raw_path, query, headers, names, body)
    signed_value = signature(keys.secret_key, headers["x-sdk-date"], canonical)
    headers["authorization"] = (
        f"{ALGORITHM} Access={keys.access_key}, SignedHeaders={';'.join(names)}, "
        f"Signature={signed_value}"
    )
    return headers


__all__ = ["SignatureFormatError", "UpstreamKeys", "is_signed", "resign"]
