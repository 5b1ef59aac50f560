"""Wall-clock deadlines of ``nesy solve``.

:func:`raise_at` is for Python-driven search: at the deadline :class:`OutOfTime` is raised in
the main thread, wherever the search is, the next time Python code runs. The annotated route
walks total choices in Python between short clingo calls, so the exception arrives within one
clingo call of the deadline. (Plain clingo programs are stopped inside clingo itself: see
:func:`solvers.asp.plain.solve_plain`.)

:func:`exit_at` is the last resort of a process that runs only the command: clingo's grounding
cannot be interrupted, but it releases Python's lock, so a timer thread can end the process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

from nesy.timer import call_at

__all__ = ["OutOfTime", "exit_at", "raise_at"]


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


@contextlib.contextmanager
def exit_at(deadline: float, message: str, code: int = 1) -> Iterator[None]:
    """Within ``with``, end the whole process at ``deadline`` (``time.monotonic()``): ``message``
    goes to stderr and the process exits with ``code`` at once (``os._exit``: no clean-up, no
    buffered output). Only for a process that runs nothing else, such as the ``nesy`` command.
    """

    def end() -> None:
        # the process's own streams (the block may have redirected sys.stdout and sys.stderr):
        # what was printed before the block, then the message
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        os.write(2, f"{message}\n".encode())
        os._exit(code)

    with call_at(deadline, end):
        yield
