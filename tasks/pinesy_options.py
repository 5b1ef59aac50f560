"""The options of the Pi-NeSy (``possibilistic``) backend, for the tasks it trains."""

from __future__ import annotations

import argparse

from nesy.task import backend_options

__all__ = ["add_pinesy_options"]


def add_pinesy_options(parser: argparse.ArgumentParser) -> None:
    group = backend_options(parser, "possibilistic", "Pi-NeSy")
    group.add_argument(
        "--method",
        type=int,
        choices=(1, 2),
        default=1,
        help="probability-to-possibility transformation: 1 antipignistic, 2 minimum "
        "specificity (default 1)",
    )
    group.add_argument(
        "--explain", type=int, default=2, help="explain this many test predictions (2)"
    )
    group.add_argument(
        "--no-thresholds", action="store_true", help="keep every training sample (ablation)"
    )
