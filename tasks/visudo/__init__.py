"""ViSudo-PC: is a grid of MNIST images a valid Sudoku? (``programs/visudo_4x4.nesy``,
``visudo_9x9.nesy``), trained by the ASP backend, by A-NeSI or by Pi-NeSy."""

from __future__ import annotations

import argparse
from typing import Any

from nesy.task import TaskConfig, backend_options
from tasks.pinesy_options import add_pinesy_options

__all__ = ["TASK", "ANESI_ENCODINGS"]

#: A-NeSI's output bits (q's encoding), the default first: one per unit (row, column, box) that
#: must be all different, or one per pair of cells that must differ (the paper's)
ANESI_ENCODINGS = ("units", "pairs")


class Visudo:
    name = "visudo"
    backends = ("asp", "anesi", "possibilistic")
    programs = ("visudo_4x4.nesy", "visudo_9x9.nesy")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = backend_options(parser, "anesi", "A-NeSI, approximate")
        group.add_argument(
            "--anesi-encoding",
            choices=ANESI_ENCODINGS,
            default=ANESI_ENCODINGS[0],
            help="q's output bits: one per unit (row, column, box) that must be all different, "
            "or one per pair of cells that must differ, as in the paper (default units)",
        )
        add_pinesy_options(parser)

    def run(self, config: TaskConfig) -> dict[str, Any]:
        if config.backend == "possibilistic":
            from tasks.visudo.pinesy import run_pinesy_visudo

            return run_pinesy_visudo(config)
        from tasks.visudo.run import run_visudo

        return run_visudo(config)


TASK = Visudo()
