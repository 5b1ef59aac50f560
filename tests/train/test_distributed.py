"""Data-parallel training on 2 CPU processes (gloo) gives the weights of one process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from nesy.lang import parse
from nesy.train.checkpoint import load_checkpoint
from nesy.train.fit import fit
from nesy.train.trainer import TrainConfig

PROGRAM = """
nn(mlp, [X], Y, [0..2]) :: cls(X, Y).
less(A, B) :- cls(A, N1), cls(B, N2), N1 < N2.
query(less(tensor(a), tensor(b))).
"""


def _data(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 3, size=2 * n)
    np.save(folder / "v.npy", (np.eye(3)[classes] + rng.normal(0, 0.5, (2 * n, 3))).astype("f4"))
    path = folder / "train.jsonl"
    with path.open("w") as handle:
        for i in range(n):
            inputs = {"a": f"v.npy#{2 * i}", "b": f"v.npy#{2 * i + 1}"}
            answer = bool(classes[2 * i] < classes[2 * i + 1])
            handle.write(json.dumps({"inputs": inputs, "answer": answer}) + "\n")
    return path


def _config(folder: Path, batch_size: int) -> TrainConfig:
    # SGD: the step is the gradient itself, so equal weights after each step mean equal gradients
    return TrainConfig(
        epochs=2,
        batch_size=batch_size,
        lr=0.5,
        optimizer="sgd",
        progress=False,
        log_path=folder / "log.jsonl",
        checkpoint_path=folder / "checkpoint.pt",
    )


def _worker(rank: int, port: int, folder: Path, batch_size: int) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank)
    )
    torch.set_num_threads(1)
    from nesy.train import distributed

    try:
        config = _config(folder / "ddp", batch_size)
        fit(parse(PROGRAM), folder / "train.jsonl", valid_fraction=0.25, config=config)
    finally:
        distributed.leave()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_processes_take_the_steps_of_one(tmp_path: Path) -> None:
    batch_size = 5  # 6 training examples: steps of 3+2 and 1+0 (an empty shard) examples
    _data(tmp_path, 8)
    mp.spawn(_worker, args=(_free_port(), tmp_path, batch_size), nprocs=2, join=True)
    config = _config(tmp_path / "one", batch_size)
    one = fit(parse(PROGRAM), tmp_path / "train.jsonl", valid_fraction=0.25, config=config)
    single = load_checkpoint(tmp_path / "one" / "checkpoint.pt")["model"]
    several = load_checkpoint(tmp_path / "ddp" / "checkpoint.pt")["model"]
    assert single.keys() == several.keys()  # saved without DDP's "module." prefix
    for name, weights in single.items():
        torch.testing.assert_close(several[name], weights, rtol=0, atol=1e-5)
    # only the first process wrote; its log has both epochs
    assert len(one.epochs) == 2
    logged = [json.loads(row) for row in (tmp_path / "ddp" / "log.jsonl").read_text().splitlines()]
    assert len(logged) == 2
    for row, record in zip(logged, one.epochs, strict=True):  # validation on the first process
        assert row["metrics"]["valid_loss"] == pytest.approx(record.metrics["valid_loss"], abs=1e-5)
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["checkpoint.pt", "log.jsonl"]


@pytest.mark.slow
def test_torchrun_command_line_writes_one_run_folder(tmp_path: Path) -> None:
    _data(tmp_path, 8)
    (tmp_path / "less.nesy").write_text(PROGRAM)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--master_port", str(_free_port()), "-m", "nesy", "train", "less.nesy"]
    command += ["--data", "train.jsonl", "--valid-fraction", "0.25", "--epochs", "2"]
    done = subprocess.run(
        [*command, "--no-progress"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (tmp_path / "runs").iterdir()  # the first process's; the other writes nothing
    record = json.loads((folder / "run.json").read_text())
    assert record["processes"] == 2 and len(record["epochs"]) == 2
    assert "valid_accuracy" in record["result"]
    assert done.stdout.count("valid_accuracy") == 1  # one process prints the result
