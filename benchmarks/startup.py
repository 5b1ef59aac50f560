"""Start-up: whole-process time of `nesy --help`, `nesy solve` and `nesy sat solve --guide none`
against clingo's own Python CLI and a direct python-sat script on the same small inputs.

Protocol: every command runs as a fresh process (the venv's interpreter, with Python's bytecode
cache on, as an installed package has it), once to warm the disk cache, the bytecode cache and
lark's parser-table cache, then --repeats times, in rounds that run every command once each
(so a change of the machine's load reaches nesy and its reference alike). The figures are the
median wall time (min and max beside it) and the median CPU time (user + sys of the process and
its children), which a shared machine's load moves less. `nesy solve F` is compared with
`python -m clingo F` (clingo's CLI: one model) on plain ASP programs, `nesy sat solve F --guide
none` with a script that reads the DIMACS file with python-sat and solves it with CaDiCaL 1.9.5
(the solver nesy uses); `python -c pass` is the interpreter's own start. Targets (issue 15):
`nesy solve` within 1.5x of clingo's CLI, `nesy --help` under 0.5 s. The machine's load average
is recorded: on a shared machine every figure moves with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


#: the children's environment: Python writes and reads its bytecode cache (a developer's shell
#: may turn it off, which would compile nesy's modules afresh on every run)
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 10, 20, 30):  # clingo: 10 SAT, 20 UNSAT, 30 optimum
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _summary(runs: list[tuple[float, float]]) -> dict[str, float]:
    walls = [wall for wall, _ in runs]
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu_median": statistics.median(cpu for _, cpu in runs),
    }


def _timed(commands: list[list[str]], repeats: int) -> list[dict[str, float]]:
    """Each command's :func:`_summary` over ``repeats`` rounds (after a warm-up round); a round
    runs every command once, in order."""
    runs: list[list[tuple[float, float]]] = [[] for _ in commands]
    for round_ in range(repeats + 1):
        for command, times in zip(commands, runs, strict=True):
            measured = _run(command)
            if round_:
                times.append(measured)
    return [_summary(times) for times in runs]


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


def _print_table(rows: list[dict]) -> None:
    print(f"{'group':7} {'input':13} {'nesy s':>8} {'cpu s':>7} {'ref. s':>8} {'cpu s':>7}", end="")
    print(f" {'ratio':>7} {'cpu':>6}")
    for row in rows:
        nesy = row["nesy"]
        text = f"{row['group']:7} {row['input']:13} {nesy['median']:8.3f} {nesy['cpu_median']:7.3f}"
        if "reference" in row:
            ref = row["reference"]
            text += f" {ref['median']:8.3f} {ref['cpu_median']:7.3f} {row['ratio']:6.2f}x"
            text += f" {row['cpu_ratio']:5.2f}x"
        print(text)


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
    record["bytecode_cache"] = True
    head = ["git", "rev-parse", "--short", "HEAD"]
    record["commit"] = subprocess.run(head, capture_output=True, text=True, cwd=REPO).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp))
        commands = [command for _, _, nesy, reference in cases for command in (nesy, reference)]
        summaries = iter(_timed([c for c in commands if c is not None], args.repeats))
        rows = []
        for group, name, _, reference in cases:
            row = {"group": group, "input": name, "nesy": next(summaries)}
            if reference is not None:
                row["reference"] = next(summaries)
                row["ratio"] = row["nesy"]["median"] / row["reference"]["median"]
                row["cpu_ratio"] = row["nesy"]["cpu_median"] / row["reference"]["cpu_median"]
            rows.append(row)
    _print_table(rows)
    record["machine"]["load_average_after"] = os.getloadavg()
    record["rows"] = rows
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"(medians of {args.repeats} interleaved runs; reference: clingo's CLI / python-sat)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
