"""NeuroSAT's curriculum toward SR(40), as resumable chunks: the curve of accuracy against time.

It continues from a trained model (`--init`; by default the shipped one, itself the SR(U(3, 10))
model after one run of this curriculum: benchmarks/README.md), widens n stage by stage
(SR(U(low, high)) for each `--highs`, on to the next once the stage's validation accuracy reaches
`--advance-at`), measures the SR(40) accuracy (the paper's 0.85) at each evaluation, and writes a
checkpoint atomically at each (`--resume` continues from it: on the GPU machine a session's
minutes are one chunk). The curve over all chunks goes to JSON.

    python benchmarks/neurosat_curriculum.py --checkpoint runs/curriculum.pt --seconds 600
    python benchmarks/neurosat_curriculum.py --checkpoint runs/curriculum.pt --seconds 600 --resume
    python benchmarks/neurosat_curriculum.py ... --device cuda --max-nodes 60000   # GPU chunks
    python benchmarks/neurosat_curriculum.py --checkpoint runs/curriculum.pt --export model.pt

The checkpoint is a NeuroSAT model: `benchmarks/neurosat.py --model runs/curriculum.pt` measures
it as the shipped one is measured, before it may replace `solvers/sat/models/neurosat.pt`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from bench_record import record_head

from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.stop import StopOnSignal
from solvers.sat.curriculum import CurriculumConfig, export, run
from solvers.sat.scoring import DEFAULT_MODELS

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default = CurriculumConfig()
    p.add_argument("--init", type=Path, default=DEFAULT_MODELS["sat"])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--seconds", type=float, help="this chunk's training time")
    p.add_argument(
        "--export",
        type=Path,
        default=None,
        help="write --checkpoint's model without Adam's state to this file (the form that ships "
        "as solvers/sat/models/neurosat.pt) and train nothing",
    )
    p.add_argument("--low", type=int, default=default.low)
    p.add_argument("--highs", type=int, nargs="+", default=list(default.highs))
    p.add_argument("--pairs", type=int, default=default.pairs, help="training pairs per stage")
    p.add_argument("--val-pairs", type=int, default=default.val_pairs)
    p.add_argument("--sr40-pairs", type=int, default=default.sr40_pairs)
    p.add_argument("--advance-at", type=float, default=default.advance_at)
    p.add_argument("--lr", type=float, default=default.lr)
    p.add_argument("--max-nodes", type=int, default=default.max_nodes)
    p.add_argument("--eval-every", type=float, default=default.eval_every)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1, help="torch threads on the CPU")
    p.add_argument("--workers", type=int, default=None, help="data processes (default: CPUs)")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/neurosat_curriculum.json")
    args = p.parse_args(argv)
    if args.export is None and args.seconds is None:
        p.error("--seconds is needed to train (or --export to write a model)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.export is not None:
        export(args.checkpoint, args.export)
        print(f"wrote {args.export}")
        return 0
    torch.set_num_threads(args.threads)
    config = CurriculumConfig(
        low=args.low,
        highs=tuple(args.highs),
        pairs=args.pairs,
        val_pairs=args.val_pairs,
        sr40_pairs=args.sr40_pairs,
        advance_at=args.advance_at,
        lr=args.lr,
        max_nodes=args.max_nodes,
        eval_every=args.eval_every,
        seed=args.seed,
        device=args.device,
        workers=args.workers,
    )

    def log(entry: dict) -> None:
        print(
            f"stage {entry['stage']} n {entry['n']}  step {entry['step']:6d}  "
            f"{entry['seconds']:8.1f} s  loss {entry['loss']:.4f}  validation "
            f"{entry['validation_accuracy']:.3f}  SR(40) {entry['sr40_accuracy']:.3f}",
            flush=True,
        )

    start = time.perf_counter()
    with StopOnSignal() as stop:
        progress = run(config, args.init, args.checkpoint, args.seconds, args.resume, log, stop)
    record = {
        **record_head("neurosat_curriculum", args, __doc__),
        "chunk_seconds": time.perf_counter() - start,
        "progress": progress,
        "paper_sr40_accuracy": 0.85,
        "gap_to_paper": 0.85 - max((e["sr40_accuracy"] for e in progress["curve"]), default=0.0),
    }
    text = json.dumps(record, indent=1) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    print(f"wrote {args.out} and {args.checkpoint}")
    return 130 if stop.signal_number else 0


if __name__ == "__main__":
    sys.exit(main())
