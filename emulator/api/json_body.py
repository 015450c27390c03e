"""JSON answers, written byte for byte as ``json.dumps`` writes them.

``json.dumps`` builds a new encoder for every document, which was a tenth of what a task
start costs beyond bare aiohttp; the encoder here is built once, with the same settings.
Where the C accelerator is missing, ``json.dumps`` itself is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from json import encoder as _encoder

from aiohttp import web


def _one_encoder() -> Callable[[object], str]:
    if _encoder.c_make_encoder is None:
        return json.dumps
    encode = _encoder.c_make_encoder(
        None,  # no check for circular documents: answers are trees
        json.JSONEncoder().default,  # its TypeError names what cannot be written
        _encoder.encode_basestring_ascii,
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )

    def dumps(document: object) -> str:
        return "".join(encode(document, 0))

    return dumps


dumps = _one_encoder()


def json_response(
    document: object, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """aiohttp's ``web.json_response(document, ...)``, from the encoder built once; a
    ``Content-Type`` among ``headers`` (a scenario's) is sent instead of JSON's."""
    if headers and any(name.lower() == "content-type" for name in headers):
        # As bytes (the text is ASCII): as text, aiohttp would add a charset to the header.
        return web.Response(body=dumps(document).encode(), status=status, headers=headers)
    return web.Response(
        text=dumps(document), status=status, headers=headers, content_type="application/json"
    )
