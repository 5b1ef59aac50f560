"""ViSudo-PC: is a grid of MNIST images a valid Sudoku? (``programs/visudo_4x4.nesy``,
``visudo_9x9.nesy``), trained by the ASP backend, by A-NeSI or by Pi-NeSy."""

from __future__ import annotations

import argparse
from typing import Any

from nesy.task import TaskConfig
from tasks.pinesy_options import add_pinesy_options

__all__ = ["TASK"]


class Visudo:
    name = "visudo"
    backends = ("asp", "anesi", "possibilistic")
    programs = ("visudo_4x4.nesy", "visudo_9x9.nesy")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_pinesy_options(parser)

    def run(self, config: TaskConfig) -> dict[str, Any]:
        if config.backend == "possibilistic":
            from tasks.visudo.pinesy import run_pinesy_visudo

            return run_pinesy_visudo(config)
        from tasks.visudo.run import run_visudo

        return run_visudo(config)


TASK = Visudo()
