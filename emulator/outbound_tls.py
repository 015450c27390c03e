"""TLS for the emulator's own outbound connections, and none of its cost at start.

Importing aiohttp builds its two default client TLS contexts, and each reads the system's
CA bundle file, a noticeable share of the command's start. The command's
process connects outward only in record mode (to the upstream) and in ``compare`` (to the
emulator it checks), and both make their context with ``client_ssl`` when they begin. So
the command imports aiohttp inside ``ca_bundle_skipped``, where OpenSSL is pointed at an
empty bundle; aiohttp's own contexts stay unused in that process. An embedder importing
``emulator`` (the pytest plugin, ``create_app``) is not touched by any of this.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator

# The variable OpenSSL reads for its default CA bundle file.
CA_FILE_VARIABLE = ssl.get_default_verify_paths().openssl_cafile_env


@contextlib.contextmanager
def ca_bundle_skipped() -> Iterator[None]:
    """TLS contexts made inside read no CA bundle file; the variable is as it was after
    (a bundle the user names there is what ``client_ssl`` reads)."""
    before = os.environ.get(CA_FILE_VARIABLE)
    os.environ[CA_FILE_VARIABLE] = os.devnull
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CA_FILE_VARIABLE, None)
        else:
            os.environ[CA_FILE_VARIABLE] = before


def client_ssl(*urls: str) -> ssl.SSLContext | bool:
    """What an outbound client session passes as ``ssl``: a verifying context with the
    system's (or the user's) CAs when any of ``urls`` is https, else aiohttp's default."""
    if any(url.lower().startswith("https:") for url in urls):
        context = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])  # what aiohttp's own context offers
        return context
    return True
