"""ListBuckets' ``max-buckets``, read before moto reads it, in every ``--auth`` mode.

S3 accepts a number from 1 to 10,000 and answers anything else 400 InvalidArgument; moto
would cut its listing at whatever ``int()`` reads (`` 1``, ``-1``, ``0``) and fail on the
rest. The value is read decoded, as moto reads it (``%31`` is 1). In strict mode it never
reaches moto: moto cuts its listing before the owners' filter runs, which would give a
caller a short (even empty) page while it has more buckets; the guard applies it to the
caller's own buckets instead (``tenancy.Guard``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from emulator.auth.s3_signature import S3Error
from emulator.obs.addressing import target

MAX_BUCKETS = 10_000  # the largest max-buckets S3 accepts
PARAMETER = "max-buckets"


def for_moto(
    method: str, path_qs: str, body: bytes, *, own_buckets: bool
) -> tuple[str, bytes, int | None]:
    """The request as moto is to answer it, and the page size the guard applies after
    (``own_buckets``: strict mode's listing of the signer's own buckets); raise 400
    InvalidArgument for a ``max-buckets`` S3 refuses. Requests other than ListBuckets
    pass as they are."""
    if method != "GET" or target(path_qs).bucket:
        return path_qs, body, None
    path, _, query = path_qs.partition("?")
    query, limit = max_buckets(query)
    if not own_buckets:
        return path_qs, body, None  # moto applies it
    # A form body could carry max-buckets too, and ListBuckets reads nothing else from one.
    return path + (f"?{query}" if query else ""), b"", limit


def max_buckets(query: str) -> tuple[str, int | None]:
    """``query`` (as sent) without its ``max-buckets``, and that value (None if absent);
    raise 400 InvalidArgument for a value S3 refuses."""
    if "max" not in query and "%" not in query:
        return query, None
    kept, limit = [], None
    for part in query.split("&"):
        pairs = parse_qsl(part, keep_blank_values=True)
        if not pairs or pairs[0][0] != PARAMETER:
            kept.append(part)
            continue
        value = pairs[0][1]
        # Checked as text first: int() of thousands of digits raises (and "²".isdigit());
        # leading zeros do not count ("000001" is 1).
        digits = value.lstrip("0") or "0"
        if not (value.isascii() and value.isdigit() and len(digits) <= 5):
            raise _invalid(value)
        number = int(digits)
        if not 1 <= number <= MAX_BUCKETS:
            raise _invalid(value)  # every copy of a repeated parameter is checked
        if limit is None:
            limit = number  # the first counts, as moto reads a repeated parameter
    return "&".join(kept), limit


def _invalid(value: str) -> S3Error:
    message = f"Argument {PARAMETER} must be an integer between 1 and {MAX_BUCKETS}"
    details = {"ArgumentName": PARAMETER, "ArgumentValue": value[:64]}
    return S3Error("InvalidArgument", message, 400, details)
