"""Stopping long network work early: a cancel callback polled between batches.

A search (:mod:`inference.search.beam`) takes a ``cancel`` callback and hands it down to the
policy's batched work (:mod:`inference.model.decoding`), which asks it before every network
batch and raises :class:`Cancelled` when it returns True; the search ends on it as it ends
between steps, so callers of the search never see the exception.
"""

from __future__ import annotations

from collections.abc import Callable

CancelFn = Callable[[], bool]
"""A cancel callback: returns True once the work should stop."""


class Cancelled(Exception):
    """Raised inside batched network work when its ``cancel`` callback returned True."""


def check(cancel: CancelFn | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise Cancelled
