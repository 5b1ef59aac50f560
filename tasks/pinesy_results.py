"""Where a Pi-NeSy run's figures and learned state go: ``checkpoint.pt`` and ``result.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nesy.train.checkpoint import atomic_write_bytes, save_checkpoint

__all__ = ["write_result"]


def write_result(out_dir: Path, figures: dict[str, Any], state: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out_dir / "checkpoint.pt", state)
    text = json.dumps(figures, indent=2) + "\n"
    atomic_write_bytes(out_dir / "result.json", lambda f: f.write(text.encode()))
