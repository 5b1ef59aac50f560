"""Reading a program file: a folder, an endless device or bytes that are not UTF-8 are errors
that say so (the last at the line and column of the first bad byte), not raw exceptions."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from nesy.errors import NesyError
from nesy.span import Span

__all__ = ["read_program", "MAX_PROGRAM_BYTES"]

#: The largest program file read (``/dev/zero`` or a runaway generated file stops here).
MAX_PROGRAM_BYTES = 100 * 2**20


def read_program(path: str | PathLike[str]) -> str:
    """The UTF-8 text of the program file at ``path``.

    Raises
    ------
    NesyError
        The file is missing, a folder, unreadable, over :data:`MAX_PROGRAM_BYTES`, or not UTF-8.
    """
    path = Path(path)
    if path.is_dir():
        raise NesyError(f"cannot read program file {str(path)!r}: a folder, not a file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PROGRAM_BYTES + 1)
    except OSError as exc:
        raise NesyError(f"cannot read program file {str(path)!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_PROGRAM_BYTES:
        raise NesyError(f"{path}: more than {MAX_PROGRAM_BYTES:,} bytes; not a program file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        start_of_line = before.rfind(b"\n") + 1
        column = len(before[start_of_line:].decode("utf-8", errors="replace")) + 1
        text = data.decode("utf-8", errors="replace")
        span = Span(str(path), line, column, line, column + 1)
        message = f"not UTF-8 text: byte 0x{data[exc.start]:02x} ({exc.reason})"
        raise NesyError(message, span, text) from exc
