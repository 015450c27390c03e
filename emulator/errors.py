"""The one error model: refusals that render themselves, and failures to start.

``ServiceError`` is what any layer raises to refuse a request; each subclass is one
service's wire format (ModelArts' ``error_code``/``error_msg``, IAM's Keystone
``{"error": ...}``). A ``ModelArtsError`` names a catalog code; the catalog, loaded from
``schemas/error-catalog.json`` at start, supplies the documented message, so no code path
invents its own wording. ``StartupError`` is every reason the emulator cannot start
(configuration, contract, seed, scenario files): the CLI reports it in one line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"%s|\{[^{}]*\}")
KEYSTONE_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


class StartupError(Exception):
    """The emulator cannot start with this configuration; the message says why and where."""


class ServiceError(Exception):
    """A refusal as one emulated service words it."""

    headers: dict[str, str]

    def render(self, catalog: ErrorCatalog) -> tuple[int, dict]:
        """HTTP status and JSON body."""
        raise NotImplementedError


class KeystoneError(ServiceError):
    """IAM's refusals: ``{"error": {"code", "message", "title"}}``, as Keystone answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.headers = {}

    def render(self, catalog: ErrorCatalog) -> tuple[int, dict]:
        title = KEYSTONE_TITLES.get(self.status, "Error")
        return self.status, {
            "error": {"code": self.status, "message": self.message, "title": title}
        }


class ModelArtsError(ServiceError):
    """A refusal as the service words it: ``{"error_code": code, "error_msg": message}``.

    ``params`` fill the catalog message's placeholders (``%s``, ``{0}``, ``{id}``) in order;
    ``detail`` is appended after the message to say precisely what was wrong;
    ``message`` replaces the catalog's wording (scenarios may script their own).
    ``status`` picks the catalog row when a code is listed under several statuses;
    ``http_status`` sends another status than the row's, for answers the catalog lacks
    (405 uses the wording of the 404 row).
    """

    def __init__(
        self,
        code: str,
        *,
        status: int | None = None,
        http_status: int | None = None,
        params: tuple[str, ...] = (),
        detail: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.status = status
        self.http_status = http_status
        self.params = params
        self.detail = detail
        self.message = message
        self.headers = headers or {}

    def render(self, catalog: ErrorCatalog) -> tuple[int, dict]:
        return catalog.render(self)


@dataclass(frozen=True)
class CatalogEntry:
    status: int
    code: str
    message: str


class ErrorCatalog:
    """Documented (status, code, message) rows, looked up by code and optionally status."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self._by_code: dict[str, list[CatalogEntry]] = {}
        for entry in entries:
            self._by_code.setdefault(entry.code, []).append(entry)

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def entries(self, code: str) -> list[CatalogEntry]:
        return list(self._by_code.get(code, ()))

    def lookup(self, code: str, status: int | None = None) -> CatalogEntry:
        """The row for ``code``; with several rows, the one with ``status`` or the first.

        Raises ``KeyError`` for a code the catalog does not list.
        """
        rows = self._by_code[code]
        if status is not None:
            for row in rows:
                if row.status == status:
                    return row
        return rows[0]

    def render(self, error: ModelArtsError) -> tuple[int, dict[str, str]]:
        """HTTP status and body for an error."""
        entry = self.lookup(error.code, error.status)
        message = error.message
        if message is None:
            message = _filled(entry.message, error.params)
        if error.detail:
            message = f"{message.rstrip()} {error.detail}" if message else error.detail
        return error.http_status or entry.status, {"error_code": error.code, "error_msg": message}


def _filled(message: str, params: tuple) -> str:
    try:
        return _fill_remembered(message, params)
    except TypeError:  # a value that cannot be a cache key
        return _fill(message, params)


def _fill(message: str, params: tuple) -> str:
    values = iter(params)

    def substitute(_match: re.Match[str]) -> str:
        return next(values, "")

    return " ".join(_PLACEHOLDER.sub(substitute, message).split())


# Refusals repeat (the same row with the same values), and filling is a regex pass.
_fill_remembered = functools.lru_cache(maxsize=1024)(_fill)
