"""Stopping a training run cleanly on SIGINT or SIGTERM.

Torch-free, so that the command line can name :class:`Interrupted` without importing torch.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType, TracebackType

__all__ = ["Interrupted", "StopOnSignal"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """A run stopped by a signal after saving its checkpoint.

    ``exit_code`` is the shell's ``128 + signal number`` (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, signal_number: int, checkpoint: Path, where: str) -> None:
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number
        name = signal.Signals(signal_number).name
        super().__init__(
            f"{name}: stopped {where}; checkpoint saved to {checkpoint} (--resume continues)"
        )


class StopOnSignal:
    """Within ``with``, SIGINT and SIGTERM only set :attr:`signal_number`; the loop checks it
    at a safe point (between batches), saves and stops.

    The first signal also restores the previous handlers, so a second one stops at once (as
    without this guard). Outside the main thread signals cannot be caught; there it does nothing.
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for number in _SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        self.signal_number = number
        self._restore()

    def _restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._restore()
