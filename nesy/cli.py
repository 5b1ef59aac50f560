"""The ``nesy`` command: parses arguments, calls the library, renders errors, sets exit codes."""

# Start-up: only what the chosen command needs is imported (torch by `query` and `train` only;
# a backend's command group only when it is the command: nesy.commands), so that `nesy --help`,
# `nesy solve` and `nesy sat solve --guide none` never load torch, and `nesy solve` on a small
# program costs little more than clingo's own command (benchmarks/startup.py).
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nesy.commands import add_groups
from nesy.errors import ConfigError, NesyError
from nesy.options import at_least, positive_float
from nesy.train.stop import Interrupted

if TYPE_CHECKING:
    from nesy.backend import Backend
    from nesy.lang import ir
    from nesy.task import Task

__all__ = ["main"]

T = TypeVar("T")

#: The commands the core defines; every other comes from a ``nesy.commands`` entry point.
_CORE = {
    "query": "probability of every query of a program",
    "train": "train a program's networks on a task",
}


def _pick_backend(args: argparse.Namespace, program: ir.Program, names: Sequence[str]) -> Backend:
    """The backend ``--backend`` names; for ``auto``, the first of ``names`` that accepts the
    program (:func:`nesy.backend.choose`), with a one-line notice why."""
    from nesy.backend import choose

    if args.backend != "auto":
        named: Backend = args.backends[args.backend]
        return named
    candidates = {name: args.backends[name] for name in names if name in args.backends}
    backend, why = choose(program, candidates)
    print(f"nesy: using the {backend.name} backend ({why}); --backend chooses", file=sys.stderr)
    return backend


@contextmanager
def _compute_on(args: argparse.Namespace) -> Iterator[str]:
    """Apply ``--threads``; yields the name of the device ``--device`` means. Training puts the
    model and every batch there itself: torch's default device stays the CPU, since data
    loaders draw with CPU generators."""
    from nesy.train.device import resolve_device, set_threads

    set_threads(args.threads)
    yield str(resolve_device(args.device))


def _cmd_query(args: argparse.Namespace) -> int:
    import torch

    # a query's model holds only constants built from the program: build them on the device
    with _compute_on(args) as device, torch.device(device):
        return _query(args)


def _query(args: argparse.Namespace) -> int:
    from nesy.infer import explain
    from nesy.lang import parse_file
    from nesy.task import refuse_ignored_options

    if _dialect(args) == "problog":
        from nesy.infer.query import query_problog

        if args.mpe or args.backend not in ("auto", "exact"):
            raise ConfigError("the ProbLog dialect answers with the exact backend, without --mpe")
        _print_probabilities(_within_budget(args, query_problog, args.program), args.json)
        return 0
    program = parse_file(args.program)
    backend = _pick_backend(args, program, list(args.backends))
    refuse_ignored_options(vars(args), args.owned_options, backend.name)
    if args.mpe:
        if backend.name != "exact":
            raise ConfigError("--mpe is the exact backend's; `nesy solve` gives the ASP backend's")
        explanations = _within_budget(args, explain, program)
        if args.json:
            import json

            rows = [
                {"query": e.answer, "probability": e.probability, "explanation": list(e.choices)}
                for e in explanations
            ]
            print(json.dumps(rows, indent=2))
        else:
            for e in explanations:
                print(f"{e.answer}:\t{e.probability:.10g}\t{', '.join(e.choices)}")
        return 0
    _print_probabilities(_within_budget(args, backend.query, program), args.json)
    return 0


def _within_budget(args: argparse.Namespace, answer: Callable[..., T], source: Any) -> T:
    """``answer(source, budget)`` under the --max-* budget, stopped at its deadline even
    inside one long SDD operation (it runs in a child process: nesy.infer.budget)."""
    from nesy.infer.budget import Budget, run_within

    left = max(args.max_seconds - (time.monotonic() - args.started), 1e-3)  # reading counts
    budget = Budget(left, args.max_sdd_nodes, args.max_ground_rules, args.max_memory_mb)
    return run_within(budget, f"answering {args.program}", answer, source, budget)


#: file suffixes read in the ProbLog dialect when --dialect is auto
PROBLOG_SUFFIXES = (".pl", ".problog")


def _dialect(args: argparse.Namespace) -> str:
    if args.dialect != "auto":
        return str(args.dialect)
    return "problog" if args.program.suffix in PROBLOG_SUFFIXES else "nesy"


def _print_probabilities(probabilities: dict[str, float], as_json: bool) -> None:
    if as_json:
        import json

        print(json.dumps(probabilities, indent=2))
        return
    width = max((len(a) for a in probabilities), default=0) + 1
    for atom, p in probabilities.items():
        print(f"{atom + ':':<{width}}\t{p:.10g}")


def _train_on_data(args: argparse.Namespace) -> int:
    """``nesy train PROGRAM --data FILE``: the program's query trained on a data file
    (:func:`nesy.train.fit.fit`); under torchrun data-parallel, the first process writing."""
    from nesy.train import distributed
    from nesy.train.fit import fit
    from nesy.train.run_folder import CHECKPOINT, prepare_out, write_record
    from nesy.train.trainer import TrainConfig

    if args.backend not in ("auto", "exact"):
        raise ConfigError("--data trains with the exact backend (--backend auto or exact)")
    settings = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}
    settings = {"schedule": args.schedule, **settings, "seed": args.seed}
    with _compute_on(args) as device:
        processes = distributed.join(device)
        try:
            # only the first process has a run folder; the others write nothing
            out = (
                prepare_out(args.out, args.program, resume=args.resume) if processes.lead else None
            )
            config = TrainConfig(
                **{name: value for name, value in settings.items() if value is not None},
                log_path=out and out / "log.jsonl",
                checkpoint_path=out and out / CHECKPOINT,
                progress=not args.no_progress,
                device=device,
            )
            if out is not None:
                print(f"nesy: run folder {out} (processes: {processes.world})", file=sys.stderr)
            result = fit(
                args.program,
                args.data,
                networks=args.networks,
                valid=args.valid,
                valid_fraction=args.valid_fraction,
                test=args.test,
                config=config,
                resume=args.resume,
            )
        finally:
            distributed.leave()
    if out is not None:
        final = {**result.epochs[-1].metrics, **result.test}
        record: dict[str, Any] = {
            "program": str(args.program),
            "data": str(args.data),
            "settings": config.to_json(),
        }
        record |= {"processes": processes.world, "epochs": [e.to_json() for e in result.epochs]}
        write_record(out, {**record, "result": final})
        print(", ".join(f"{name} {value:.4f}" for name, value in final.items()) or "trained")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    if args.data is not None:
        return _train_on_data(args)
    from nesy.lang import parse_file
    from nesy.task import TaskConfig, refuse_ignored_options
    from nesy.train.run_folder import discard_unstarted, prepare_out, read_record, write_record

    if args.task is None:
        raise args.task_refusal
    task = args.task
    if args.backend != "auto" and args.backend not in task.backends:
        raise ConfigError(
            f"the {args.backend} backend does not train --task {task.name}; its backends: "
            f"{', '.join(task.backends)}"
        )
    backend = _pick_backend(args, parse_file(args.program), task.backends).name
    refuse_ignored_options(vars(args), args.owned_options, backend)
    if args.resume and backend != "exact":
        raise ConfigError(f"--resume continues exact-backend runs; the {backend} backend's cannot")
    if backend != "exact":  # the other backends' trainers place their tensors on the CPU
        if args.device == "cuda":
            raise ConfigError(f"the {backend} backend trains on the CPU (--device cuda: exact)")
        args.device = "cpu"
    options = {name: getattr(args, name) for name in args.task_options}
    settings = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}
    settings |= {"schedule": args.schedule, **options}
    asked = {
        "program": str(args.program.resolve()),
        "task": task.name,
        "backend": backend,
        "seed": args.seed,
        "settings": settings,
    }
    now = time.gmtime()
    with _compute_on(args) as device:  # a bad --threads or --device: refused before the folder
        import platform

        import torch

        new_folder = args.out is None or not args.out.exists()
        out = prepare_out(args.out, args.program, resume=args.resume)
        earlier = read_record(out) if args.resume else {}
        differ = [key for key, value in asked.items() if earlier.get(key, value) != value]
        if differ:
            shown = ", ".join(f"{key} {earlier[key]!r} (now {asked[key]!r})" for key in differ)
            raise ConfigError(f"--resume: {out} is a run with other settings: {shown}")
        args.out = out
        record: dict[str, Any] = {
            **earlier,
            **asked,
            "threads": torch.get_num_threads(),
            "device": device,
            "versions": {
                "nesy": _version(),
                "torch": torch.__version__,
                "python": platform.python_version(),
            },
            "machine": {"platform": platform.platform(), "processor": platform.machine()},
            "resumed" if args.resume else "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
        }
        write_record(out, record)
        threads = f"{record['threads']} thread{'s' * (record['threads'] != 1)}"
        print(f"nesy: run folder {out} ({threads}, {device})", file=sys.stderr)
        try:
            config = TaskConfig(
                args.program,
                backend,
                seed=args.seed,
                out_dir=out,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                schedule=args.schedule,
                test_dir=args.test_data,
                progress=not args.no_progress,
                resume=args.resume,
                device=device,
                options=options,
            )
            summary = task.run(config)
        except NesyError:  # refused before it trained: leave no run behind
            if not args.resume:
                discard_unstarted(out, remove_folder=new_folder)
            raise
    write_record(out, {**record, "result": summary})
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nesy")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def _add_compute_options(parser: argparse.ArgumentParser) -> None:
    from nesy.train.device import DEFAULT_THREADS, DEVICES

    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"torch CPU threads (default {DEFAULT_THREADS}: fastest on small, shared machines)",
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="auto (default): CUDA when torch sees a GPU, else the CPU",
    )


def _add_query(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], backends: dict[str, Backend]
) -> None:
    from nesy.task import owned_options

    query = commands.add_parser("query", help=_CORE["query"])
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
    query.add_argument(
        "--backend",
        choices=["auto", *backends],
        default="auto",
        help="auto (default): exact when the program is in its class, else asp",
    )
    _add_compute_options(query)
    _add_budget_options(query)
    query.set_defaults(run=_cmd_query, backends=backends, owned_options=owned_options(query))


def _add_budget_options(parser: argparse.ArgumentParser) -> None:
    from nesy.infer.budget import DEFAULT_BUDGET as LIMIT
    from nesy.task import backend_options

    budget = parser.add_argument_group("budget of every backend (an error past any of them)")
    # the compilation's bounds mean nothing to another backend: given to one, they are refused
    compiling = backend_options(parser, "exact", "its budget, an error past any of them")
    budget.add_argument(
        "--max-seconds",
        type=positive_float,
        default=LIMIT.seconds,
        help=f"the whole command: reading, grounding, compiling (default {LIMIT.seconds:g})",
    )
    compiling.add_argument(
        "--max-sdd-nodes",
        type=at_least(1),
        default=LIMIT.sdd_nodes,
        help=f"live SDD nodes while compiling (default {LIMIT.sdd_nodes:,})",
    )
    compiling.add_argument(
        "--max-ground-rules",
        type=at_least(1),
        default=LIMIT.ground_rules,
        help=f"rules of the ground program (default {LIMIT.ground_rules:,})",
    )
    budget.add_argument(
        "--max-memory-mb",
        type=at_least(1),
        default=LIMIT.memory_mb,
        help="address space of the computation (default: not bounded)",
    )


def _add_train(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    backends: dict[str, Backend],
    argv: Sequence[str],
) -> None:
    """``nesy train``, with the options of its task (``--task``, or the program's)."""
    from nesy.task import owned_options
    from nesy.train.schedules import SCHEDULES  # torch-free, as `nesy train --help` must be

    train = commands.add_parser("train", help=_CORE["train"])
    train.add_argument("program", type=Path)
    train.add_argument(
        "--task",
        dest="task_name",
        help="a registered task (the nesy.tasks entry points); default: the program's",
    )
    train.add_argument("--epochs", type=at_least(1), default=None, help="default: the task's")
    train.add_argument("--batch-size", type=at_least(1), default=None, help="default: the task's")
    train.add_argument("--lr", type=positive_float, default=None, help="default: the task's")
    train.add_argument(
        "--schedule",
        choices=list(SCHEDULES),
        default=None,
        help="lr per epoch (nesy.train.schedules); default: the task's",
    )
    train.add_argument("--seed", type=at_least(0), default=0)
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the run's folder (run.json, log.jsonl, checkpoint.pt); default: a fresh "
        "runs/<program>-<UTC time>; a folder that holds a run only with --resume",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its checkpoint (same settings; the same result "
        "as an uninterrupted run)",
    )
    train.add_argument(
        "--test-data", type=Path, default=None, help="the task's test data folder; default: its own"
    )
    train.add_argument("--no-progress", action="store_true")
    _add_compute_options(train)
    # Any program on the user's data (nesy.train.datafile has the format); --task is then unused.
    train.add_argument("--data", type=Path, help="JSON Lines training examples of the query")
    train.add_argument("--valid", type=Path, help="JSON Lines validation examples (with --data)")
    train.add_argument(
        "--valid-fraction", type=float, default=0.0, help="hold out this fraction of --data"
    )
    train.add_argument("--test", type=Path, help="JSON Lines test examples (with --data)")
    train.add_argument(
        "--networks", help="MODULE:FUNCTION returning {name: nn.Module} (with --data)"
    )
    train.add_argument(
        "--backend",
        choices=["auto", *backends],
        default="auto",
        help="auto (default): the first of the task's backends that accepts the program",
    )
    task, refusal = _task(argv)
    before = {action.dest for action in train._actions}
    if task is not None:
        task.add_arguments(train)
    own = [action.dest for action in train._actions if action.dest not in before]
    train.set_defaults(run=_cmd_train, backends=backends, task=task, task_refusal=refusal)
    train.set_defaults(task_options=own, owned_options=owned_options(train))


def _task(argv: Sequence[str]) -> tuple[Task | None, ConfigError | None]:
    """The task of ``nesy train ARGV`` (none with ``--data``), read before the whole command
    line is, since its options are part of it; an unknown task is reported when the command
    runs, so that ``nesy train --help`` still answers."""
    from nesy.task import task_for, tasks

    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("program", type=Path, nargs="?")
    first.add_argument("--task")
    first.add_argument("--data")
    known, _ = first.parse_known_args(argv[argv.index("train") + 1 :])
    if known.data is not None:
        return None, None
    try:
        return task_for(known.task, known.program, tasks()), None
    except ConfigError as error:
        return None, error


def _command(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (its first argument that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``argv``'s command: fully built for it, the others named (with their
    help)."""
    command = _command(argv)
    parser = argparse.ArgumentParser(prog="nesy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    if command in _CORE:
        from nesy.backend import backends

        if command == "query":
            _add_query(commands, backends())
        else:
            _add_train(commands, backends(), argv)
    for name, text in _CORE.items():
        if name != command:
            commands.add_parser(name, help=text)
    add_groups(commands, command, _CORE)  # the backends' groups (``nesy sat ...``)
    return parser


def _render(error: NesyError) -> str:
    """The error with its source line, read from the file when the error did not carry it."""
    if error.source_text is None and error.span is not None:
        path = Path(error.span.source)
        if path.is_file():
            error.source_text = path.read_text(encoding="utf-8", errors="replace")
    return f"nesy: error: {error}"


#: exit codes of a run stopped by Ctrl-C and of one whose reader closed the pipe (128 + signal)
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


def run() -> None:
    """The ``nesy`` command: :func:`main`, then an immediate exit with its code.

    Everything a command writes is complete when ``main`` returns (results and checkpoints
    are written atomically, child processes are gone); what is left is the interpreter's own
    teardown, which took over a second with torch loaded on a busy machine and pushed
    ``--max-seconds`` and ``--timeout`` past their 10% margin.
    """
    code = main(own_process=True)
    if "logging" in sys.modules:  # flushes the log file handlers a command set up, if any
        sys.modules["logging"].shutdown()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """The ``nesy`` command on ``argv`` (default: this process's arguments); its exit code.

    ``own_process``: this process runs nothing but the command (:func:`run`), so a command may
    end it at its deadline (``nesy solve --timeout`` stopping clingo's grounding) instead of
    running its work in a child process that can be stopped.
    """
    try:
        return _main(argv, own_process)
    except BrokenPipeError:  # `nesy query big.nesy | head -1`: the reader has all it wants
        return _pipe_closed()
    except KeyboardInterrupt:  # Ctrl-C outside a training loop (which saves and stops itself)
        print("nesy: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RecursionError:
        print("nesy: error: input nested too deeply (Python's recursion limit)", file=sys.stderr)
        return 1
    except MemoryError:
        print("nesy: error: out of memory", file=sys.stderr)
        return 1
    except OSError as error:  # a folder named as a file, a file as a folder, no permission
        where = f"{error.filename}: " if error.filename is not None else ""
        print(f"nesy: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1


def _pipe_closed() -> int:
    """Stop quietly; stdout goes to /dev/null so that Python's flush at exit does not fail
    on the closed pipe a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _process_start() -> float:
    from nesy.infer.budget import process_start

    return process_start()


def _main(argv: Sequence[str] | None, own_process: bool) -> int:
    # Budgets cover the whole command: run as the process itself (no argv given), its
    # interpreter's start-up counts too
    started = _process_start() if argv is None else time.monotonic()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv).parse_args(argv)
    args.started, args.own_process = started, own_process
    try:
        return int(args.run(args))
    except Interrupted as stop:
        print(f"nesy: {stop}", file=sys.stderr)
        return stop.exit_code
    except NesyError as error:
        print(_render(error), file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"nesy: error: {error.filename}: no such file", file=sys.stderr)
        return 1
