"""A call at a wall-clock deadline from a timer thread: how a backend stops a solver that offers
a thread-safe interrupt (clingo, CaDiCaL through python-sat) or ends a process that is stuck in
C code which released Python's lock."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["call_at"]


@contextlib.contextmanager
def call_at(deadline: float | None, action: Callable[[], object]) -> Iterator[threading.Event]:
    """Within ``with``, call ``action`` from a timer thread at ``deadline`` (``time.monotonic()``;
    ``None``: never). The event yielded is set just before ``action`` is called. Leaving the block
    cancels the timer and waits for a call under way: a late call must not reach a solver that is
    gone.

    Examples
    --------
    >>> with call_at(time.monotonic() + 0.01, lambda: None) as fired:
    ...     time.sleep(0.1)
    >>> fired.is_set()
    True
    """
    fired = threading.Event()
    if deadline is None:
        yield fired
        return

    def call() -> None:
        fired.set()
        action()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), call)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()
