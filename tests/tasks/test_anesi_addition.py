"""A-NeSI trains MNIST addition on the whole-number program from the sums alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nesy.errors import ConfigError
from nesy.lang import parse_file
from nesy.neural.datasets import default_mnist_dir
from solvers.anesi.learner import AnesiConfig
from solvers.anesi.symbolic import NumberSum, ProgramFunction
from tasks.mnist_addition_digits.anesi_addition import addition_function, run_anesi_addition

NUMBERS = Path(__file__).resolve().parents[2] / "programs" / "mnist_addition_numbers.nesy"
needs_test_set = pytest.mark.skipif(
    not (default_mnist_dir() / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the official MNIST test set is missing",
)


def test_the_symbolic_function_is_the_program_or_the_checked_sum():
    program = parse_file(str(NUMBERS))
    function, how = addition_function(program, 1, "auto")
    assert isinstance(function, ProgramFunction) and how == "program"
    function, how = addition_function(program, 15, "auto")
    assert isinstance(function, NumberSum) and how == "sum (checked against the program at n = 9)"
    assert function.output_sizes == (2,) + (10,) * 15
    with pytest.raises(ConfigError, match="32-bit integers"):
        addition_function(program, 10, "program")


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="samples must be an integer >= 1"):
        AnesiConfig(samples=0)
    with pytest.raises(ConfigError, match="q_lr must be a finite number > 0"):
        AnesiConfig(q_lr=float("nan"))
    with pytest.raises(ConfigError, match="reverse must be true or false"):
        AnesiConfig(reverse=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="epochs must be at least 1"):
        run_anesi_addition(NUMBERS, digits=1, epochs=0)


@pytest.mark.slow
@needs_test_set
def test_n1_from_a_fresh_network_beats_chance_clearly(tmp_path):
    """Sum labels only, the program itself as the symbolic function (clingo), 1 torch thread.
    Chance is 0.1 (the most frequent sum, 9); the supervised ceiling ~0.96."""
    torch.set_num_threads(1)
    config = AnesiConfig(warmup=200)
    result = run_anesi_addition(
        NUMBERS, digits=1, epochs=3, seed=0, config=config, out_dir=tmp_path, relabel=True
    )
    assert result["symbolic"] == "program"
    assert result["sum_accuracy"] > 0.5 and result["digit_accuracy"] > 0.7
    assert result["neural_sum_accuracy"] > 0.4
    # a fresh network on the confirmed readings reads about as well as the one it learnt from
    again = result["relabelled"]
    assert again is not None and again["kept"] > 0.5
    assert again["digit_accuracy"] > result["digit_accuracy"] - 0.1
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in log] == [1, 2, 3]
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["digits"] == 1 and "perception.classifier.4.weight" in state["model"]
    assert "classifier.4.weight" in state["relabelled"]
