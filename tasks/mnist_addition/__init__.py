"""MNIST addition: learn digits from the sums of pairs of images (``programs/mnist_addition.nesy``),
trained by the exact backend or by Pi-NeSy (k = 1)."""

from __future__ import annotations

import argparse
from typing import Any

from nesy.task import TaskConfig
from tasks.pinesy_options import add_pinesy_options

__all__ = ["TASK"]


class MnistAddition:
    name = "mnist-addition"
    backends = ("exact", "possibilistic")
    programs = ("mnist_addition.nesy",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_pinesy_options(parser)

    def run(self, config: TaskConfig) -> dict[str, Any]:
        if config.backend == "possibilistic":
            from tasks.mnist_addition.pinesy import run_pinesy_addition

            return run_pinesy_addition(config, k=1)
        from tasks.mnist_addition.exact import run_mnist_addition

        return dict(run_mnist_addition(config.program, **config.settings(), **config.where()))


TASK = MnistAddition()
