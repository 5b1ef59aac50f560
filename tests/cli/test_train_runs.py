"""`nesy train` runs: a fresh folder per run, refusals before any work, --threads/--device, and
a run stopped by SIGINT that --resume finishes exactly as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = str(ROOT / "programs" / "mnist_addition.nesy")


def _nesy(*args: str) -> list[str]:
    return [sys.executable, "-m", "nesy", "train", PROGRAM, "--no-progress", *args]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(_nesy(*args), capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path: Path) -> None:
    done = _run("--device", "cuda", "--out", str(tmp_path / "run"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--device cuda: no CUDA device is available" in done.stderr
    assert not (tmp_path / "run").exists()  # refused before the run folder


def test_other_backends_train_on_the_cpu(tmp_path: Path) -> None:
    visudo = str(ROOT / "programs" / "visudo_4x4.nesy")
    command = [sys.executable, "-m", "nesy", "train", visudo, "--task", "visudo"]
    done = subprocess.run(
        [*command, "--device", "cuda", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1 and "the asp backend trains on the CPU" in done.stderr
    assert not (tmp_path / "run").exists()


def test_bad_threads_and_unusable_out_are_refused_before_any_work(tmp_path: Path) -> None:
    done = _run("--threads", "0", "--out", str(tmp_path / "run"))
    assert done.returncode == 1 and "--threads must be an integer >= 1; got 0" in done.stderr
    assert not (tmp_path / "run").exists()
    (tmp_path / "file").write_text("x")
    done = _run("--out", str(tmp_path / "file"))
    assert (
        done.returncode == 1
        and f"--out: {tmp_path / 'file'} is a file, not a folder" in done.stderr
    )
    assert "run folder" not in done.stderr  # nothing started


def _log(out: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return [{k: row[k] for k in ("epoch", "loss", "examples", "metrics")} for row in rows]


@pytest.mark.slow
def test_sigint_saves_and_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    settings = ("--epochs", "3", "--seed", "1", "--threads", "1")
    whole = _run(*settings, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    stopped_out = tmp_path / "stopped"
    process = subprocess.Popen(
        _nesy(*settings, "--out", str(stopped_out)), stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    log = stopped_out / "log.jsonl"
    deadline = time.monotonic() + 300
    while not (log.exists() and log.read_text().count("\n") >= 1):  # epoch 1 is logged
        assert process.poll() is None and time.monotonic() < deadline, "the run ended early"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("nesy: SIGINT: stopped ") and "--resume continues" in last
    assert "Traceback" not in stderr
    again = _run(*settings, "--out", str(stopped_out))
    assert again.returncode == 1 and "holds an earlier run" in again.stderr
    resumed = _run(*settings, "--out", str(stopped_out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == whole.stdout  # the final accuracy line
    assert _log(stopped_out) == _log(tmp_path / "whole")
    record = json.loads((stopped_out / "run.json").read_text())
    assert record["threads"] == 1 and record["device"] == "cpu"
    assert "started" in record and "resumed" in record
    assert (
        record["result"]["sum_accuracy"] == _log(tmp_path / "whole")[-1]["metrics"]["sum_accuracy"]
    )
    other = _run("--epochs", "4", "--seed", "1", "--out", str(stopped_out), "--resume")
    assert other.returncode == 1 and "other settings" in other.stderr
