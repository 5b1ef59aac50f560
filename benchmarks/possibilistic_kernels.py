"""Pi-NeSy's min-max kernels at the sizes of the authors' workloads, on this machine's CPU.

Protocol: random possibility inputs (seed 0, float32) shaped like the real systems: MNIST-addition
at k = 1 on the authors' 50,000 training digits gives 25,000 samples whose c-rule systems are
100 x 40 (stacked: 2.5M rows); a 9x9 Sudoku has 810 pair rule sets of 81 x 36 over 200 training
puzzles. Each kernel is timed as the best of `--repeats` runs after one warm-up. The O(R log R)
Chebyshev distance is checked against the O(R^2 C) formula (vectorised) on a stacked system small
enough for the formula, and timed beside it.

    python benchmarks/possibilistic_kernels.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from bench_record import record_head  # a sibling script

from nesy.train.checkpoint import atomic_write_bytes
from solvers.possibilistic.fre import chebyshev_distances, lowest_solution, minmax
from solvers.possibilistic.learning import NO_THRESHOLD, learn_parameters
from tasks.mnist_addition.pinesy_rules import RULES
from tasks.visudo.pinesy_sudoku import pair_rule_set

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/possibilistic_kernels.json"
    )
    return parser.parse_args(argv)


def best_seconds(run: Callable[[], Any], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _premises(samples: int, rules: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Normalised premise degrees: for each rule max(λ, ρ) = 1, as for a normalised π."""
    degree = torch.rand(samples, rules, generator=generator)
    holds = torch.rand(samples, rules, generator=generator) < 0.1
    return torch.where(holds, 1.0, degree), torch.where(holds, degree, 1.0)


def _formula(matrix: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``∇_i`` by the formula, all at once: O(R^2 C) memory and time."""
    reach = torch.minimum(
        torch.relu(y[None, :] - y[:, None])[:, :, None] / 2,  # (i, k, 1)
        torch.relu(y[:, None] - matrix)[None, :, :],  # (1, k, c)
    ).amax(1)  # (i, c)
    return torch.maximum(torch.relu(matrix - y[:, None]), reach).amin(-1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    rows: list[dict[str, Any]] = []

    def record(name: str, shape: str, run: Callable[[], Any], **extra: Any) -> float:
        seconds = best_seconds(run, args.repeats)
        rows.append({"kernel": name, "shape": shape, "seconds": seconds, **extra})
        print(f"{name:<48} {shape:<28} {seconds * 1000:>10.1f} ms")
        return seconds

    # MNIST-addition, k = 1: 25,000 samples of the 100 x 40 pair rule set.
    samples, pair = 25_000, RULES.pair
    lam, rho = _premises(samples, pair.num_rules, generator)
    gammas = pair.learning_matrix(lam, rho)
    targets = pair.targets(torch.randint(0, 100, (samples,), generator=generator))
    params = torch.rand(2 * pair.num_rules, generator=generator) * 0.1
    record(
        "inference M □ x (5,000 sums)",
        "5000 x 100 x 40",
        lambda: pair.infer(lam[:5000], rho[:5000], params),
    )
    record(
        "per-sample distances ∇_k (one-hot targets)",
        "25000 x 100 x 40",
        lambda: chebyshev_distances(gammas, targets),
    )
    stacked_g = gammas.flatten(0, 1)
    stacked_y = torch.rand(len(stacked_g), generator=generator)
    record(
        "stacked distances ∇_i, O(R log R)",
        "2,500,000 x 40",
        lambda: chebyshev_distances(stacked_g, stacked_y),
    )
    record(
        "lowest solution Γᵀ □^ε y", "2,500,000 x 40", lambda: lowest_solution(stacked_g, stacked_y)
    )
    record(
        "learn_parameters, every sample kept",
        "25000 x 100 x 40",
        lambda: learn_parameters(gammas, targets, NO_THRESHOLD),
    )
    record(
        "learn_parameters, minimal feasible threshold",
        "25000 x 100 x 40",
        lambda: learn_parameters(gammas, targets, 0.0),
    )
    # The formula against the sorted algorithm on a stacked system the formula can hold.
    small_g, small_y = stacked_g[:3000], stacked_y[:3000]
    fast, slow = chebyshev_distances(small_g, small_y), _formula(small_g, small_y)
    agree = bool(torch.allclose(fast, slow))
    fast_s = record(
        "stacked distances, O(R log R)",
        "3,000 x 40",
        lambda: chebyshev_distances(small_g, small_y),
        agrees_with_formula=agree,
    )
    slow_s = record(
        "stacked distances, formula O(R^2 C)", "3,000 x 40", lambda: _formula(small_g, small_y)
    )
    rows[-1]["speedup_of_sorted"] = slow_s / fast_s

    # 9x9 Sudoku: 810 pair rule sets, 200 training puzzles, 81 x 36 each.
    rules = pair_rule_set(9)
    lam, rho = _premises(810 * 200, rules.num_rules, generator)
    gammas = rules.learning_matrix(lam, rho).view(810, 200, 81, 36)
    targets = rules.targets(torch.randint(0, 81, (810, 200), generator=generator))

    def sudoku_learning() -> None:
        for part in range(0, 810, 90):  # chunks, as tasks.visudo.pinesy_sudoku does
            learn_parameters(gammas[part : part + 90], targets[part : part + 90], 0.0)

    record("learn 810 pair rule sets (minimal thresholds)", "810 x 200 x 81 x 36", sudoku_learning)
    x = torch.stack((lam[: 810 * 100], rho[: 810 * 100]), -1).flatten(-2).view(100, 810, 36)
    matrices = rules.inference_matrix(torch.rand(810, 18) * 0.1, torch.rand(810, 18) * 0.1)
    record(
        "inference of 810 pair rule sets (100 puzzles)",
        "100 x 810 x 81 x 36",
        lambda: minmax(matrices, x),
    )

    record_doc = record_head("possibilistic_kernels", args, __doc__)
    record_doc["rows"] = rows
    text = json.dumps(record_doc, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
