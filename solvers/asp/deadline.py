"""A wall-clock deadline for Python-driven search: at the deadline :class:`OutOfTime` is raised
in the main thread, wherever the search is, the next time Python code runs.

The annotated route of ``nesy solve`` walks total choices in Python between short clingo calls,
so the exception arrives within one clingo call of the deadline. (Plain clingo programs are
stopped inside clingo itself: see :func:`solvers.asp.plain.solve_plain`.)
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

__all__ = ["OutOfTime", "raise_at"]


class OutOfTime(Exception):
    """The deadline of :func:`raise_at` passed."""


@contextlib.contextmanager
def raise_at(deadline: float) -> Iterator[None]:
    """Within ``with``, raise :class:`OutOfTime` at ``deadline`` (``time.monotonic()``).

    Uses ``SIGALRM``, so it works in the main thread only; elsewhere it does nothing.

    Examples
    --------
    >>> with raise_at(time.monotonic() + 0.05):
    ...     try:
    ...         while True:
    ...             time.sleep(0.01)
    ...     except OutOfTime:
    ...         print("stopped")
    stopped
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_number: int, _frame: FrameType | None) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
