"""Stopping long network work early: a cancel callback polled between batches.

A search (:mod:`inference.search.beam`) takes a ``cancel`` callback and hands it down to the
policy's batched work (:mod:`inference.model.decoding`), which asks it before every network
batch and raises :class:`Cancelled` when it returns True; the search ends on it as it ends
between steps, so callers of the search never see the exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable

CancelFn = Callable[[], bool]
"""A cancel callback: returns True once the work should stop."""


class Cancelled(Exception):
    """Raised inside batched network work when its ``cancel`` callback returned True."""


def check(cancel: CancelFn | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise Cancelled


def with_deadline(cancel: CancelFn | None, seconds: float | None) -> CancelFn | None:
    """``cancel`` that also returns True once ``seconds`` of wall time have passed from now
    (``seconds=None``: ``cancel`` itself).  A search given it ends at the deadline as it ends
    on a cancel, within one network batch, and yields its best program so far."""
    if seconds is None:
        return cancel
    deadline = time.perf_counter() + seconds

    def stop() -> bool:
        return time.perf_counter() >= deadline or (cancel is not None and bool(cancel()))

    return stop
