"""``nesy train ... --backend anesi`` end to end (real CNN, real MNIST digits)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nesy.neural.datasets import default_mnist_dir

NUMBERS = Path(__file__).resolve().parents[2] / "programs" / "mnist_addition_numbers.nesy"
needs_test_set = pytest.mark.skipif(
    not (default_mnist_dir() / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the official MNIST test set is missing",
)


def _train(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nesy", "train", str(NUMBERS), "--backend", "anesi", *args]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.mark.slow
@needs_test_set
def test_a_run_reports_and_saves(tmp_path):
    out = tmp_path / "run"
    args = ["--task", "mnist-addition-digits", "--digits", "2", "--epochs", "1"]
    options = ["--anesi-samples", "50", "--anesi-warmup", "100", "--anesi-prune", "--anesi-relabel"]
    result = _train(*args, *options, "--no-progress", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "A-NeSI, N=2: sum accuracy" in result.stdout
    assert "explanations of the true sums: every digit right on" in result.stdout
    assert "relabelled (a fresh network on" in result.stdout
    figures = json.loads((out / "result.json").read_text())
    assert figures["digits"] == 2 and figures["config"]["samples"] == 50
    assert figures["config"]["explain"] and figures["config"]["prune"]
    assert figures["epochs_log"][-1]["explanation_consistency"] == 1.0
    assert figures["config"]["warmup"] == 100 and figures["schedule"] == "cosine"
    assert figures["symbolic"] == "sum (checked against the program at n = 2)"
    assert 0 < figures["relabelled"]["kept"] <= 1
    assert (out / "checkpoint.pt").is_file() and (out / "run.json").is_file()


def test_a_task_without_an_anesi_trainer_is_refused(tmp_path):
    result = _train("--task", "mnist-addition", "--out", str(tmp_path / "a"))
    assert result.returncode == 1
    assert "the anesi backend does not train --task mnist-addition; its backends: exact" in (
        result.stderr
    )


@pytest.mark.slow
def test_the_exact_backend_over_budget_points_to_anesi(tmp_path):
    """The whole-number program at N = 4 grounds past the budget (~25 s to get there)."""
    command = [sys.executable, "-m", "nesy", "train", str(NUMBERS), "--task"]
    command += ["mnist-addition-digits", "--digits", "4", "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert "over 5000000 ground rules" in result.stderr
    assert "--backend anesi (approximate)" in result.stderr
    assert not (tmp_path / "run").exists()
