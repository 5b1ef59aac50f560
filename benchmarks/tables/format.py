"""Formatting shared by the tables: a summary leaf as mean +- std, precision/recall/F1."""

from __future__ import annotations

import statistics

__all__ = ["ms", "prf", "pm", "mean_sd"]


def ms(value: dict, digits: int = 3) -> str:
    """``mean ± std`` of a summary leaf."""
    return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"


def prf(scores: dict) -> str:
    return " / ".join(f"{scores[k]['mean']:.3f}" for k in ("precision", "recall", "f1"))


def pm(value: dict, digits: int = 2) -> str:
    return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"


def mean_sd(values: list[float]) -> dict:
    """mean and sample std, as the benchmarks' own ``spread`` records them."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": sd}
