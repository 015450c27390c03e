"""Identifiers shaped like the service's (``r0jT2zwxBDKf8KEnSuZ``: 19 letters and digits)."""

from __future__ import annotations

import os
import string

_ALPHABET = string.ascii_letters + string.digits
RESOURCE_ID_LENGTH = 19
# Random bytes map onto the 62 letters and digits in one translate call; the small bias
# (256 is not a multiple of 62) does not matter for ids that only need to be unique.
_BYTE_TO_CHAR = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))


def new_resource_id() -> str:
    return os.urandom(RESOURCE_ID_LENGTH).translate(_BYTE_TO_CHAR).decode("ascii")
