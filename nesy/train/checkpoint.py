"""Checkpoints: atomic saves and safe (``weights_only``) loads.

A checkpoint is a plain mapping of tensors, numbers, strings and nested dicts/lists/tuples, e.g.
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``. Loading never
unpickles arbitrary objects.

torch is imported where it is used, so that :func:`atomic_write_bytes` serves commands that never
load torch.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nesy.errors import DataError

__all__ = ["save_checkpoint", "load_checkpoint", "atomic_write_bytes"]


def atomic_write_bytes(path: str | os.PathLike[str], write: Any) -> Path:
    """Write a file atomically: ``write(fileobj)`` into a temporary file in the same folder,
    ``fsync`` it, then ``os.replace`` it onto ``path``.

    Readers see either the old file or the complete new one, never a partial write; on failure
    the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path
        The destination; its folder is created if needed.
    write
        A callable receiving a binary file object.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # mkstemp would give 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Any]) -> Path:
    """Save ``state`` with ``torch.save``, atomically (see :func:`atomic_write_bytes`).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = save_checkpoint(f"{d}/c.pt", {"w": torch.ones(2), "epoch": 1})
    ...     load_checkpoint(f"{d}/c.pt")["epoch"]
    1
    """
    import torch

    return atomic_write_bytes(path, lambda handle: torch.save(dict(state), handle))


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`, with ``weights_only=True``.

    Raises
    ------
    DataError
        The file is missing, is not a torch checkpoint, is truncated, holds objects other than
        tensors and plain containers, or is not a mapping.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: not a readable checkpoint ({reason})") from exc
    if not isinstance(state, dict):
        raise DataError(f"{path}: a checkpoint must hold a dict; found {type(state).__name__}")
    return state
