"""``nesy solve`` and the ASP backend of ``nesy query`` / ``nesy train``.

``nesy solve PROGRAM [FACTS...]`` reads the files as one program, in one of two ways.

A plain ASP program, one that clingo's own parser accepts, is solved by clingo as written, with
clingo's default options: the models are clingo's (what ``#show`` shows), ``#include`` is
resolved relative to the including file, clingo's warnings go to stderr, and ``#script`` is
refused (nesy does not run embedded scripts). nesy's probabilistic annotations (``p::a``,
``nn(...) ::``) are not clingo syntax, so such a program has none: its only total choice is
the empty one, and each of its N stable models has probability 1/N (counted up to 100 beyond
those printed, else "not counted", JSON null). "Most probable" is then any model, and nesy
prints clingo's first; ``--all`` prints every model (``--limit K``: clingo's first K). An
optimisation program (``#minimize``, ``#maximize``, ``:~``) prints clingo's optimum, and with
``--all`` its optimal models (``--limit K``: K of them), each with clingo's cost.

``query(...)`` and ``evidence(...)`` are directives only in programs that use probabilistic
annotations; in a plain ASP program they are ordinary atoms and appear in the models.

Any other program is read by nesy's parser (a syntax error names the place; where clingo's
parser reads further, its view is added). Its stable models have the NeurASP probability
P(c) / N(c) of their total choice c (N(c): the stable models of c). nesy prints the most
probable stable model; ``--all`` every stable model, most probable first; ``--all --limit K``
the K most probable ones, exactly (clingo visits the total choices from the most probable down
until none left can beat the K-th model found).

A program without a stable model prints UNSATISFIABLE with the constraints that conflict, and
exits with code 20 (clingo's code); 0 means a model was found, 1 bad input.
"""

# Start-up: a plain program needs clingo and this module only; nesy's parser, the annotated
# route's modules and the backend of `nesy query` (solvers.asp.backend, the BACKEND entry point,
# read through this module) are imported when used.
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nesy.errors import ConfigError, NesySyntaxError, NesyTypeError
from nesy.options import positive_float
from nesy.span import Span
from solvers.asp.deadline import OutOfTime, exit_at, raise_at
from solvers.asp.plain import (
    COUNT_LIMIT,
    ClingoSyntaxError,
    PlainModel,
    PlainProgram,
    PlainResult,
    conflict,
    parse_plain,
    solve_plain,
)

if TYPE_CHECKING:
    from nesy.lang import ir
    from solvers.asp.backend import _Backend
    from solvers.asp.semantics import StableModel

__all__ = ["register", "BACKEND", "UNSATISFIABLE"]  # noqa: F822 (BACKEND: module __getattr__)

UNSATISFIABLE = 20
UNKNOWN = 0  # the search ran out of time: as `nesy sat solve`
#: `nesy solve`'s default --timeout, in seconds
DEFAULT_TIMEOUT = 60.0
#: When, as a multiple of --timeout, a `nesy solve` still grounding (or printing) is stopped
HARD_STOP = 1.04
#: Called from Python (a child process does the work), the time its output may take to come back
HANDOVER_SECONDS = 1.0


def _solve(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise ConfigError(f"--limit is a number of models, 0 for all; got {args.limit}")
    started = getattr(args, "started", time.monotonic())  # nesy.cli's main sets it
    args.deadline = started + args.timeout
    # The search stops itself at the deadline and prints what it found; grounding cannot be
    # interrupted, so the command is stopped shortly after: as the `nesy` process, the process
    # ends itself (a fork costs more than clingo's whole run on a small program); called from
    # Python, the work runs in a child process that is stopped.
    hard = started + args.timeout * HARD_STOP
    what = f"solving {args.program} stopped: past its time budget (--timeout)"
    if getattr(args, "own_process", False):
        with exit_at(hard, f"nesy: error: {what}"):
            code, out, err = _captured(args)
    else:
        from nesy.infer.budget import Budget, run_within

        # the child hands its output back through a pipe after its search stopped: tens of
        # MB for --all (22 MB of Sudoku grids in 5 s), which a loaded machine took past 1.04x
        budget = Budget(seconds=max(hard - time.monotonic(), 1e-3) + HANDOVER_SECONDS)
        code, out, err = run_within(
            budget, f"solving {args.program}", _captured, args, flag="--timeout"
        )
    sys.stderr.write(err)
    sys.stdout.write(out)
    return code


def _captured(args: argparse.Namespace) -> tuple[int, str, str]:
    """``_solve_within``'s exit code and what it printed (the parent prints it: a child's
    output would bypass whatever the parent's streams are, and be lost if it is stopped)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _solve_within(args)
    return code, out.getvalue(), err.getvalue()


def _solve_within(args: argparse.Namespace) -> int:
    paths = [args.program, *args.facts]
    try:
        plain = parse_plain(paths, log=_warn)
    except ClingoSyntaxError as clingo_error:
        with raise_at(args.deadline):
            try:
                return _solve_annotated(_load(paths, clingo_error), args)
            except OutOfTime:
                print(f"% UNKNOWN: --timeout {args.timeout:g} s passed before nesy finished")
                return UNKNOWN
    return _solve_plain(plain, args)


def _warn(line: str) -> None:
    print(line, file=sys.stderr)


def _load(paths: list[Path], clingo_error: ClingoSyntaxError) -> ir.Program:
    """The files through nesy's parser. Its syntax error gets clingo's added where clingo's
    parser got further, or stopped for another reason (an ``#include`` it cannot open): the
    file is then more likely clingo with a slip than nesy."""
    from nesy.lang import parse_file
    from solvers.asp.program import merge

    try:
        return merge([parse_file(path) for path in paths])
    except NesySyntaxError as error:
        if not _clingo_says_more(clingo_error, error.span):
            raise
        clingo_says = " ".join(clingo_error.message.split())
        message = f"{error.message}; clingo's parser: {clingo_error.span}: {clingo_says}"
        raise NesySyntaxError(message, error.span, error.source_text) from error


def _clingo_says_more(clingo_error: ClingoSyntaxError, nesy_at: Span | None) -> bool:
    clingo_at = clingo_error.span
    if clingo_at is None or nesy_at is None:
        return False
    if not clingo_error.message.startswith(("syntax error", "lexer error")):
        return True
    if clingo_at.source != nesy_at.source:
        return True
    try:
        text = Path(nesy_at.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # further than nesy's position by more than blanks (both may point at the end of input)
    return text[_offset(text, nesy_at) : _offset(text, clingo_at)].strip() != ""


def _offset(text: str, at: Span) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: at.line - 1]) + at.column - 1


def _solve_plain(program: PlainProgram, args: argparse.Namespace) -> int:
    result = solve_plain(
        program, all_models=args.all, limit=args.limit, log=_warn, deadline=args.deadline
    )
    if not result.complete:
        # what clingo found by then; an optimisation's best so far is not proven optimal
        print(f"% --timeout {args.timeout:g} s passed: the models found by then", file=sys.stderr)
        if not result.models:
            print(f"% UNKNOWN: no stable model found within --timeout {args.timeout:g} s")
            return UNKNOWN
    if not result.models:
        return _unsatisfiable(program.source, conflict(program), args.json)
    if args.json:
        import json

        rows = [_plain_row(model, result) for model in result.models]
        print(json.dumps({"satisfiable": True, "models": rows}, indent=2))
        return 0
    what = "optimal " if program.optimises else ""
    what += "stable models" if args.all else "stable model"
    print(f"% {what} of {program.source}: {len(result.models)}")
    for i, model in enumerate(result.models, 1):
        cost = "" if model.cost is None else ", cost " + " ".join(map(str, model.cost))
        print(f"% model {i}, {_plain_probability(result)}{cost}")
        print(" ".join(model.atoms) or "% (no atoms)")
    return 0


def _plain_row(model: PlainModel, result: PlainResult) -> dict[str, object]:
    """The annotated route's row, plus clingo's cost for an optimisation program."""
    row: dict[str, object] = {"probability": result.probability, "atoms": list(model.atoms)}
    if model.cost is not None:
        row["cost"] = list(model.cost)
    return row


def _plain_probability(result: PlainResult) -> str:
    if result.count is None:
        return f"probability 1/N, N > {COUNT_LIMIT} stable models (not counted)"
    if result.count == 1:
        return "probability 1 (the only stable model)"
    return f"probability {1 / result.count:.10g} (1 of {result.count} stable models)"


def _solve_annotated(program: ir.Program, args: argparse.Namespace) -> int:
    if program.neural_predicates:
        raise NesyTypeError(
            "nesy solve reads probabilities from the program text; this program has neural "
            "predicates, whose probabilities come from networks: use solvers.asp.most_probable "
            "from Python, or write the networks' outputs as annotated disjunctions",
            program.neural_predicates[0].span,
        )
    # the annotated path's modules (numpy, networkx), not loaded for plain clingo programs
    from solvers.asp.program import CATEGORICAL, AspProgram
    from solvers.asp.semantics import most_probable_models, stable_models
    from solvers.asp.unsat import conflicting_statements

    asp = AspProgram(program)
    models: list[StableModel]
    if args.all and not args.limit:
        models = stable_models(asp)
    else:
        models = most_probable_models(asp, args.limit if args.all else 1)
    if not models:
        conflicting = conflicting_statements(program, CATEGORICAL)
        where = [(s.span, str(s)) for s in conflicting]
        return _unsatisfiable(str(program.source), where, args.json)
    if args.json:
        import json

        rows = [{"probability": m.probability, "atoms": list(m.atoms)} for m in models]
        print(json.dumps({"satisfiable": True, "models": rows}, indent=2))
        return 0
    what = "stable models" if args.all else "most probable stable model"
    print(f"% {what} of {program.source}: {len(models)}")
    for i, model in enumerate(models, 1):
        print(f"% model {i}, probability {model.probability:.10g}")
        print(" ".join(model.atoms) or "% (no atoms)")
    return 0


def _unsatisfiable(source: str, conflicting: list[tuple[Span, str]], as_json: bool) -> int:
    where = [(str(span), text) for span, text in conflicting]
    if as_json:
        import json

        rows = [{"at": at, "statement": text} for at, text in where]
        print(json.dumps({"satisfiable": False, "models": [], "conflict": rows}, indent=2))
        return UNSATISFIABLE
    print(f"% UNSATISFIABLE: {source} has no stable model")
    if where:
        print("% these constraints cannot all hold:")
        for at, text in where:
            print(f"%   {at}: {text}")
    else:
        print("% no constraint is to blame: the rules themselves have no stable model")
    return UNSATISFIABLE


def register(commands: argparse._SubParsersAction) -> None:
    solve = commands.add_parser(
        "solve",
        help="most probable stable model of a program; plain clingo programs run as written",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("program", type=Path)
    solve.add_argument("facts", type=Path, nargs="*", help="more files read with the program")
    solve.add_argument(
        "--all",
        action="store_true",
        help="every stable model, most probable first (plain ASP: clingo's order; "
        "optimisation: the optimal models)",
    )
    solve.add_argument(
        "--limit",
        type=int,
        default=0,
        help="with --all: the K most probable models (plain ASP: clingo's first K; "
        "optimisation: K optimal models); 0: all",
    )
    solve.add_argument("--json", action="store_true", help="print a JSON object")
    solve.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds for the search (default {DEFAULT_TIMEOUT:g}); then the models found so "
        "far (an optimum is then not proven), or UNKNOWN",
    )
    solve.set_defaults(run=_solve)


def __getattr__(name: str) -> _Backend:
    # ``BACKEND`` (the nesy.backends entry point) lives in solvers.asp.backend: it imports the
    # core's backend interface, which `nesy solve` does not need
    if name == "BACKEND":
        from solvers.asp.backend import BACKEND

        return BACKEND
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
