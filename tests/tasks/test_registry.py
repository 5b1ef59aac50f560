"""A task and a backend registered from outside the project, the way docs/adding-a-task.md and
docs/adding-a-backend.md show: found by ``nesy train``/``nesy query`` and by Python, and run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from registration import TOY, install_toys

import nesy
from nesy.backend import backends, choose
from nesy.cli import main
from nesy.errors import BackendError
from nesy.task import tasks


@pytest.fixture
def toys(tmp_path, monkeypatch):
    install_toys(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(TOY))
    program = tmp_path / "toy_parity.nesy"
    from toy_parity import PROGRAM

    program.write_text(PROGRAM)
    return program


def test_the_registered_task_trains_through_the_command_line(toys, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", str(toys), "--out", str(out), "--no-progress", "--pairs", "32"]) == 0
    assert "toy parity: bit accuracy 1.00" in capsys.readouterr().out
    record = json.loads((out / "run.json").read_text())
    assert record["task"] == "toy-parity" and record["backend"] == "exact"
    assert record["settings"]["pairs"] == 32 and record["result"]["bit_accuracy"] == 1.0


def test_only_the_settings_given_reach_the_task_so_it_keeps_its_defaults(toys, tmp_path):
    assert main(["train", str(toys), "--out", str(tmp_path / "a"), "--no-progress"]) == 0
    first = json.loads((tmp_path / "a" / "run.json").read_text())["result"]["settings"]
    again = ["--epochs", "3", "--schedule", "cosine", "--out", str(tmp_path / "b")]
    assert main(["train", str(toys), "--task", "toy-parity", "--no-progress", *again]) == 0
    second = json.loads((tmp_path / "b" / "run.json").read_text())["result"]["settings"]
    assert first == {} and second == {"epochs": 3, "schedule": "cosine"}


def test_the_task_trains_with_another_of_its_backends(toys, tmp_path, capsys):
    args = [str(toys), "--backend", "asp", "--out", str(tmp_path / "asp"), "--no-progress"]
    assert main(["train", *args, "--epochs", "10"]) == 0
    assert "toy parity: bit accuracy" in capsys.readouterr().out
    refused = main(["train", str(toys), "--backend", "anesi", "--out", str(tmp_path / "no")])
    assert refused == 1
    assert "the anesi backend does not train --task toy-parity" in capsys.readouterr().err


def test_the_registered_backend_answers_and_refuses_with_a_position(toys, tmp_path, capsys):
    assert "facts" in backends() and "toy-parity" in tasks()
    plain = tmp_path / "coin.nesy"
    plain.write_text("0.25::heads.\nquery(heads).\n")
    assert main(["query", str(plain), "--backend", "facts"]) == 0
    assert capsys.readouterr().out.split() == ["heads:", "0.25"]
    ruled = nesy.parse("0.5::a.\nb :- a.\nquery(b).\n", "rule.nesy")
    verdict = backends()["facts"].accepts(ruled)
    assert not verdict and verdict.span.line == 2
    with pytest.raises(BackendError, match="not a probabilistic fact"):
        backends()["facts"].query(ruled)


def test_auto_takes_the_first_backend_that_accepts_in_the_stated_order(toys):
    program = nesy.parse("0.5::a.\n:- a.\nquery(a).\n", "c.nesy")
    backend, why = choose(program, backends())
    assert backend.name == "asp" and why.startswith("integrity constraint at c.nesy:2")
    only_facts = {"facts": backends()["facts"]}
    with pytest.raises(BackendError, match="no backend takes this program") as error:
        choose(program, only_facts)
    assert error.value.span is not None


def test_a_program_that_is_no_tasks_needs_a_named_task(tmp_path, capsys):
    program = tmp_path / "mine.nesy"
    program.write_text("0.5::a.\nquery(a).\n")
    assert main(["train", str(program), "--out", str(tmp_path / "x")]) == 1
    assert "name its task with --task (known tasks: mnist-addition" in capsys.readouterr().err


@pytest.mark.slow
def test_installed_distributions_register_for_a_fresh_process_too(toys, tmp_path):
    site = os.pathsep.join([str(tmp_path / "site"), str(TOY)])
    env = {**os.environ, "PYTHONPATH": site, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "nesy", "train", str(toys), "--no-progress", "--epochs", "5"]
    result = subprocess.run(
        [*command, "--out", str(tmp_path / "sub")], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "using the exact backend" in result.stderr and "toy parity" in result.stdout
    assert Path(tmp_path / "sub" / "run.json").exists()


def test_without_out_each_run_gets_its_own_folder(toys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", toys.name, "--no-progress", "--epochs", "2"]) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all(run.name.startswith("toy_parity-") for run in runs)
    record = json.loads((runs[0] / "run.json").read_text())
    assert "bit_accuracy" in record["result"] and record["threads"] == 1
