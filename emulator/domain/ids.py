"""Identifiers shaped like the service's (``r0jT2zwxBDKf8KEnSuZ``: 19 letters and digits)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
RESOURCE_ID_LENGTH = 19


def new_resource_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RESOURCE_ID_LENGTH))
