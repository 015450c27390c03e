"""What never reaches a recording: tokens, signatures, keys, passwords, security tokens.

Secrets are masked where a reader needs to see that something was there (headers,
response bodies), and left out of request-body match conditions, so a replay matches
whatever secret the replaying client sends.
"""

from __future__ import annotations

MASK = "***"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-auth-token",
        "x-subject-token",
        "x-security-token",
        "cookie",
        "set-cookie",
        "x-emulator-admin-token",
    }
)
# JSON keys whose text values are secrets wherever they appear (IAM bodies, credentials).
# Only text (and numbers) are secrets: an object under such a key, like Keystone's
# ``"password": {"user": ...}`` method or IAM's ``"token": {catalog...}``, is searched.
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "sk",
        "ak",
        "access",
        "access_key",
        "secret_key",
        "secret_access_key",
        "access_key_id",
        "access_key_secret",
        "securitytoken",
        "security_token",
        "passcode",
        "token",
        "id_token",
        "auth_token",
    }
)


def is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS


def _is_secret(key: str, value: object) -> bool:
    return key.lower() in SECRET_KEYS and not isinstance(value, dict | list)


def mask(value: object) -> object:
    """``value`` with every secret replaced by ``***``."""
    if isinstance(value, dict):
        return {k: MASK if _is_secret(k, v) else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def without_secrets(value: object) -> object:
    """``value`` with every secret left out (for a body subset a replay must match)."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if not _is_secret(k, v)}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value
