"""Regular expressions from scenario files, matched in time linear in the input.

Python's ``re`` backtracks: ``^(a+)+$`` against 28 characters blocks the event loop for
seconds, doubling with each character, and anyone who may load a scenario chooses the
pattern. RE2 (``google-re2``) never backtracks: its time is linear in the text. Linear is
not free: a counted repeat (``a.{900}c``) outgrows RE2's fast matcher and costs seconds per
megabyte searched, so the regexes of one request (one decision, or one verify) share a
budget of work, counted as each text's length times the pattern's program size plus a
constant: searched past it, ``RegexWorkSpent`` (the rule does not match; its near miss
says why). The price of RE2 is its syntax: no backreferences (``\\1``) and no lookaround
(``(?=``, ``(?!``, ``(?<=``); a pattern using them is refused when the scenario loads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

import re2

MAX_PATTERN_CHARS = 1000
# Work the regexes of one request may do: characters searched times (program size +
# SEARCH_OVERHEAD). RE2's slowest searches, where its automaton falls back to the NFA, cost
# about a nanosecond per unit on this project's machines: this is about half a second at
# worst, and a megabyte of text for a pattern of a few hundred instructions.
MAX_REGEX_WORK = 500_000_000
SEARCH_OVERHEAD = 200
_work_left: ContextVar[list[int] | None] = ContextVar("regex_work_left", default=None)

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every refused pattern to stderr


class RegexError(ValueError):
    """The pattern is too long or not RE2 syntax; the message says why."""


class RegexWorkSpent(Exception):
    """The request's regexes searched as much text as they may."""

    reason = (
        f"regex not tried: this request's searches would pass {MAX_REGEX_WORK:,} units"
        " (text length x pattern size)"
    )


@contextlib.contextmanager
def regex_work_budget(limit: int = MAX_REGEX_WORK) -> Iterator[None]:
    """One budget of regex work for the matching within (one request's decision)."""
    token = _work_left.set([limit])
    try:
        yield
    finally:
        _work_left.reset(token)


class Pattern(Protocol):
    pattern: str

    def search(self, text: str): ...

    def match(self, text: str): ...


class _Re2Pattern:
    """An RE2 pattern that also takes text with lone surrogates.

    aiohttp keeps header bytes that are not UTF-8 as surrogate escapes, and JSON may
    spell ``"\\ud800"``; RE2 wants UTF-8, so such characters are matched as ``?``.
    """

    __slots__ = ("_compiled", "_weight", "pattern")

    def __init__(self, compiled) -> None:
        self._compiled = compiled
        self._weight = compiled.programsize + SEARCH_OVERHEAD
        self.pattern: str = compiled.pattern

    def search(self, text: str):
        self._charge(text)
        try:
            return self._compiled.search(text)
        except UnicodeEncodeError:
            return self._compiled.search(_without_surrogates(text))

    def match(self, text: str):
        self._charge(text)
        try:
            return self._compiled.match(text)
        except UnicodeEncodeError:
            return self._compiled.match(_without_surrogates(text))

    def _charge(self, text: str) -> None:
        left = _work_left.get()
        if left is not None:
            left[0] -= len(text) * self._weight
            if left[0] < 0:
                raise RegexWorkSpent


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
