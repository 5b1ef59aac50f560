"""The command line under hostile conditions (issue 16): a closed pipe, Ctrl-C, folders, bad
numbers. One line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nesy.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, main
from solvers.sat.cnf import CNF
from solvers.sat.dimacs import write_dimacs

SUDOKU = Path(__file__).resolve().parents[2] / "programs/sudoku.nesy"


def _nesy(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nesy", *args], stderr=subprocess.PIPE, text=True, **popen
    )


def test_a_closed_pipe_ends_quietly(tmp_path):
    # `nesy sat solve big.cnf | head -1`: 1.4 MB of v lines into a pipe whose reader left
    path = write_dimacs(tmp_path / "big.cnf", CNF(200_000, tuple((v,) for v in range(1, 200_001))))
    process = _nesy("sat", "solve", str(path), stdout=subprocess.PIPE)
    assert process.stdout.readline().startswith("c ")
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert error == ""


def test_ctrl_c_exits_130_with_one_line():
    # every Sudoku grid: runs until its 60 s timeout unless interrupted
    process = _nesy("solve", "--all", str(SUDOKU), stdout=subprocess.DEVNULL)
    time.sleep(3)  # past start-up: a Ctrl-C during Python's own imports is Python's
    process.send_signal(signal.SIGINT)
    error = process.stderr.read()
    assert process.wait(timeout=30) == EXIT_INTERRUPTED
    assert error.splitlines() == ["nesy: interrupted"]


def test_a_folder_given_as_a_program_is_an_error(tmp_path, capsys):
    assert main(["query", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("nesy: error:") and len(error.splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "-1", "argument --seed: must be at least 0; got -1"),
        ("--lr", "nan", "argument --lr: expected a finite decimal number; got 'nan'"),
        ("--epochs", "0", "argument --epochs: must be at least 1; got 0"),
    ],
)
def test_train_numbers_are_checked_by_argparse(option, value, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", str(SUDOKU), option, value])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
