"""Regular expressions from scenario files, matched in time linear in the input.

Python's ``re`` backtracks: ``^(a+)+$`` against 28 characters blocks the event loop for
seconds, doubling with each character, and anyone who may load a scenario chooses the
pattern. RE2 (``google-re2``) never backtracks: its time is linear in the text, though a
pattern with a large counted repeat (``a.{900}c``) outgrows its fast matcher and costs
seconds per megabyte searched (README: Scenarios). The price is RE2's syntax: no
backreferences (``\\1``) and no lookaround (``(?=``, ``(?!``, ``(?<=``); a pattern using
them is refused when the scenario loads.
"""

from __future__ import annotations

from typing import Protocol

import re2

MAX_PATTERN_CHARS = 1000

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every refused pattern to stderr


class RegexError(ValueError):
    """The pattern is too long or not RE2 syntax; the message says why."""


class Pattern(Protocol):
    pattern: str

    def search(self, text: str): ...

    def match(self, text: str): ...


class _Re2Pattern:
    """An RE2 pattern that also takes text with lone surrogates.

    aiohttp keeps header bytes that are not UTF-8 as surrogate escapes, and JSON may
    spell ``"\\ud800"``; RE2 wants UTF-8, so such characters are matched as ``?``.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, compiled) -> None:
        self._compiled = compiled
        self.pattern: str = compiled.pattern

    def search(self, text: str):
        try:
            return self._compiled.search(text)
        except UnicodeEncodeError:
            return self._compiled.search(_without_surrogates(text))

    def match(self, text: str):
        try:
            return self._compiled.match(text)
        except UnicodeEncodeError:
            return self._compiled.match(_without_surrogates(text))


def _without_surrogates(text: str) -> str:
    return text.encode("utf-8", errors="replace").decode("utf-8")


def compile_regex(pattern: str) -> Pattern:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RegexError(f"a pattern of {len(pattern)} characters (at most {MAX_PATTERN_CHARS})")
    try:
        return _Re2Pattern(re2.compile(_without_surrogates(pattern), _OPTIONS))
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        raise RegexError(f"{reason}; regexes use RE2 syntax") from None
