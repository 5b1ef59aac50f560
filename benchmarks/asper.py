"""ASPER's few-shot Sudoku table (ALGORITHMS.md §C.5), literal and repaired, beside baselines.

Protocol: for each published grid point (#puzzles x mask rate) and seed, clingo generates the
puzzles (10 blanks each; literal: the notebook's shared backtracking grid, repaired: one random
grid per puzzle) and the notebook's MLP is trained with 3-fold shuffled cross-validation (Adam
lr 1e-3, batch 4, 10 epochs) once per loss combination; the four combinations share a seed's
data, folds and initial weights. "literal" rows use the notebook's losses as coded, "repaired"
rows the repaired losses (tasks/asper_sudoku/asper.py says what each combination means). Figures are
cell accuracy on the test folds against clingo's full solution, mean ± std over seeds x folds.
Baselines, same folds: "copy train solution" predicts the first training puzzle's full solution
for every test puzzle; "per-cell majority" predicts each cell's most frequent training target
(the mode's encoding: literal masked cells count as digit 9, repaired ones are skipped), which
is what an input-blind network fit to the loss predicts; "givens + chance" copies the puzzle's
givens and guesses uniformly elsewhere (expected accuracy).

    python benchmarks/asper.py            # full table, 3 seeds (~4 min on one CPU thread)
    python benchmarks/asper.py --quick    # two grid points, one seed; writes only with --out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import clingo
import numpy as np
import torch
from bench_record import record_head, spread  # a sibling script

from nesy.train.checkpoint import atomic_write_bytes
from tasks.asper_sudoku.asper import (
    Combo,
    FoldResult,
    Mode,
    SudokuData,
    cross_validate,
    encode_targets,
    generate,
    kfold,
)

REPO = Path(__file__).resolve().parents[1]

#: The repository's table.png: (#puzzles, mask rate) → Standard, +Expert, +Constraints, All.
PUBLISHED: dict[tuple[int, float], tuple[float, float, float, float]] = {
    (12, 0.1): (0.84, 0.86, 0.92, 0.88),
    (12, 0.3): (0.70, 0.69, 0.74, 0.70),
    (12, 0.6): (0.48, 0.41, 0.49, 0.51),
    (12, 0.8): (0.26, 0.28, 0.28, 0.29),
    (100, 0.1): (1.00, 1.00, 1.00, 1.00),
    (100, 0.3): (1.00, 1.00, 1.00, 1.00),
    (100, 0.6): (0.19, 0.20, 0.20, 0.20),
    (1000, 0.8): (0.11, 0.11, 0.11, 0.11),
}
QUICK_GRID = [(12, 0.1), (12, 0.8)]
COLUMNS = {Combo.STANDARD: "Standard", Combo.EXPERT: "+Expert"}
COLUMNS |= {Combo.CONSTRAINTS: "+Constraints", Combo.ALL: "All"}
BASELINES = ("copy train solution", "per-cell majority", "givens + chance")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per grid point")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 grid points, 1 seed")
    parser.add_argument(
        "--out", type=Path, default=None, help="default: benchmarks/results/asper.json (full run)"
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.threads < 1:
        parser.error("--seeds and --threads must be at least 1")
    if args.quick:
        args.seeds = 1
    elif args.out is None:
        args.out = REPO / "benchmarks/results/asper.json"
    return args


def baselines(data: SudokuData, mode: Mode, train: np.ndarray, test: np.ndarray) -> list[float]:
    """The baseline accuracies on one fold, in the order of :data:`BASELINES`."""
    solutions, puzzles = data.solutions[test], data.puzzles[test]
    copy = (solutions == data.solutions[train[0]]).float().mean().item()
    targets = encode_targets(data.masked[train], mode)  # repaired: IGNORE matches no class
    counts = torch.stack([(targets == k).sum(0) for k in range(9)])
    majority = (solutions == counts.argmax(0) + 1).float().mean().item()
    given = (puzzles > 0).float().mean().item()
    return [copy, majority, given + (1 - given) / 9]


def run_point(n_puzzles: int, mask_rate: float, mode: Mode, seeds: int) -> dict[str, Any]:
    """Every combination and baseline at one grid point, over seeds x folds."""
    runs: dict[Combo, list[list[FoldResult]]] = {combo: [] for combo in Combo}
    base: list[list[float]] = []
    for seed in range(seeds):
        rng = np.random.default_rng((seed, n_puzzles, round(mask_rate * 100)))
        data = generate(n_puzzles, mask_rate, mode, rng)
        for combo in Combo:
            runs[combo].append(cross_validate(data, mode, combo, seed))
        # cross_validate's folds: kfold with a generator seeded by the same seed
        for train, test in kfold(len(data), 3, np.random.default_rng(seed)):
            base.append(baselines(data, mode, train, test))
    combos = {}
    for combo, per_seed in runs.items():
        folds = [fold for seed_folds in per_seed for fold in seed_folds]
        combos[combo.value] = {
            "accuracy": spread([f.accuracy for f in folds]),
            "blank_accuracy": spread([f.blank_accuracy for f in folds]),
            "runs": [[asdict(f) for f in seed_folds] for seed_folds in per_seed],
        }
    row: dict[str, Any] = {"n_puzzles": n_puzzles, "mask_rate": mask_rate, "mode": mode.value}
    row["combos"] = combos
    row["baselines"] = {name: spread([b[i] for b in base]) for i, name in enumerate(BASELINES)}
    if mode is Mode.LITERAL:
        row["published"] = dict(
            zip([c.value for c in Combo], PUBLISHED[n_puzzles, mask_rate], strict=True)
        )
    return row


def _cell(figure: dict[str, float]) -> str:
    return f"{figure['mean']:.2f} ± {figure['std']:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown table: one line per grid point and mode, published figures beside literal."""
    head = ["#puzzles", "mask", "mode", *COLUMNS.values(), "published S/E/C/A", *BASELINES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        published = row.get("published")
        cells = [
            str(row["n_puzzles"]),
            str(row["mask_rate"]),
            row["mode"],
            *(_cell(row["combos"][combo.value]["accuracy"]) for combo in COLUMNS),
            " / ".join(f"{v:.2f}" for v in published.values()) if published else "",
            *(f"{row['baselines'][name]['mean']:.2f}" for name in BASELINES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    grid = QUICK_GRID if args.quick else list(PUBLISHED)
    start = time.perf_counter()
    rows = []
    for n_puzzles, mask_rate in grid:
        for mode in Mode:
            rows.append(run_point(n_puzzles, mask_rate, mode, args.seeds))
            accuracy = rows[-1]["combos"]["standard"]["accuracy"]
            print(f"{n_puzzles:>5} {mask_rate:.1f} {mode.value:<9} standard {_cell(accuracy)}")
    seconds = time.perf_counter() - start
    print(table(rows))
    print(f"{seconds:.0f} s")
    if args.out is None:
        return 0
    record = record_head("asper", args, __doc__, clingo=clingo.__version__)
    record["seed"] = list(range(args.seeds))
    record["seconds"] = seconds
    record["rows"] = rows
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
