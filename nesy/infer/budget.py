"""How far exact inference may go before it stops with an error: ground rules, SDD nodes,
seconds (grounding and compilation together) and, optionally, memory.

Grounding and compilation check the node, rule and time limits between their steps. One step
of the SDD library cannot be interrupted, though, and holds Python's lock while it runs: on a
dense program a single apply ran for 18 s, so a check between steps fired minutes late.
:func:`run_within` is the command line's guarantee: it runs the work in a child process and
stops it at the deadline, and it can cap the child's memory.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from nesy.errors import BackendError, CompileError, NesyError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["Budget", "DEFAULT_BUDGET", "run_within", "process_start"]

_MB = 2**20
T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """The limits of one exact query: ``ground_rules`` ground rules, ``sdd_nodes`` live SDD
    nodes, ``seconds`` of grounding and compilation together, and ``memory_mb`` of address
    space for the whole computation (``None``: not bounded; only :func:`run_within` bounds it)."""

    seconds: float = 600.0
    sdd_nodes: int = 20_000_000
    ground_rules: int = 5_000_000
    memory_mb: int | None = None


DEFAULT_BUDGET = Budget()


def process_start() -> float:
    """When this process started, on ``time.monotonic()``'s clock: budgets of a command count
    its interpreter's start-up too (about 0.3 s, and seconds on a loaded machine). Linux reads
    it from /proc; elsewhere it is now."""
    try:
        with open("/proc/self/stat") as stat:  # field 22, after the ')' closing the name
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            since_boot = float(uptime.read().split()[0])
    except (OSError, IndexError, ValueError):
        return time.monotonic()
    age = since_boot - ticks / os.sysconf("SC_CLK_TCK")
    return time.monotonic() - max(age, 0.0)


def run_within(
    budget: Budget, what: str, work: Callable[..., T], *args: Any, flag: str = "--max-seconds"
) -> T:
    """``work(*args)``, run in a child process that is stopped ``budget.seconds`` after it
    starts, and whose address space is capped at ``budget.memory_mb``.

    ``work`` must return something picklable; a :class:`~nesy.errors.NesyError` it raises is
    raised here, with its position. What the child prints reaches stdout and stderr as the
    parent's would. ``flag`` is the option the timeout message names. Linux/macOS only
    (``fork``).

    Raises
    ------
    CompileError
        The deadline passed (the message names ``what`` and the budget), or the child ended
        without an answer (it ran out of memory).
    """
    sys.stdout.flush()  # or the child would print the parent's buffered output again
    sys.stderr.flush()
    import multiprocessing  # here: `nesy solve` reads process_start without forking (5 ms)

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, budget.memory_mb, work, args))
    child.start()
    send.close()
    try:
        if not receive.poll(budget.seconds):
            raise CompileError(f"{what} stopped: past its time budget ({flag})")
        try:
            done, value = receive.recv()
        except EOFError:  # the child died: the memory cap, the kernel's OOM killer, an abort
            child.join()
            raise CompileError(
                f"{what} stopped: the computation ended without an answer (exit code "
                f"{child.exitcode}; out of memory? --max-memory-mb is {budget.memory_mb})"
            ) from None
    finally:
        child.kill()
        child.join()
        receive.close()
    if done:
        return cast(T, value)  # unpickled from the child: what ``work`` returned
    kind, message, span, source_text = value
    if issubclass(kind, NesyError):
        raise kind(message, span, source_text)
    if kind is MemoryError:
        bound = f"--max-memory-mb {budget.memory_mb}" if budget.memory_mb else "not bounded"
        raise CompileError(f"{what} stopped: out of memory ({bound})")
    if kind in (KeyboardInterrupt, RecursionError):
        raise kind(message)
    raise BackendError(f"{what} failed: {kind.__name__}: {message}")


def _child(
    send: Connection[tuple[bool, Any], object],
    memory_mb: int | None,
    work: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    if memory_mb is not None:
        limit = memory_mb * _MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result: tuple[bool, Any] = (True, work(*args))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
        # NesyError's position is not in its pickled args: send the parts
        span = getattr(error, "span", None)
        source_text = getattr(error, "source_text", None)
        message = getattr(error, "message", str(error))
        result = (False, (type(error), message, span, source_text))
    sys.stdout.flush()  # before the answer: the parent stops this process once it has it
    sys.stderr.flush()
    send.send(result)
    send.close()
