"""``nesy train ... --backend possibilistic`` end to end (real CNN, real rules, real data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nesy.neural.datasets import default_mnist_dir

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
needs_test_set = pytest.mark.skipif(
    not (default_mnist_dir() / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the official MNIST test set is missing",
)


def _train(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nesy", "train", "--backend", "possibilistic", *args]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.mark.slow
@needs_test_set
def test_visudo_run_reports_explains_and_saves(tmp_path):
    out = tmp_path / "run"
    program = PROGRAMS / "visudo_4x4.nesy"
    result = _train(str(program), "--task", "visudo", "--epochs", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "ViSudo-PC 4x4 split 0: accuracy" in result.stdout
    assert "most clashing pair: cells" in result.stdout
    figures = json.loads((out / "result.json").read_text())
    assert 0.0 <= figures["accuracy"] <= 1.0 and figures["size"] == 4
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["first"].shape == (56, 16) and state["second"].shape == (2,)


@pytest.mark.slow
@needs_test_set
def test_addition_run_with_method_2_and_no_thresholds(tmp_path):
    out = tmp_path / "run"
    program = PROGRAMS / "mnist_addition_carry.nesy"
    args = ["--task", "mnist-addition-digits", "--digits", "1", "--method", "2", "--epochs", "1"]
    result = _train(str(program), *args, "--no-thresholds", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Pi-NeSy-2, k=1: accuracy" in result.stdout
    assert "column 0:" in result.stdout and "held down by" in result.stdout
    figures = json.loads((out / "result.json").read_text())
    assert figures["threshold_trials"] == 0 and figures["digits"] == 1
    assert figures["thresholds"]["c-tuples"] == pytest.approx(1.01)
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["rules"]["c"][0].shape == (40,)


def test_unknown_task_and_unsized_program_are_refused(tmp_path):
    program = PROGRAMS / "mnist_addition_carry.nesy"
    out = str(tmp_path / "run")  # a refused run leaves nothing there
    result = _train(str(program), "--task", "mnist-addition-words", "--out", out)
    assert result.returncode == 1
    assert "unknown task 'mnist-addition-words'; known tasks: mnist-addition" in result.stderr
    unsized = tmp_path / "p.nesy"
    unsized.write_text("a.\n")
    result = _train(str(unsized), "--task", "visudo", "--out", out)
    assert result.returncode == 1
    assert "no integer '#const size = ...'" in result.stderr
    assert "Traceback" not in result.stderr
    args = ["--task", "mnist-addition-digits", "--digits", "0", "--out", out]
    result = _train(str(program), *args)
    assert result.returncode == 1
    assert "digits per number must be at least 1; got 0" in result.stderr
    assert not (tmp_path / "run").exists()
