"""The head every benchmark JSON record starts with: name, options, protocol, machine, versions."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from pathlib import Path
from typing import Any

import torch


def record_head(name: str, args: argparse.Namespace, doc: str, **versions: str) -> dict[str, Any]:
    """``doc``'s second paragraph is the protocol; ``versions`` adds to python's and torch's."""
    return {
        "benchmark": name,
        "config": {k: _plain(v) for k, v in vars(args).items()},
        "protocol": doc.split("\n\n")[1],
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
        "versions": {
            "python": platform.python_version(),
            "torch": str(torch.__version__),
            **versions,
        },
    }


def _plain(value: Any) -> Any:
    """An argument as JSON holds it: paths (alone or in a list) as strings."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def spread(values: list[float]) -> dict[str, float]:
    """mean, sample std (0 for one value), min and max of a figure over runs."""
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }
