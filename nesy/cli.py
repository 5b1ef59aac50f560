"""The ``nesy`` command: parses arguments, calls the library, renders errors, sets exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from nesy.errors import ConfigError, NesyError
from nesy.lang import ir

__all__ = ["main"]


def _pick_backend(args: argparse.Namespace, program: ir.Program, exact_can: bool = True) -> str:
    """The backend ``--backend`` names; for ``auto``, the exact backend when the program is in
    its class (and it can do the job), else the ASP backend, with a one-line notice why."""
    from nesy.infer.compile import outside_class
    from nesy.lang.depend import negative_cycle

    if args.backend != "auto":
        return args.backend
    found = outside_class(program)
    if found is None and (cycle := negative_cycle(program)) is not None:
        found = ("negation through recursion", cycle.span)
    if found is not None and "asp" in args.backends:
        choice = "asp"
        why = f"{found[0]} at {found[1]}: stable-model semantics"
    elif exact_can or "asp" not in args.backends:
        choice, why = "exact", "one stable model per total choice"
    else:
        choice, why = "asp", f"task '{args.task}' is not one of the exact backend's"
    print(f"nesy: using the {choice} backend ({why}); --backend chooses", file=sys.stderr)
    return choice


def _cmd_query(args: argparse.Namespace) -> int:
    from nesy.infer import explain, query
    from nesy.lang import parse_file

    if _dialect(args) == "problog":
        from nesy.infer.query import query_problog

        if args.mpe or args.backend not in ("auto", "exact"):
            raise ConfigError("the ProbLog dialect answers with the exact backend, without --mpe")
        _print_probabilities(query_problog(args.program), args.json)
        return 0
    program = parse_file(args.program)
    backend = _pick_backend(args, program)
    if backend != "exact":
        if args.mpe:
            raise ConfigError("--mpe is the exact backend's; `nesy solve` gives the ASP backend's")
        probabilities = args.backends[backend].query(program)
        _print_probabilities(probabilities, args.json)
        return 0
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
    _print_probabilities(query(program), args.json)
    return 0


#: file suffixes read in the ProbLog dialect when --dialect is auto
PROBLOG_SUFFIXES = (".pl", ".problog")


def _dialect(args: argparse.Namespace) -> str:
    if args.dialect != "auto":
        return args.dialect
    return "problog" if args.program.suffix in PROBLOG_SUFFIXES else "nesy"


def _print_probabilities(probabilities: dict[str, float], as_json: bool) -> None:
    if as_json:
        print(json.dumps(probabilities, indent=2))
        return
    width = max((len(a) for a in probabilities), default=0) + 1
    for atom, p in probabilities.items():
        print(f"{atom + ':':<{width}}\t{p:.10g}")


def _cmd_train(args: argparse.Namespace) -> int:
    from nesy.lang import parse_file
    from nesy.train.tasks import TASKS

    backend = args.backend
    if backend == "auto":
        asp_tasks = getattr(args.backends.get("asp"), "tasks", ())
        exact_can = args.task in TASKS or args.task not in asp_tasks
        backend = _pick_backend(args, parse_file(args.program), exact_can=exact_can)
    if backend != "exact":
        return int(args.backends[backend].train(args))
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
        "--dialect",
        choices=["auto", "nesy", "problog"],
        default="auto",
        help="auto (default): problog for .pl/.problog files (Prolog syntax and built-ins, "
        "grounded top-down as ProbLog does), nesy (clingo syntax + annotations) otherwise",
    )
    query.add_argument(
        "--mpe", action="store_true", help="most probable explanation of each query instead"
    )
    backends = {entry.name: entry.load() for entry in entry_points(group="nesy.backends")}
    queriers = sorted(name for name, b in backends.items() if hasattr(b, "query"))
    query.add_argument(
        "--backend",
        choices=["auto", "exact", *queriers],
        default="auto",
        help="auto (default): exact when the program is in its class, else asp",
    )
    query.set_defaults(run=_cmd_query, backends=backends)

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
    train.add_argument(
        "--backend",
        choices=["auto", "exact", *sorted(backends)],
        default="auto",
        help="auto (default): exact for programs and tasks in its class, else asp; "
        "exact: knowledge-compiled circuits trained end to end",
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
