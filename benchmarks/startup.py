"""Start-up: whole-process time of `nesy --help`, `nesy solve` and `nesy sat solve --guide none`
against clingo's own Python CLI and a direct python-sat script on the same small inputs.

Protocol: every command runs as a fresh process (the venv's interpreter), once to warm the disk
cache and lark's parser-table cache, then --repeats times; the figure is the median wall time
(min and max beside it). `nesy solve F` is compared with `python -m clingo F` (clingo's CLI:
one model) on plain ASP programs, `nesy sat solve F --guide none` with a script that reads the
DIMACS file with python-sat and solves it with CaDiCaL 1.9.5 (the solver nesy uses); `python -c
pass` is the interpreter's own start. Targets (issue 15): `nesy solve` within 1.5x of clingo's
CLI, `nesy --help` under 0.5 s. The machine's load average is recorded: on a shared machine every
figure moves with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from bench_record import record_head

from nesy.train.checkpoint import atomic_write_bytes
from solvers.sat.dimacs import read_dimacs, write_dimacs

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

#: small plain ASP programs: (name, text); the shipped Sudoku is added from programs/
PROGRAMS = {
    "colouring": """
node(1..12). edge(X, Y) :- node(X), node(Y), X < Y, (X + Y) \\ 5 = 0.
colour(r; g; b; y).
1 { paint(N, C) : colour(C) } 1 :- node(N).
:- edge(X, Y), paint(X, C), paint(Y, C).
""",
    "queens8": """
#const n = 8.
row(1..n). col(1..n).
1 { queen(R, C) : col(C) } 1 :- row(R).
:- queen(R1, C), queen(R2, C), R1 < R2.
:- queen(R1, C1), queen(R2, C2), R1 < R2, R2 - R1 = |C2 - C1|.
""",
    "reachability": """
edge(1, 2). edge(2, 3). edge(3, 4). edge(4, 1). edge(4, 5). edge(5, 6).
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
""",
}

_PYSAT_SCRIPT = """
import sys
from pysat.formula import CNF
from pysat.solvers import Solver
with Solver(name="cadical195", bootstrap_with=CNF(from_file=sys.argv[1]).clauses) as s:
    sat = s.solve()
    print("s SATISFIABLE" if sat else "s UNSATISFIABLE")
    sys.exit(10 if sat else 20)
"""


def _seconds(command: list[str], repeats: int) -> dict[str, float]:
    """Median, min and max wall seconds of ``command`` over ``repeats`` runs (after a warm-up)."""
    times = []
    for run in range(repeats + 1):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 10, 20, 30):  # clingo: 10 SAT, 20 UNSAT, 30 optimum
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
        if run:
            times.append(elapsed)
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def _cases(folder: Path) -> list[tuple[str, str, list[str], list[str] | None]]:
    """(group, input, nesy's command, the reference's command or None)."""
    nesy = [PYTHON, "-m", "nesy"]
    cases: list[tuple[str, str, list[str], list[str] | None]] = [
        ("python", "-c pass", [PYTHON, "-c", "pass"], None),
        ("help", "nesy --help", [*nesy, "--help"], None),
    ]
    sudoku = [str(REPO / "programs/sudoku.nesy"), str(REPO / "programs/sudoku_puzzle.nesy")]
    inputs = {"sudoku": sudoku}
    for name, text in PROGRAMS.items():
        path = folder / f"{name}.lp"
        path.write_text(text.lstrip())
        inputs[name] = [str(path)]
    for name, files in inputs.items():
        cases.append(("solve", name, [*nesy, "solve", *files], [PYTHON, "-m", "clingo", *files]))
    for name in ("uf20-01", "uuf50-01"):
        # a plain DIMACS copy: python-sat's reader takes SATLIB's '%' trailer for a clause
        cnf = read_dimacs(REPO / "tests/data/satlib" / f"{name}.cnf.xz")
        path = write_dimacs(folder / f"{name}.cnf", cnf)
        command = [*nesy, "sat", "solve", str(path), "--guide", "none"]
        cases.append(("sat", name, command, [PYTHON, "-c", _PYSAT_SCRIPT, str(path)]))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per command (7)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/startup.json", help="JSON record"
    )
    args = parser.parse_args()
    record = record_head(
        "startup", args, __doc__, clingo=version("clingo"), python_sat=version("python-sat")
    )
    record["machine"]["load_average_before"] = os.getloadavg()
    rows = []
    print(f"{'group':7} {'input':13} {'nesy s':>8} {'ref. s':>8} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for group, name, command, reference in _cases(Path(tmp)):
            row = {"group": group, "input": name, "nesy": _seconds(command, args.repeats)}
            if reference is not None:
                row["reference"] = _seconds(reference, args.repeats)
                row["ratio"] = row["nesy"]["median"] / row["reference"]["median"]
            rows.append(row)
            reference_text = (
                f"{row['reference']['median']:8.3f} {row['ratio']:6.2f}x" if reference else ""
            )
            print(f"{group:7} {name:13} {row['nesy']['median']:8.3f} {reference_text}", flush=True)
    record["machine"]["load_average_after"] = os.getloadavg()
    record["rows"] = rows
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"(median wall seconds of {args.repeats} runs; reference: clingo's CLI / python-sat)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
