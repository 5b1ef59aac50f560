"""The cost of one step of A-NeSI's inference model q on the whole-number sum, by N: whether a
run fits a CPU session.

Protocol: for each N, a fresh A-NeSI (mnist_net, the vectorised sum of two N-digit numbers, the
default AnesiConfig: 600 prior samples a step, q of 2 hidden layers of 256 per output digit)
takes one step of q on the prior (Anesi.train_q, the warm-up's step and the first half of every
training step), untimed, then `--steps` timed ones; the median is reported, on `--threads` torch
threads. A run costs about warm-up (2,000) + epochs x (5,000 // 2N) // (32 // N, at least 1) such
steps, plus the perception's.

    python benchmarks/anesi_q_cost.py --digits 15 100 --out benchmarks/results/anesi_q_cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from bench_record import record_head  # a sibling script

from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.symbolic import NumberSum

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, nargs="+", default=[15, 100], help="N of each number")
    p.add_argument("--steps", type=int, default=5, help="timed steps per N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/anesi_q_cost.json")
    args = p.parse_args(argv)
    if args.steps < 1 or min(args.digits) < 1:
        p.error("--steps and every --digits must be at least 1")
    return args


def q_step_seconds(n: int, steps: int, seed: int) -> list[float]:
    torch.manual_seed(seed)
    anesi = Anesi(build_network("mnist_net"), NumberSum(n), AnesiConfig())
    anesi.train_q()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        anesi.train_q()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record = record_head("anesi_q_cost", args, __doc__)
    record["runs"] = []
    for n in args.digits:
        times = q_step_seconds(n, args.steps, args.seed)
        record["runs"].append({"digits": n, "seconds": times, "median": statistics.median(times)})
        print(f"N = {n}: one q step {statistics.median(times):.3f} s (median of {args.steps})")
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
