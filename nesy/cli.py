"""The ``nesy`` command: parses arguments, calls the library, renders errors, sets exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from nesy.errors import NesyError

__all__ = ["main"]


def _cmd_query(args: argparse.Namespace) -> int:
    from nesy.infer import explain, query
    from nesy.lang import parse_file

    program = parse_file(args.program)
    if args.mpe:
        explanations = explain(program)
        if args.json:
            rows = [
                {"query": e.answer, "probability": e.probability, "explanation": list(e.choices)}
                for e in explanations
            ]
            print(json.dumps(rows, indent=2))
        else:
            for e in explanations:
                print(f"{e.answer}:\t{e.probability:.10g}\t{', '.join(e.choices)}")
        return 0
    probabilities = query(program)
    if args.json:
        print(json.dumps(probabilities, indent=2))
    else:
        width = max((len(a) for a in probabilities), default=0) + 1
        for atom, p in probabilities.items():
            print(f"{atom + ':':<{width}}\t{p:.10g}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from nesy.errors import ConfigError
    from nesy.train.tasks import TASKS

    if args.backend != "exact":
        return int(args.backends[args.backend].train(args))
    if args.task not in TASKS:
        raise ConfigError(f"unknown task '{args.task}'; known tasks: {', '.join(sorted(TASKS))}")
    run = TASKS[args.task]
    settings = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "schedule": args.schedule,
        "digits": args.digits,
    }
    if args.digits is not None and args.task != "mnist-addition-digits":
        raise ConfigError("--digits applies to --task mnist-addition-digits only")
    run(
        args.program,
        **{name: value for name, value in settings.items() if value is not None},
        seed=args.seed,
        out_dir=args.out,
        test_dir=args.test_data,
        progress=not args.no_progress,
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nesy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    query = commands.add_parser("query", help="probability of every query of a program")
    query.add_argument("program", type=Path)
    query.add_argument("--json", action="store_true", help="print a JSON object")
    query.add_argument(
        "--mpe", action="store_true", help="most probable explanation of each query instead"
    )
    query.set_defaults(run=_cmd_query)

    train = commands.add_parser("train", help="train a program's networks on a task")
    train.add_argument("program", type=Path)
    train.add_argument("--task", default="mnist-addition", help="default: mnist-addition")
    train.add_argument("--epochs", type=int, default=None, help="default: the task's")
    train.add_argument("--batch-size", type=int, default=None, help="default: the task's")
    train.add_argument("--lr", type=float, default=None, help="default: the task's")
    train.add_argument(
        "--schedule",
        default=None,
        help="lr per epoch: constant, cosine, warmup_cosine; default: task's",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, default=Path("runs/mnist_addition"))
    train.add_argument(
        "--test-data", type=Path, default=None, help="folder with MNIST IDX test files"
    )
    train.add_argument(
        "--digits", type=int, default=None, help="digits per number; default: the program's n"
    )
    train.add_argument("--no-progress", action="store_true")
    # Other backends train through the ``nesy.backends`` entry points: each adds its own options
    # to this command and runs ``train(args)`` when chosen.
    backends = {entry.name: entry.load() for entry in entry_points(group="nesy.backends")}
    train.add_argument(
        "--backend",
        choices=["exact", *sorted(backends)],
        default="exact",
        help="exact: knowledge-compiled circuits trained end to end (default)",
    )
    for backend in backends.values():
        backend.add_arguments(train)
    train.set_defaults(run=_cmd_train, backends=backends)
    # Backends add their own command groups (``nesy edcr ...``) through entry points, so the core
    # never imports them.
    for entry in entry_points(group="nesy.commands"):
        entry.load()(commands)
    return parser


def _render(error: NesyError) -> str:
    """The error with its source line, read from the file when the error did not carry it."""
    if error.source_text is None and error.span is not None:
        path = Path(error.span.source)
        if path.is_file():
            error.source_text = path.read_text(encoding="utf-8", errors="replace")
    return f"nesy: error: {error}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except NesyError as error:
        print(_render(error), file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"nesy: error: {error.filename}: no such file", file=sys.stderr)
        return 1
