"""N-digit MNIST addition from the sums alone: the carry program
(``programs/mnist_addition_carry.nesy``) with the exact backend, the whole-number program
(``mnist_addition_numbers.nesy``) with A-NeSI, or Pi-NeSy."""

from __future__ import annotations

import argparse
from typing import Any

from nesy.errors import CompileError, GroundingError
from nesy.lang import parse_file
from nesy.task import TaskConfig
from tasks.mnist_addition_digits.anesi import add_anesi_options
from tasks.pinesy_options import add_pinesy_options

__all__ = ["TASK"]


class MnistAdditionDigits:
    name = "mnist-addition-digits"
    backends = ("exact", "anesi", "possibilistic")
    programs = ("mnist_addition_carry.nesy", "mnist_addition_numbers.nesy")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--digits", type=int, default=None, help="digits per number; default: the program's n"
        )
        add_anesi_options(parser)
        add_pinesy_options(parser)

    def run(self, config: TaskConfig) -> dict[str, Any]:
        digits = config.options["digits"]
        if config.backend == "anesi":
            from tasks.mnist_addition_digits.anesi import run_anesi_task

            return run_anesi_task(config)
        if config.backend == "possibilistic":
            from tasks.mnist_addition.pinesy import run_pinesy_addition

            k = digits if digits is not None else parse_file(config.program).constant("n")
            return run_pinesy_addition(config, k)
        from tasks.mnist_addition_digits.exact import run_mnist_addition_digits

        try:
            return dict(
                run_mnist_addition_digits(
                    config.program, digits=digits, **config.settings(), **config.where()
                )
            )
        except (GroundingError, CompileError) as error:  # over budget: say what trains it
            raise type(error)(
                f"{error.message}; or train this program without a circuit: --backend anesi "
                "(approximate)",
                error.span,
                error.source_text,
            ) from error


TASK = MnistAdditionDigits()
