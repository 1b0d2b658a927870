"""JSON read within bounded time and memory, with one-line errors in our own words.

Every JSON a user can hand TreeSketch (program files, documents, problem sets, model
metadata) goes through :func:`parse_json`, so that no file, however large or deep,
stalls the app or surfaces Python's own messages about recursion or integer limits.
"""

from __future__ import annotations

import json

MAX_JSON_VALUES = 100_000
"""Most values (counted by their commas and opening brackets) a JSON file may hold.

A program of :data:`~inference.lang.syntax.MAX_PRIMITIVES` primitives as a JSON tree, or a
document's list of locked positions in one, has fewer than 50,000; the limit keeps
the memory of reading any file small (Python spends about 60 bytes on each value).
"""

MAX_JSON_DIGITS = 100
"""Longest number a JSON file may spell (TreeSketch files need a few digits)."""


def parse_json(text: str) -> object:
    """The value of a JSON text, read within bounded time and memory.

    Raises:
        ValueError: one line saying what is wrong: not valid JSON (with line and
            column), nested too deeply, a number of more than :data:`MAX_JSON_DIGITS`
            digits, or more than :data:`MAX_JSON_VALUES` values.  Never Python's own
            messages about its recursion or integer limits.
    """
    values = text.count(",") + text.count("[") + text.count("{")
    if values > MAX_JSON_VALUES:
        raise ValueError(f"too large: more than {MAX_JSON_VALUES} JSON values")
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as e:
        where = f"column {e.colno}" if e.lineno == 1 else f"line {e.lineno}, column {e.colno}"
        raise ValueError(f"not valid JSON ({e.msg}, {where})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except _NumberTooLong:
        raise ValueError(f"a JSON number has more than {MAX_JSON_DIGITS} digits") from None


class _NumberTooLong(Exception):
    """Raised from inside ``json.loads``; not a ValueError, so that nothing else is caught."""


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
        raise _NumberTooLong
    return int(digits)
