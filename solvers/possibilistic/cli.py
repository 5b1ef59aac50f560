"""``nesy train ... --backend possibilistic``: Pi-NeSy on MNIST-addition-k and ViSudo-PC.

Registered through the ``nesy.backends`` entry point, so the core CLI never imports this backend.
The tasks follow the authors' protocol (ALGORITHMS.md A.8, A.9): the CNN learns from digit
labels and the rule parameters from intermediate labels, with thresholds chosen on validation
data. The rule sets' shapes are hand-built from A.8/A.9. From the program come the number of
digits (``#const n``) and, for a Sudoku, its size (``#const size``) and the pairs of cells that
must differ (its ground ``same_unit/4`` atoms, :func:`~solvers.possibilistic.sudoku.program_pairs`).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from nesy.errors import ConfigError
from nesy.lang import ir, parse_file
from nesy.train.checkpoint import atomic_write_bytes, save_checkpoint

__all__ = ["BACKEND"]

_TASKS = ("mnist-addition", "mnist-addition-digits", "visudo")


def _write_result(out_dir: Path, figures: dict[str, Any], state: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out_dir / "checkpoint.pt", state)
    text = json.dumps(figures, indent=2) + "\n"
    atomic_write_bytes(out_dir / "result.json", lambda f: f.write(text.encode()))


def _addition(args: argparse.Namespace, program: ir.Program) -> dict[str, Any]:
    from solvers.possibilistic.addition import explain
    from solvers.possibilistic.addition_task import evaluate_addition, train_digit_net

    k = args.digits if args.digits is not None else program.constant("n")
    if args.task == "mnist-addition":
        k = 1
    if k < 1:
        raise ConfigError(f"digits per number must be at least 1; got {k}")
    net, data = train_digit_net(
        args.seed, epochs=args.epochs or 20, test_dir=args.test_data, progress=args.progress
    )
    figures, result, test = evaluate_addition(
        data, k, args.method, seed=args.seed, use_thresholds=not args.no_thresholds,
        progress=args.progress,
    )  # fmt: skip
    print(
        f"Pi-NeSy-{args.method}, k={k}: accuracy {figures['accuracy']:.4f} on "
        f"{figures['test_examples']} test sums (ambiguous {figures['ambiguous_rate']:.4f}); "
        f"CNN digit accuracy {figures['cnn_digit_accuracy']:.4f}; rules learned in "
        f"{figures['learn_seconds']:.2f} s ({figures['search_seconds']:.1f} s threshold search); "
        f"inference {figures['inference_ms_per_example']:.3f} ms per sum; "
        f"{figures['nonzero_parameters']:.1%} of the rule parameters are above 0"
    )
    for example in range(min(args.explain, figures["test_examples"])):
        truth = test.labels.y[example].flip(0).tolist()
        print(f"\ntest sum {example} (true sum {''.join(map(str, truth))}):")
        print(explain(result, example))
    _write_result(args.out, figures, {"cnn": net.state_dict(), "rules": result.params()})
    return figures


def _visudo(args: argparse.Namespace, program: ir.Program) -> dict[str, Any]:
    from nesy.neural.visudo import load_split
    from solvers.possibilistic.sudoku import explain, program_pairs, run_sudoku

    size = program.constant("size")
    pairs = program_pairs(program, size)
    split = load_split(size, args.seed, args.test_data)
    run = run_sudoku(split, args.method, epochs=args.epochs or 20, seed=args.seed,
                     progress=args.progress, pairs=pairs)  # fmt: skip
    figures = run.metrics
    print(
        f"Pi-NeSy-{args.method}, ViSudo-PC {size}x{size} split {args.seed}: accuracy "
        f"{figures['accuracy']:.4f} on {len(split.test.valid)} test puzzles (ambiguous "
        f"{figures['ambiguous_rate']:.4f}, ROC-AUC {figures['roc_auc']:.4f}); CNN cell accuracy "
        f"{figures['cnn_accuracy']:.4f}; {figures['nonzero_parameters']:.1%} of the rule "
        "parameters are above 0"
    )
    count = len(split.test.valid)
    # spread over the test puzzles, which hold the valid ones first and then their twins
    for puzzle in range(0, count, max(1, count // max(args.explain, 1)))[: args.explain]:
        truly = "valid" if split.test.valid[puzzle] else "invalid"
        print(f"\ntest puzzle {puzzle} (truly {truly}):")
        print(explain(run.model, run.test_possibility[puzzle]).to_text())
    model = run.model
    state = {"cnn": run.net.state_dict(), "first": model.first, "second": model.second}
    _write_result(args.out, figures, state)
    return figures


class _Backend:
    """The ``possibilistic`` training backend of ``nesy train``."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("possibilistic backend (Pi-NeSy)")
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

    def train(self, args: argparse.Namespace) -> int:
        if args.task not in _TASKS:
            raise ConfigError(
                f"the possibilistic backend has no task '{args.task}'; its tasks: "
                f"{', '.join(_TASKS)}"
            )
        args.progress = not args.no_progress and os.isatty(2)
        program = parse_file(os.fspath(args.program))
        run = _visudo if args.task == "visudo" else _addition
        run(args, program)
        return 0


BACKEND = _Backend()
