"""``nesy train PROGRAM --task mnist-addition-digits --backend anesi``: A-NeSI.

Registered through the ``nesy.backends`` entry point, so the core CLI never imports it. The
program is the whole-number MNIST-addition program (``programs/mnist_addition_numbers.nesy``),
at the program's ``n`` or ``--digits``; the run folder gets ``run.json`` (the core's),
``log.jsonl``, ``checkpoint.pt`` and ``result.json``.
"""

from __future__ import annotations

import argparse
import json

from nesy.errors import ConfigError
from nesy.options import at_least, positive_float
from nesy.train.checkpoint import atomic_write_bytes

__all__ = ["BACKEND"]

_TASKS = ("mnist-addition-digits",)
#: ``--epochs`` when not given: enough for N <= 4 from a fresh network (see the README's table).
DEFAULT_EPOCHS = 30


class _Backend:
    """The ``anesi`` training backend of ``nesy train``."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("anesi backend (A-NeSI, approximate)")
        group.add_argument(
            "--anesi-samples",
            type=at_least(1),
            default=600,
            help="beliefs drawn from the prior per inference-model step (600)",
        )
        group.add_argument(
            "--anesi-hidden", type=at_least(1), default=256, help="hidden width of q's MLPs (256)"
        )
        group.add_argument(
            "--anesi-layers", type=at_least(1), default=2, help="hidden layers of q's MLPs (2)"
        )
        group.add_argument(
            "--anesi-q-lr", type=positive_float, default=1e-3, help="q's Adam lr (1e-3)"
        )
        group.add_argument(
            "--anesi-beam", type=at_least(1), default=10, help="beam of q's prediction (10)"
        )
        group.add_argument(
            "--anesi-symbolic",
            choices=("auto", "program", "sum"),
            default="auto",
            help="the symbolic function: the program run by clingo, the vectorised sum "
            "(checked against the program), or auto: the program up to 1,000 total choices",
        )

    def train(self, args: argparse.Namespace) -> int:
        if args.task not in _TASKS:
            raise ConfigError(
                f"the anesi backend trains --task {', '.join(_TASKS)}; got '{args.task}'"
            )
        for option in ("schedule",):
            if getattr(args, option) is not None:
                raise ConfigError(f"--{option} is the exact backend's; A-NeSI uses a constant lr")
        from nesy.train.device import resolve_device
        from solvers.anesi.addition import run_anesi_addition
        from solvers.anesi.learner import AnesiConfig

        lr = args.lr if args.lr is not None else 1e-3
        config = AnesiConfig(
            samples=args.anesi_samples,
            hidden=args.anesi_hidden,
            layers=args.anesi_layers,
            q_lr=args.anesi_q_lr,
            perception_lr=lr,
            beam=args.anesi_beam,
        )
        log = (lambda _: None) if args.no_progress else (lambda line: print(line, flush=True))
        result = run_anesi_addition(
            args.program,
            digits=args.digits,
            epochs=args.epochs or DEFAULT_EPOCHS,
            batch_size=args.batch_size,
            seed=args.seed,
            config=config,
            symbolic=args.anesi_symbolic,
            out_dir=args.out,
            test_dir=args.test_data,
            device=str(resolve_device(args.device)),
            log=log,
        )
        text = json.dumps(result, indent=2) + "\n"
        atomic_write_bytes(args.out / "result.json", lambda f: f.write(text.encode()))
        print(
            f"A-NeSI, N={result['digits']}: sum accuracy {result['sum_accuracy']:.4f} "
            f"(symbolic prediction; q's own {result['neural_sum_accuracy']:.4f}) on "
            f"{result['test_examples']} test sums, digit accuracy "
            f"{result['digit_accuracy']:.4f}; {result['train_seconds']:.0f} s training"
        )
        return 0


BACKEND = _Backend()
