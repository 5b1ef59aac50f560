"""``nesy solve`` and the ASP backend of ``nesy query`` / ``nesy train``.

``nesy solve PROGRAM [FACTS...]`` prints the most probable stable model (clingo's optimisation),
or every stable model with ``--all``, each with its NeurASP probability ``P(c) / N(c)``; a
program without stable models gets a message naming the constraints that conflict, and exit
code 20 (clingo's own code for "unsatisfiable").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nesy.errors import ConfigError, NesyTypeError
from nesy.lang import ir, parse_file
from solvers.asp.layer import AspModel
from solvers.asp.program import CATEGORICAL, AspProgram, merge
from solvers.asp.semantics import StableModel, most_probable, stable_models
from solvers.asp.unsat import conflicting_statements

__all__ = ["register", "BACKEND", "UNSATISFIABLE"]

UNSATISFIABLE = 20


def _load(paths: list[Path]) -> ir.Program:
    return merge([parse_file(path) for path in paths])


def _solve(args: argparse.Namespace) -> int:
    program = _load([args.program, *args.facts])
    if program.neural_predicates:
        raise NesyTypeError(
            "nesy solve reads probabilities from the program text; this program has neural "
            "predicates, whose probabilities come from networks: use solvers.asp.most_probable "
            "from Python, or write the networks' outputs as annotated disjunctions",
            program.neural_predicates[0].span,
        )
    asp = AspProgram(program)
    models: list[StableModel]
    if args.all:
        models = stable_models(asp, limit=args.limit)
    else:
        best = most_probable(asp)
        models = [best] if best is not None else []
    if not models:
        return _unsatisfiable(program, args.json)
    if args.json:
        rows = [{"probability": m.probability, "atoms": list(m.atoms)} for m in models]
        print(json.dumps({"satisfiable": True, "models": rows}, indent=2))
        return 0
    what = "stable models" if args.all else "most probable stable model"
    print(f"% {what} of {program.source}: {len(models)}")
    for i, model in enumerate(models, 1):
        print(f"% model {i}, probability {model.probability:.10g}")
        print(" ".join(model.atoms) or "% (no atoms)")
    return 0


def _unsatisfiable(program: ir.Program, as_json: bool) -> int:
    conflict = conflicting_statements(program, CATEGORICAL)
    where = [(str(s.span), str(s)) for s in conflict]
    if as_json:
        rows = [{"at": at, "statement": text} for at, text in where]
        print(json.dumps({"satisfiable": False, "models": [], "conflict": rows}, indent=2))
        return UNSATISFIABLE
    print(f"% UNSATISFIABLE: {program.source} has no stable model")
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
        help="most probable stable model of a program (ASP backend)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("program", type=Path)
    solve.add_argument("facts", type=Path, nargs="*", help="more files read with the program")
    solve.add_argument("--all", action="store_true", help="every stable model, most probable first")
    solve.add_argument(
        "--limit", type=int, default=0, help="with --all: at most this many models (0: all)"
    )
    solve.add_argument("--json", action="store_true", help="print a JSON object")
    solve.set_defaults(run=_solve)


class _Backend:
    """What the core CLI's ``--backend asp`` calls (found through the ``nesy.backends`` entry
    point, so the core never imports this package)."""

    tasks = ("visudo",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """No options of its own: ``--epochs``, ``--lr``, ``--seed`` are the core's."""

    def query(self, program: ir.Program) -> dict[str, float]:
        if program.neural_predicates:
            raise NesyTypeError(
                "this program has neural predicates: bind its networks with "
                "solvers.asp.AspModel (or train it with `nesy train`)",
                program.neural_predicates[0].span,
            )
        model = AspModel(program)
        return dict(zip(model.answers, model({})[0].exp().tolist(), strict=True))

    def train(self, args: argparse.Namespace) -> int:
        if args.task not in self.tasks:
            raise ConfigError(
                f"the ASP backend trains --task {', '.join(self.tasks)}; got '{args.task}'"
            )
        return _train_visudo(args)


def _train_visudo(args: argparse.Namespace) -> int:
    """``nesy train programs/visudo_4x4.nesy --task visudo``: one ViSudo-PC split."""
    from nesy.neural.visudo import load_split
    from solvers.asp.visudo import train_ceiling, train_visudo

    program = parse_file(args.program)
    size = program.constant("size")
    split = load_split(size, args.seed, args.test_data)
    log = (lambda _: None) if args.no_progress else (lambda line: print(line, flush=True))
    run = train_visudo(program, split, epochs=args.epochs or 30, seed=args.seed, log=log)
    ceiling = train_ceiling(split, seed=args.seed)
    print(
        f"ViSudo-PC {size}x{size}, split {args.seed}: test accuracy {run.accuracy:.3f} "
        f"(P(valid) >= 1/2: {run.probability_accuracy:.3f}); supervised ceiling {ceiling:.3f}; "
        f"best validation epoch {run.best_epoch}; {run.seconds:.0f} s"
    )
    return 0


BACKEND = _Backend()
