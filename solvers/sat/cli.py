"""``nesy sat solve | generate | train | bench``: SAT solving with neural guidance from the shell.

Registered with the ``nesy`` command through the ``nesy.commands`` entry point, so the core CLI
never imports this backend. The networks are loaded only by the verbs and guides that use them.

- ``solve`` prints SAT-competition output (``c`` comments, an ``s`` line, ``v`` lines) and exits
  10 (SAT), 20 (UNSAT) or 0 (UNKNOWN: the timeout came first); an error exits 1.
- ``generate`` writes SR(U(n-min, n-max)) pairs as DIMACS files.
- ``train`` trains NeuroSAT or its core variant on SR pairs and saves a checkpoint that
  ``solve --model`` / ``--core-model`` take.
- ``bench`` runs several guides over DIMACS files and prints a table (or JSON rows).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from nesy.errors import BackendError, ConfigError, DataError
from nesy.options import at_least, integer, positive_float
from nesy.outputs import writable_file, writable_folder
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.stop import StopOnSignal
from solvers.sat.cnf import CNF
from solvers.sat.dimacs import MAX_INPUT_BYTES, read_dimacs, write_dimacs
from solvers.sat.generate import sr_pairs
from solvers.sat.guide import (
    GUIDES,
    PORTFOLIO_ROUNDS,
    PROBE_CONFLICTS,
    GuideScores,
    LazyScorer,
    ScoringTimeout,
    SolveResult,
    solve,
)

__all__ = ["register", "format_model", "find_cnf_files", "EXIT_SAT", "EXIT_UNSAT", "EXIT_UNKNOWN"]

EXIT_SAT, EXIT_UNSAT, EXIT_UNKNOWN = 10, 20, 0  # the SAT competition's exit codes
_NETWORK_GUIDES = ("phases", "core", "portfolio")  # the guides that run the network
_CNF_SUFFIXES = (".cnf", ".cnf.gz", ".cnf.xz")
_LINE = 78
_SECONDS = ("solve_seconds", "guide_seconds")
_MB = 2**20
#: The default bound on the network's graph (literal and clause nodes): about 1.5 GB
MAX_NETWORK_NODES = 200_000


def format_model(model: tuple[int, ...] | list[int], width: int = _LINE) -> list[str]:
    """``v`` lines for a model: literals separated by spaces, each line at most ``width``
    characters (a longer literal gets a line of its own), ``0`` at the end of the last line.

    Examples
    --------
    >>> format_model([1, -2, 3])
    ['v 1 -2 3 0']
    >>> format_model([1, -2, 3, -4], width=7)
    ['v 1 -2', 'v 3 -4', 'v 0']
    """
    lines, line = [], "v"
    for token in [*map(str, model), "0"]:
        if len(line) + 1 + len(token) > width and line != "v":
            lines.append(line)
            line = "v"
        line += " " + token
    lines.append(line)
    return lines


def find_cnf_files(paths: list[Path]) -> list[Path]:
    """The given files, and every ``*.cnf``, ``*.cnf.gz``, ``*.cnf.xz`` under the given folders
    (sorted per folder).

    Raises
    ------
    DataError
        A folder with no DIMACS file in it.
    """
    files = []
    for path in paths:
        if not path.is_dir():
            files.append(path)  # a missing one fails when read, with the usual message
            continue
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(_CNF_SUFFIXES)
        )
        if not found:
            raise DataError(f"{path}: no {', '.join('*' + s for s in _CNF_SUFFIXES)} file in it")
        files += found
    return files


def _guides(args: argparse.Namespace) -> list[str]:
    return list(args.guides) if hasattr(args, "guides") else [args.guide]


def _check_network_options(args: argparse.Namespace) -> None:
    if args.threads < 1:
        raise ConfigError(f"--threads must be at least 1; got {args.threads}")
    if args.rounds is not None and args.rounds < 1:  # fewer would score without passing messages
        raise ConfigError(f"--rounds must be at least 1; got {args.rounds}")


def _network(args: argparse.Namespace):
    """The default scorer (or the given checkpoints) and the seconds it took to load."""
    import torch

    from solvers.sat.scoring import default_scorer

    _check_network_options(args)
    # One formula's graph is small: with more intra-op threads each tiny op mostly waits for the
    # others (on a busy 2-CPU machine, a 20-variable formula took 0.1 s on one thread and up to
    # 20 s on two).
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    with_core = any(guide.endswith("core") for guide in _guides(args))
    scorer = default_scorer(args.model, args.core_model, args.rounds, with_core=with_core)
    return scorer, time.perf_counter() - start


def _portfolio_network(args: argparse.Namespace) -> LazyScorer:
    """The portfolio's scorer: torch and NeuroSAT are loaded only if the probe leaves the
    formula open (importing torch alone takes a second or more)."""
    _check_network_options(args)

    def load():
        import torch

        from solvers.sat.scoring import portfolio_scorer

        torch.set_num_threads(args.threads)
        rounds = PORTFOLIO_ROUNDS if args.rounds is None else args.rounds
        return portfolio_scorer(rounds, args.model).load()

    return LazyScorer(load)


def _out_of_memory(path: Path, cnf: CNF, error: MemoryError) -> BackendError:
    """What a formula too large for this machine's memory reads as (a 2^31-1-variable header
    asks for a model of 2^31-1 literals, and for that many scores)."""
    return BackendError(
        f"{path}: out of memory for a formula of {cnf.num_vars} variables and "
        f"{cnf.num_clauses} clauses ({error.__class__.__name__})"
    )


def _left(deadline: float | None) -> float | None:
    """Seconds to ``deadline``, a millisecond at least (so that a spent budget still makes
    :func:`solve` answer UNKNOWN rather than refuse the timeout)."""
    return None if deadline is None else max(deadline - time.monotonic(), 1e-3)


def _solve(args: argparse.Namespace) -> int:
    # --timeout covers the whole command from its start: reading, loading and running the
    # network, and the search
    started = getattr(args, "started", time.monotonic())  # nesy.cli's main sets it
    deadline = None if args.timeout is None else started + args.timeout
    cnf = read_dimacs(args.file, args.max_input_mb * _MB)
    scorer, load_seconds = None, None
    if args.guide in _NETWORK_GUIDES:
        _check_network_size(args, args.file, cnf)
        if args.guide == "portfolio":
            scorer = _portfolio_network(args)
        else:
            scorer, load_seconds = _network(args)
        scorer.deadline = deadline
    try:
        result = solve(
            cnf,
            guide=args.guide,
            scorer=scorer,
            solver=args.solver,
            timeout=_left(deadline),
            seed=args.seed,
            rescore_every=args.rescore_every,
            probe=args.probe,
        )
    except MemoryError as error:
        raise _out_of_memory(args.file, cnf, error) from error
    comments = [
        f"file {args.file}",
        f"variables {cnf.num_vars}",
        f"clauses {cnf.num_clauses}",
        f"solver {result.solver}",
        f"guide {result.guide}",
        f"conflicts {result.conflicts}",
        f"decisions {result.decisions}",
        f"solve seconds {result.solve_seconds:.3f}",
        f"guide seconds {result.guide_seconds:.3f}",
    ]
    if load_seconds is not None:
        comments.append(f"network load seconds {load_seconds:.3f}")
    if result.guide.endswith("portfolio"):
        ran = "ran" if result.scorings else "not needed"
        comments.append(f"probe conflicts {args.probe}, then the network: {ran}")
    if result.guided_decisions:
        comments.append(f"guided decisions {result.guided_decisions}")
    lines = [f"c {text}" for text in comments]
    if result.status is True:
        assert result.model is not None  # solve() gives every SAT answer its model
        lines += ["s SATISFIABLE", *format_model(result.model)]
        code = EXIT_SAT
    elif result.status is False:
        lines.append("s UNSATISFIABLE")
        code = EXIT_UNSAT
    else:
        lines.append("s UNKNOWN")
        code = EXIT_UNKNOWN
    print("\n".join(lines), flush=True)
    return code


def _generate(args: argparse.Namespace) -> int:
    if args.pairs < 0:
        raise ConfigError(f"--pairs must be non-negative; got {args.pairs}")
    if not 1 <= args.n_min <= args.n_max:
        raise ConfigError(f"need 1 <= --n-min <= --n-max; got {args.n_min} and {args.n_max}")
    writable_folder(args.out_dir, "OUT_DIR")
    start = time.perf_counter()
    clauses = 0
    for i, (unsat, sat) in enumerate(sr_pairs(args.pairs, args.n_min, args.n_max, args.seed)):
        n = unsat.num_vars
        for label, cnf in (("sat", sat), ("unsat", unsat)):
            comment = (
                f"SR({n}) pair {i}, {label.upper()}: solvers.sat.generate.sr_pair via "
                f"`nesy sat generate --n-min {args.n_min} --n-max {args.n_max} "
                f"--seed {args.seed}`; the pair differs in the first literal of the last clause"
            )
            write_dimacs(args.out_dir / f"sr{n}_{i:05d}_{label}.cnf", cnf, [comment])
            clauses += cnf.num_clauses
    print(
        f"wrote {2 * args.pairs} files ({args.pairs} SAT/UNSAT pairs of SR(U({args.n_min}, "
        f"{args.n_max})), {clauses} clauses in all, seed {args.seed}) to {args.out_dir} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from solvers.sat.train import NeuroSATConfig, machine, make_examples, save_model, train

    for name in ("pairs", "val_pairs", "low", "d", "rounds", "epochs", "max_nodes"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1; got {args.workers}")
    if args.low > args.high:
        raise ConfigError(f"need --low <= --high; got {args.low} and {args.high}")
    # Where the results go is checked before hours of training, not at the save after them.
    writable_file(args.out, "--out")
    if args.curve is not None:
        writable_file(args.curve, "--curve")
    start = time.perf_counter()
    examples = make_examples(args.pairs, args.low, args.high, args.seed, args.head, args.workers)
    validation = make_examples(
        args.val_pairs, args.low, args.high, args.seed + 1, args.head, args.workers
    )
    data_seconds = time.perf_counter() - start
    print(
        f"{len(examples)} training and {len(validation)} validation examples in "
        f"{data_seconds:.1f} s",
        flush=True,
    )
    config = NeuroSATConfig(
        head=args.head,
        d=args.d,
        rounds=args.rounds,
        lr=args.lr,
        max_nodes=args.max_nodes,
        epochs=args.epochs,
        seconds=args.seconds,
        eval_every=args.eval_every,
        seed=args.seed,
        device=args.device,
    )

    def log(entry: dict[str, Any]) -> None:
        print(
            f"step {entry['step']:6d}  {entry['seconds']:7.1f} s  {entry['examples']:8d} examples"
            f"  loss {entry['loss']:.4f}  validation accuracy {entry['validation_accuracy']:.4f}",
            flush=True,
        )

    # Ctrl-C or SIGTERM ends training after the current step; the model is saved all the same
    with StopOnSignal() as stop:
        model, curve = train(config, examples, validation, log, stop)
    meta = {
        "config": dict(vars(config)),
        "data": {
            "pairs": args.pairs,
            "val_pairs": args.val_pairs,
            "low": args.low,
            "high": args.high,
            "seed": args.seed,
        },
        "data_seconds": data_seconds,
        "curve": curve,
        "machine": machine(),
    }
    save_model(args.out, model, meta)
    print(f"wrote {args.out}", flush=True)
    if args.curve:
        text = json.dumps(meta, indent=1) + "\n"
        atomic_write_bytes(args.curve, lambda f: f.write(text.encode()))
        print(f"wrote {args.curve}", flush=True)
    if stop.signal_number is not None:  # one line, and the shell's code for the signal
        name = signal.Signals(stop.signal_number).name
        print(
            f"nesy: {name}: training stopped after step {curve[-1]['step']}; the model so far "
            f"is saved to {args.out}",
            file=sys.stderr,
        )
        return 128 + stop.signal_number
    return 0


def _caching(scores: GuideScores | None, cnf: CNF):
    """A scorer that hands out ``scores`` for ``cnf`` (and refuses any other formula); ``None``:
    the network ran out of time on it."""

    def score(formula: CNF) -> GuideScores:
        if formula is not cnf:
            raise DataError("the caching scorer holds the scores of another formula")
        if scores is None:
            raise ScoringTimeout("the network ran out of time on this formula")
        return scores

    return score


def _status(result: SolveResult) -> str:
    return {True: "SAT", False: "UNSAT", None: "UNKNOWN"}[result.status]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _bench(args: argparse.Namespace) -> int:
    files = find_cnf_files(args.paths)
    guides = list(dict.fromkeys(args.guides))  # each once, in the order given
    scorer = None
    if any(g in ("phases", "core") for g in guides):
        scorer, load_seconds = _network(args)
        if not args.json:
            print(f"network loaded in {load_seconds:.2f} s", flush=True)
    rows: list[dict[str, Any]] = []
    for path in files:
        cnf = read_dimacs(path, args.max_input_mb * _MB)
        if scorer is not None or "portfolio" in guides:
            _check_network_size(args, path, cnf)
        try:
            file_rows, network_seconds = _bench_file(args, path, cnf, guides, scorer)
        except MemoryError as error:
            raise _out_of_memory(path, cnf, error) from error
        rows += file_rows
        answers = {row["status"] for row in rows[-len(guides) :]} - {"UNKNOWN"}
        if len(answers) > 1:
            raise BackendError(f"{path}: the guides disagree on satisfiability: {sorted(answers)}")
        if not args.json:
            timing = "" if network_seconds is None else f", network {network_seconds:.3f} s"
            outcome = " ".join(f"{row['guide']}:{row['status']}" for row in rows[-len(guides) :])
            print(
                f"{path}: {cnf.num_vars} variables, {cnf.num_clauses} clauses{timing}; {outcome}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(_table(rows, guides, len(files)))
    return 0


def _bench_file(
    args: argparse.Namespace, path: Path, cnf: CNF, guides: list[str], scorer
) -> tuple[list[dict[str, Any]], float | None]:
    """One row per guide for one file, and the seconds the network took to score it: once, for
    every guide that reads scores."""
    cached, network_seconds = None, None
    if scorer is not None:
        start = time.perf_counter()
        # once per file, the same for every guide; a network slower than a run's --timeout
        # leaves every guide that reads it UNKNOWN
        scorer.deadline = time.monotonic() + args.timeout
        try:
            scores = scorer(cnf)
        except ScoringTimeout:
            scores = None
        cached = _caching(scores, cnf)
        network_seconds = time.perf_counter() - start
    rows = []
    for guide in guides:
        guide_scorer = cached if guide in ("phases", "core") else None
        if guide == "portfolio":  # its own network, run only if its probe leaves cnf open
            guide_scorer = _portfolio_network(args)
            guide_scorer.deadline = time.monotonic() + args.timeout
        result = solve(
            cnf,
            guide=guide,
            scorer=guide_scorer,
            solver=args.solver,
            timeout=args.timeout,
            seed=args.seed,
            rescore_every=args.rescore_every,
            probe=args.probe,
        )
        rows.append(
            {
                "file": str(path),
                "variables": cnf.num_vars,
                "clauses": cnf.num_clauses,
                "solver": result.solver,
                "guide": guide,
                "status": _status(result),
                "conflicts": result.conflicts,
                "decisions": result.decisions,
                "propagations": result.propagations,
                "solve_seconds": result.solve_seconds,
                "guide_seconds": result.guide_seconds,
                "network_seconds": network_seconds if guide in ("phases", "core") else None,
            }
        )
    return rows, network_seconds


def _table(rows: list[dict[str, Any]], guides: list[str], files: int) -> str:
    header = ("guide", "solved", "conflicts", "decisions", "solve s", "guide s")
    table: list[tuple[str, ...]] = [header]
    for guide in guides:
        runs = [row for row in rows if row["guide"] == guide]
        solved = sum(row["status"] != "UNKNOWN" for row in runs)
        medians = [_median([row[key] for row in runs]) for key in ("conflicts", "decisions")]
        seconds = [_median([row[key] for row in runs]) for key in _SECONDS]
        table.append(
            (
                guide,
                f"{solved}/{files}",
                *(f"{m:.1f}".removesuffix(".0") if m is not None else "-" for m in medians),
                *(f"{s:.4f}" if s is not None else "-" for s in seconds),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    lines.append(
        "medians over every run, timed-out runs at their counts when stopped; guide s is the time"
        " in the scorer (phases, core: the network ran once per file, outside it; portfolio: its"
        " own, inside it, loaded only past the probe)"
    )
    return "\n".join(lines)


def _input_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-input-mb",
        type=at_least(1),
        default=MAX_INPUT_BYTES // _MB,
        help=f"the most MiB a DIMACS file may hold once decompressed (default "
        f"{MAX_INPUT_BYTES // _MB}); a gzip/xz bomb stops there",
    )


def _check_network_size(args: argparse.Namespace, path: Path, cnf: CNF) -> None:
    """The network's graph has a node per literal and per clause, each holding several
    d-sized vectors: 600,000 nodes took 4.3 GB and ten minutes on a CPU."""
    nodes = 2 * cnf.num_vars + cnf.num_clauses
    if nodes > args.max_network_nodes:
        raise ConfigError(
            f"{path}: {nodes:,} literal and clause nodes, more than the network guides take "
            f"({args.max_network_nodes:,}, about 7 KB each; --max-network-nodes raises it, "
            "--guide none needs no network)"
        )


def _network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-network-nodes",
        type=at_least(1),
        default=MAX_NETWORK_NODES,
        help=f"the largest formula (2 x variables + clauses) the network reads (default "
        f"{MAX_NETWORK_NODES:,})",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="NeuroSAT checkpoint (default: the shipped one)"
    )
    parser.add_argument(
        "--core-model", type=Path, default=None, help="core checkpoint (default: the shipped one)"
    )
    parser.add_argument(
        "--rounds",
        type=integer,
        default=None,
        help=f"message-passing rounds (default: the model's; the portfolio guide's: "
        f"{PORTFOLIO_ROUNDS})",
    )
    parser.add_argument(
        "--threads", type=integer, default=1, help="torch threads for the network (default 1)"
    )


def _probe_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probe",
        type=at_least(0),
        default=PROBE_CONFLICTS,
        help=f"portfolio guides: conflicts the solver runs unguided before the network is loaded "
        f"and run (default {PROBE_CONFLICTS}, measured on SATLIB by benchmarks/sat_guidance.py)",
    )


def _rescore_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rescore-every",
        type=integer,
        default=None,
        help="core guides: conflicts between network re-scorings; default: score once (the "
        "shipped network does not read learnt clauses, so re-scoring repeats the same scores)",
    )


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``sat solve``, ``sat generate``, ``sat train`` and ``sat bench`` to ``nesy``."""
    sat = commands.add_parser("sat", help="SAT solving guided by NeuroSAT / NeuroCore")
    verbs = sat.add_subparsers(dest="sat_command", required=True)

    run = verbs.add_parser(
        "solve",
        help="solve a DIMACS file; SAT-competition output, exit 10 SAT / 20 UNSAT / 0 UNKNOWN",
        description=(
            "Solve a DIMACS CNF file (plain, .gz or .xz). Prints 'c' comments, then "
            "'s SATISFIABLE' with the verified model as 'v' lines, 's UNSATISFIABLE' or "
            "'s UNKNOWN', and exits 10, 20 or 0. Guides: none (the solver alone), phases "
            "(NeuroSAT's assignment as initial phases), core (NeuroCore's scores as the "
            "branching order), portfolio (the solver alone for --probe conflicts, then, only if "
            "the formula is still open, NeuroSAT's phases: the guide that costs least wall "
            "time), random-phases / random-core / random-portfolio (random scores: the control)."
        ),
    )
    run.add_argument("file", type=Path, help="DIMACS CNF file (.cnf, .cnf.gz, .cnf.xz)")
    run.add_argument("--guide", choices=GUIDES, default="none", help="default: none")
    _network_options(run)
    _input_option(run)
    run.add_argument("--solver", default="cadical195", help="a python-sat solver name")
    run.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        help="seconds for the whole run (reading, network, search); then s UNKNOWN",
    )
    run.add_argument("--seed", type=at_least(0), default=0, help="seed of the random guides")
    _rescore_option(run)
    _probe_option(run)
    run.set_defaults(run=_solve)

    gen = verbs.add_parser(
        "generate",
        help="write SR(U(n-min, n-max)) SAT/UNSAT pairs as DIMACS files",
        description=(
            "Write NeuroSAT's SR pairs: sr{n}_{i}_sat.cnf and sr{n}_{i}_unsat.cnf differ in one "
            "literal; n is drawn uniformly from n-min..n-max."
        ),
    )
    gen.add_argument("out_dir", type=Path, help="folder to write into (created if needed)")
    gen.add_argument("--pairs", type=integer, required=True, help="number of pairs")
    gen.add_argument("--n-min", type=integer, default=10)
    gen.add_argument("--n-max", type=integer, default=40)
    gen.add_argument("--seed", type=at_least(0), default=0)
    gen.set_defaults(run=_generate)

    fit = verbs.add_parser(
        "train",
        help="train NeuroSAT (sat head) or its core variant on SR pairs (slow on a CPU)",
        description=(
            "Generate SR(U(low, high)) pairs, train, print a curve line per evaluation and save "
            "a checkpoint for 'nesy sat solve --model/--core-model'. Training NeuroSAT on a CPU "
            "is slow: a 12,000-node batch at d=128 and 26 rounds takes about 10-25 s per step; "
            "use --device cuda where there is a GPU, or shrink --d / --rounds / --max-nodes."
        ),
    )
    fit.add_argument("--head", choices=("sat", "core"), default="sat", help="default: sat")
    fit.add_argument("--pairs", type=integer, default=30_000, help="training pairs (default 30000)")
    fit.add_argument(
        "--val-pairs", type=integer, default=500, help="validation pairs (default 500)"
    )
    fit.add_argument("--low", type=integer, default=10, help="smallest n (default 10)")
    fit.add_argument("--high", type=integer, default=40, help="largest n (default 40)")
    fit.add_argument("--d", type=integer, default=128, help="embedding size (default 128)")
    fit.add_argument(
        "--rounds", type=integer, default=26, help="message passing rounds (default 26)"
    )
    fit.add_argument(
        "--lr", type=positive_float, default=1e-4, help="Adam learning rate (default 1e-4)"
    )
    fit.add_argument("--max-nodes", type=integer, default=12_000, help="literals+clauses per batch")
    fit.add_argument(
        "--seconds", type=positive_float, default=None, help="wall-time bound for training"
    )
    fit.add_argument("--epochs", type=integer, default=100, help="default 100")
    fit.add_argument(
        "--eval-every", type=positive_float, default=30.0, help="seconds between evaluations"
    )
    fit.add_argument("--device", default="cpu", help="torch device (default cpu)")
    fit.add_argument("--workers", type=integer, default=None, help="data processes (default: CPUs)")
    fit.add_argument("--seed", type=at_least(0), default=0)
    fit.add_argument("--out", type=Path, required=True, help="checkpoint to write")
    fit.add_argument("--curve", type=Path, default=None, help="also write the meta+curve JSON")
    fit.set_defaults(run=_train)

    bench = verbs.add_parser(
        "bench",
        help="compare guides over DIMACS files: a table, or JSON rows",
        description=(
            "Run each guide on each DIMACS file (folders are searched for *.cnf, *.cnf.gz, "
            "*.cnf.xz). The network scores each file once; every guide that needs scores gets "
            "those same scores."
        ),
    )
    bench.add_argument("paths", type=Path, nargs="+", metavar="FILES_OR_DIRS")
    bench.add_argument(
        "--guides",
        nargs="+",
        choices=GUIDES,
        default=["none", "phases", "random-phases", "core", "random-core"],
        help="default: none phases random-phases core random-core",
    )
    _network_options(bench)
    _input_option(bench)
    bench.add_argument("--solver", default="cadical195", help="default: cadical195")
    bench.add_argument(
        "--timeout", type=positive_float, default=10.0, help="seconds per run (default 10)"
    )
    bench.add_argument("--seed", type=at_least(0), default=0, help="seed of the random guides")
    _rescore_option(bench)
    _probe_option(bench)
    bench.add_argument("--json", action="store_true", help="print the per-run rows as JSON")
    bench.set_defaults(run=_bench)
