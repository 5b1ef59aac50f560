"""Where the benchmark records are and where their tables go."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "RESULTS", "TARGET"]

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
#: the file whose results section the tables replace
TARGET = ROOT / "benchmarks" / "README.md"
