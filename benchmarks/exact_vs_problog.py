"""Exact inference, nesy against ProbLog 2.3 (both compile to SDDs with PySDD), on five families.

Each measurement runs one program in a fresh subprocess: the system is imported and warmed up on
a tiny program first (start-up excluded; nesy keeps no compilation between calls), then the program
text is parsed, grounded, compiled and evaluated under a timer (the start-up heap frozen out of
Python's cycle collector for both); the two systems are interleaved
(which one goes first alternates), the median of 3 is reported (of 9 where both take under half a
second, since a few milliseconds of the machine's noise would decide those), answers are compared
to 1e-9, and sizes grow until each system passes the time limit (60 s).

    python benchmarks/exact_vs_problog.py            # the full run (33 min on 2 busy cores)
    python benchmarks/exact_vs_problog.py --quick    # small sizes, one repetition, 10 s limit

Writes benchmarks/results/exact_vs_problog.json and prints a table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bench_record import record_head  # (a sibling script)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "exact_vs_problog.json"
TOLERANCE = 1e-9
STARTUP_SECONDS = 120  # a worker's imports and warm-up, on top of the time limit
SHORT_S, SHORT_REPS = 0.5, 9  # sizes this quick are repeated more: noise is milliseconds here


# --- the five families: size -> ProbLog program text -------------------------------------------


def _p(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}"


def reachability(n: int, rng: random.Random) -> str:
    """A random directed graph on ``n`` nodes, two out-edges each, p in 0.3-0.9; is n-1 reachable
    from 0? (cyclic recursion)"""
    lines = []
    for a in range(n):
        for b in rng.sample([x for x in range(n) if x != a], 2):
            lines.append(f"{_p(rng, 0.3, 0.9)}::edge({a},{b}).")
    lines += [
        "path(X,Y) :- edge(X,Y).",
        "path(X,Y) :- edge(X,Z), path(Z,Y).",
        f"query(path(0,{n - 1})).",
    ]
    return "\n".join(lines)


def smokers(n: int, rng: random.Random) -> str:
    """ProbLog's social smokers: ``n`` people, two random friends each (who may influence
    them), everybody's smoking queried, one person's asthma observed."""
    lines = [f"person({a})." for a in range(n)]
    for a in range(n):
        lines += [f"friend({a},{b})." for b in rng.sample([x for x in range(n) if x != a], 2)]
    lines += [
        "0.3::stress(X) :- person(X).",
        "0.2::influences(Y,X) :- friend(X,Y).",
        "smokes(X) :- stress(X).",
        "smokes(X) :- friend(X,Y), influences(Y,X), smokes(Y).",
        "0.4::asthma(X) :- smokes(X).",
        "evidence(asthma(0), true).",
    ]
    lines += [f"query(smokes({a}))." for a in range(1, n)]
    return "\n".join(lines)


def noisy_or(n: int, rng: random.Random) -> str:
    """``n`` effects queried, each a noisy-or of three of ``n // 3`` independent causes."""
    causes = max(n // 3, 3)
    lines = [f"{_p(rng, 0.05, 0.5)}::cause({c})." for c in range(causes)]
    for e in range(n):
        lines += [
            f"{_p(rng, 0.3, 0.9)}::effect({e}) :- cause({c})." for c in rng.sample(range(causes), 3)
        ]
    lines += [f"query(effect({e}))." for e in range(n)]
    return "\n".join(lines)


def grid(n: int, rng: random.Random) -> str:
    """An ``n`` x ``n`` grid whose undirected edges hold with p in 0.5-0.9: are opposite corners
    connected? (cyclic recursion, many paths)"""
    lines = []
    for r in range(n):
        for c in range(n):
            if c + 1 < n:
                lines.append(f"{_p(rng, 0.5, 0.9)}::e(n{r}_{c},n{r}_{c + 1}).")
            if r + 1 < n:
                lines.append(f"{_p(rng, 0.5, 0.9)}::e(n{r}_{c},n{r + 1}_{c}).")
    lines += [
        "conn(X,Y) :- e(X,Y).",
        "conn(X,Y) :- e(Y,X).",
        "path(X,Y) :- conn(X,Y).",
        "path(X,Y) :- conn(X,Z), path(Z,Y).",
        f"query(path(n0_0,n{n - 1}_{n - 1})).",
    ]
    return "\n".join(lines)


_STATES = ("a", "b", "c")


def hmm(n: int, rng: random.Random) -> str:
    """A three-state hidden Markov chain of ``n`` steps written with annotated disjunctions,
    every step's observation given as evidence, the last state queried."""

    def disjunction(head: Callable[[str], str], values: tuple[str, ...]) -> str:
        weights = [rng.uniform(0.1, 1.0) for _ in values]
        total = sum(weights)
        shares = [round(w / total, 2) for w in weights[:-1]]
        shares.append(round(1.0 - sum(shares), 2))
        return "; ".join(f"{p:.2f}::{head(v)}" for p, v in zip(shares, values, strict=True))

    lines = [disjunction(lambda v: f"s(0,{v})", _STATES) + "."]
    lines += [f"next({t},{t + 1})." for t in range(n)]
    for state in _STATES:
        step = disjunction(lambda v: f"s(T1,{v})", _STATES)
        lines.append(f"{step} :- next(T,T1), s(T,{state}).")
        observation = disjunction(lambda v: f"o(T,{v})", ("x", "y"))
        lines.append(f"{observation} :- s(T,{state}).")
    lines += [f"evidence(o({t},{rng.choice('xy')}), true)." for t in range(n + 1)]
    lines += [f"query(s({n},{v}))." for v in _STATES]
    return "\n".join(lines)


FAMILIES: dict[str, tuple[Callable[[int, random.Random], str], list[int], list[int]]] = {
    # name: (generator, full sizes, quick sizes)
    "reachability": (reachability, [10, 20, 30, 40, 50, 60, 70, 80], [10, 20, 30]),
    "smokers": (smokers, [4, 8, 12, 16, 20, 24, 28, 32], [4, 8, 12]),
    "noisy_or": (noisy_or, [100, 300, 1000, 3000, 10000, 30000], [100, 300, 1000]),
    "grid": (grid, [2, 3, 4, 5, 6, 7], [2, 3, 4]),
    "hmm": (hmm, [4, 8, 16, 64, 256, 1024, 4096, 16384], [4, 8, 16]),
}
SYSTEMS = ("nesy", "problog")
WARM_UP = "0.5::a. 0.5::b. c :- a. c :- b. query(c)."


def program_text(family: str, size: int, seed: int) -> str:
    return FAMILIES[family][0](size, random.Random(f"{seed}:{family}:{size}"))


# --- one measurement, in a worker process -------------------------------------------------------


class _OverTime(Exception):
    pass


def _solver(system: str) -> Callable[[str], dict[str, float]]:
    if system == "nesy":
        from nesy.infer.query import query_problog

        return query_problog  # nothing cached between calls: every run compiles
    from problog import get_evaluatable
    from problog.program import PrologString

    def solve(text: str) -> dict[str, float]:
        result = get_evaluatable("sdd").create_from(PrologString(text)).evaluate()
        return {str(atom): float(p) for atom, p in result.items()}

    return solve


def worker(system: str, family: str, size: int, seed: int, limit: float) -> None:
    """Print one JSON line: seconds (or ``over_time``) and the answers."""
    import torch

    torch.set_num_threads(1)
    solve = _solver(system)
    solve(WARM_UP)  # imports, grammars and libraries loaded: start-up is not timed
    # The start-up heap (torch, both systems' modules) is put out of the cycle collector's
    # reach: a full collection scans it (190 ms here), and whichever system happened to trigger
    # one inside its timed run paid for start-up after all (10x the answer at reachability 10).
    gc.collect()
    gc.freeze()
    text = program_text(family, size, seed)

    def over_time(signum: int, frame: object) -> None:
        raise _OverTime

    signal.signal(signal.SIGALRM, over_time)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        answers = solve(text)
        seconds = time.perf_counter() - start
        signal.setitimer(signal.ITIMER_REAL, 0)
        print(json.dumps({"seconds": seconds, "answers": answers}))
    except _OverTime:
        print(json.dumps({"over_time": True, "seconds": time.perf_counter() - start}))


def measure(system: str, family: str, size: int, seed: int, limit: float) -> dict:
    command = [sys.executable, __file__, "--worker", system, family, str(size)]
    command += ["--seed", str(seed), "--limit", str(limit)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limit + STARTUP_SECONDS, env=env
        )
    except subprocess.TimeoutExpired:  # stuck in C code past the alarm
        return {"over_time": True, "seconds": limit}
    if done.stdout.strip():  # a worker stopped by its alarm may still crash on exit
        return json.loads(done.stdout.strip().splitlines()[-1])  # (the grounding thread runs on)
    lines = done.stderr.strip().splitlines() or ["no output"]
    # the error's own line (a traceback ends with the offending source line and a caret)
    said = [x for x in lines if x.startswith(("Fatal Python error", "nesy.", "problog."))]
    return {"error": said[-1] if said else lines[-1]}


# --- the run -----------------------------------------------------------------------------------


def _compare(answers: dict[str, dict[str, float]]) -> float | str:
    """Largest absolute difference of the two systems' answers, or why they cannot be compared."""

    def normal(found: dict[str, float]) -> dict[str, float]:
        return {key.replace(" ", ""): p for key, p in found.items()}

    nesy, problog = normal(answers["nesy"]), normal(answers["problog"])
    if set(nesy) != set(problog):
        return f"different answers: {sorted(set(nesy) ^ set(problog))[:4]}"
    return max((abs(nesy[k] - problog[k]) for k in nesy), default=0.0)


def _round(
    runs: dict[str, list[dict]],
    alive: set[str],
    rep: int,
    family: str,
    size: int,
    args: argparse.Namespace,
) -> None:
    """One more run of each system still in the race (which goes first alternates)."""
    order = SYSTEMS if rep % 2 == 0 else SYSTEMS[::-1]
    for system in order:
        if system not in alive or (runs[system] and "seconds" not in runs[system][-1]):
            continue
        if runs[system] and runs[system][-1].get("over_time"):
            continue
        runs[system].append(measure(system, family, size, args.seed, args.limit))


def run_family(family: str, sizes: list[int], args: argparse.Namespace) -> dict:
    alive = set(SYSTEMS)
    rows = []
    for size in sizes:
        if not alive:
            break
        runs: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
        _round(runs, alive, 0, family, size, args)
        short = all(r and r[0].get("seconds", 1.0) < SHORT_S for r in runs.values())
        reps = max(args.reps, SHORT_REPS) if short and not args.quick else args.reps
        for rep in range(1, reps):
            _round(runs, alive, rep, family, size, args)
        row: dict = {"size": size}
        answers = {}
        for system in SYSTEMS:
            done = runs[system]
            if not done:
                continue
            if any(r.get("over_time") for r in done):
                row[system] = {"over_time": True}
                alive.discard(system)
            elif any("error" in r for r in done):
                row[system] = {"error": next(r["error"] for r in done if "error" in r)}
                alive.discard(system)
            else:
                times = [r["seconds"] for r in done]
                row[system] = {"median_s": statistics.median(times), "runs_s": times}
                answers[system] = done[0]["answers"]
                row.setdefault("answers", len(done[0]["answers"]))
        if len(answers) == 2:
            row["max_abs_difference"] = _compare(answers)
        rows.append(row)
        print(_table_line(family, row), flush=True)
    return {"family": family, "doc": FAMILIES[family][0].__doc__.split("\n\n")[0], "rows": rows}


def largest_within(rows: list[dict], system: str) -> int | None:
    """The largest size ``system`` answered within the limit, below its first failure."""
    best = None
    for row in rows:
        if "median_s" not in row.get(system, {}):
            break
        best = row["size"]
    return best


def _cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    if "median_s" in entry:
        return f"{entry['median_s']:.3f}"
    if entry.get("over_time"):
        return "> limit"
    return "> budget" if "budget" in entry["error"] else f"error: {entry['error'][:40]}"


def _table_line(family: str, row: dict) -> str:
    nesy, problog = row.get("nesy"), row.get("problog")
    ratio = ""
    if nesy and problog and "median_s" in nesy and "median_s" in problog:
        ratio = f"{nesy['median_s'] / problog['median_s']:.2f}x"
    diff = row.get("max_abs_difference", "")
    diff = f"{diff:.1e}" if isinstance(diff, float) else diff
    return (
        f"{family:13s} {row['size']:>7d} {_cell(nesy):>10s} {_cell(problog):>10s} "
        f"{ratio:>8s} {diff}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 repetition, 10 s")
    parser.add_argument("--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--worker", nargs=3, metavar=("SYSTEM", "FAMILY", "SIZE"))
    args = parser.parse_args()
    if args.worker:
        system, family, size = args.worker
        worker(system, family, int(size), args.seed, args.limit)
        return 0
    if args.quick:
        args.reps, args.limit = 1, min(args.limit, 10.0)
    import torch

    torch.set_num_threads(1)
    load_at_start = os.getloadavg()  # the machine is shared: say how busy it was
    header = ("family", "size", "nesy s", "ProbLog s", "ratio")
    print("{:13s} {:>7s} {:>10s} {:>10s} {:>8s} max |diff|".format(*header))
    families = []
    for family in args.families:
        sizes = FAMILIES[family][2 if args.quick else 1]
        families.append(run_family(family, sizes, args))
    for result in families:
        result["largest_within_limit"] = {s: largest_within(result["rows"], s) for s in SYSTEMS}
    record = record_head(
        "exact_vs_problog",
        args,
        __doc__,
        problog=metadata.version("problog"),
        pysdd=metadata.version("pysdd"),
        nesy=metadata.version("nesy"),
    )
    record.update(seed=args.seed, tolerance=TOLERANCE, families=families)
    record["load_average_1_5_15_min"] = {"start": load_at_start, "end": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(record, out, indent=2)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
