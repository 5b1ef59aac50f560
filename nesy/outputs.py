"""Output paths checked before the work that fills them starts: a training run that could only
fail at its final save (``--out a_file/m.pt``) is refused before it trains.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nesy.errors import ConfigError

__all__ = ["writable_file", "writable_folder"]


def writable_folder(path: Path, option: str) -> Path:
    """``path`` as a folder files can be written into, created if missing.

    Raises
    ------
    ConfigError
        ``path`` (or a folder above it) is a file, or the folder cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     writable_folder(Path(d) / "new" / "deeper", "--out").is_dir()
    True
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option}: {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"{option}: cannot write into {path} ({reason})") from error
    return path


def writable_file(path: Path, option: str) -> Path:
    """``path`` as a file that can be (re)written atomically: not a folder, and its folder
    writable (created if missing).

    Raises
    ------
    ConfigError
        ``path`` is a folder, or its folder cannot be made or written (a file stands where a
        folder is needed).
    """
    if path.is_dir():
        raise ConfigError(f"{option}: {path} is a folder; {option} names a file")
    writable_folder(path.parent, option)
    return path
