"""Torch threads for training: one short `nesy train` run per thread count, to choose --threads'
default.

Protocol: `nesy train programs/mnist_addition.nesy --epochs 1 --threads T` (2,500 training pairs,
batch 32, then the 5,000 test pairs), each run a fresh process, the counts interleaved so that a
change in the machine's load hits them alike, --repeats rounds; figures are the median training
seconds of the epoch (log.jsonl's train_seconds) and the median wall seconds of the whole
command. The counts are 1, 2 and torch's own default on this machine (its get_num_threads() in a
fresh process, with OMP_NUM_THREADS unset). The load average is recorded: the default was chosen
for small machines shared with other jobs, where idle threads spin-wait for busy cores.
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

from bench_record import record_head

from nesy.train.checkpoint import atomic_write_bytes

REPO = Path(__file__).resolve().parents[1]


def _torch_default(env: dict[str, str]) -> int:
    probe = [sys.executable, "-c", "import torch; print(torch.get_num_threads())"]
    return int(subprocess.run(probe, capture_output=True, text=True, env=env).stdout)


def _run(threads: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        command = [sys.executable, "-m", "nesy", "train", "programs/mnist_addition.nesy"]
        command += ["--epochs", "1", "--threads", str(threads), "--out", str(out), "--no-progress"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
        epoch = json.loads((out / "log.jsonl").read_text().splitlines()[0])
        recorded = json.loads((out / "run.json").read_text())["threads"]
    return {"train_seconds": epoch["train_seconds"], "wall_seconds": wall, "threads": recorded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every count (3)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/threads.json", help="JSON record"
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    default = _torch_default(env)
    counts = sorted({1, 2, default})
    record = record_head("threads", args, __doc__)
    record["machine"] |= {"torch_default_threads": default, "load_before": os.getloadavg()}
    runs: dict[int, list[dict[str, float]]] = {count: [] for count in counts}
    for _ in range(args.repeats):
        for count in counts:
            runs[count].append(_run(count, env))
    record["machine"]["load_after"] = os.getloadavg()
    rows = []
    print(f"{'threads':>7} {'train s':>8} {'wall s':>7}  (median of {args.repeats})")
    for count in counts:
        train = statistics.median(r["train_seconds"] for r in runs[count])
        wall = statistics.median(r["wall_seconds"] for r in runs[count])
        rows.append({"threads": count, "train_seconds": train, "wall_seconds": wall})
        rows[-1]["runs"] = runs[count]
        note = " (torch's default here)" if count == default else ""
        print(f"{count:>7} {train:>8.2f} {wall:>7.2f}{note}")
    record["rows"] = rows
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
