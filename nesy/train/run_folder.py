"""The folder a training run writes into: a fresh one per run, never an earlier run's.

Everything here is checked before any work starts, and imports no torch (the command line calls
it first). ``run.json`` in the folder records what the run was asked to do (program, task,
settings) and how it ran (threads, device, versions); ``--resume`` checks it against the
command that resumes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nesy.errors import ConfigError
from nesy.outputs import writable_folder
from nesy.train.checkpoint import atomic_write_bytes

__all__ = [
    "RECORD",
    "CHECKPOINT",
    "default_out",
    "prepare_out",
    "discard_unstarted",
    "read_record",
    "write_record",
]

#: The run record, and the checkpoint ``--resume`` continues from.
RECORD = "run.json"
CHECKPOINT = "checkpoint.pt"
#: What :func:`atomic_write_bytes` names its temporary files: ``.NAME.XXXX.tmp``.
_TEMPORARY_GLOB = ".*.tmp"


def default_out(program: str | os.PathLike[str], root: Path = Path("runs")) -> Path:
    """``runs/<program stem>-<UTC time>``, e.g. ``runs/addition-20261205T071502Z``; a
    second run in the same second gets ``-2``, ``-3``, ...

    Examples
    --------
    >>> default_out("programs/p.nesy", Path("/nonexistent")).name.startswith("p-")
    True
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    base = root / f"{Path(program).stem}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def prepare_out(out: Path | None, program: str | os.PathLike[str], *, resume: bool) -> Path:
    """The run folder, created and checked writable; leftover temporary files of a save that was
    killed are removed.

    Raises
    ------
    ConfigError
        ``out`` names a file or a place that cannot be written; it holds an earlier run and
        ``resume`` is false; ``resume`` without ``out`` or without a checkpoint in it.
    """
    if out is None:
        if resume:
            raise ConfigError("--resume needs --out: the folder of the run to continue")
        out = default_out(program)
    # The run's own refusals come first, and concern a folder (or a path still free): a file
    # where the folder should be, or a place that cannot be written, is writable_folder's to
    # refuse; a refused --resume leaves no folder behind.
    if resume and not (out / CHECKPOINT).is_file() and (out.is_dir() or not out.exists()):
        raise ConfigError(f"--resume: {out / CHECKPOINT} not found; nothing to continue")
    if not resume and out.is_dir():
        held = sorted(p.name for p in out.iterdir() if not p.match(_TEMPORARY_GLOB))
        if held:
            shown = ", ".join(held[:5]) + (", ..." if len(held) > 5 else "")
            raise ConfigError(
                f"--out {out}: holds an earlier run ({shown}); --resume continues it, or name "
                "a new folder (without --out each run gets a fresh runs/<program>-<time>)"
            )
    writable_folder(out, "--out")
    for leftover in out.glob(_TEMPORARY_GLOB):
        leftover.unlink(missing_ok=True)
    return out


def discard_unstarted(out: Path, *, remove_folder: bool) -> None:
    """Undo :func:`prepare_out` for a run refused before it wrote anything but its record:
    ``run.json`` goes, and the folder too when ``remove_folder`` (this run created it)."""
    if {p.name for p in out.iterdir()} <= {RECORD}:
        (out / RECORD).unlink(missing_ok=True)
        if remove_folder:
            out.rmdir()


def read_record(out: Path) -> dict[str, Any]:
    """The run record of ``out`` (``{}`` when it has none)."""
    path = out / RECORD
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable run record ({exc})") from exc
    return record if isinstance(record, dict) else {}


def write_record(out: Path, record: Mapping[str, Any]) -> None:
    """Write ``run.json`` atomically."""
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(out / RECORD, lambda handle: handle.write(text.encode()))
