"""ViSudo-PC with the ASP backend: the unit diagrams, and a real (short) training run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nesy
from nesy.neural.nets import MnistNet
from solvers.asp import AspModel, group_table
from tasks.visudo.asp_training import unit_diagrams

ROOT = Path(__file__).resolve().parents[2]


def test_first_row_diagram_moved_onto_each_unit_equals_that_units_own():
    program = nesy.parse_file(ROOT / "programs/visudo_4x4.nesy")
    net = MnistNet(4)
    units = ["row(1)", "col(2)", "box(3)", "box(0)"]
    direct = AspModel(
        program, {"cell_net": net}, observations=[[(f"unit_clash({u})", False)] for u in units]
    )
    first = AspModel(program, {"cell_net": net}, observations=[[("unit_clash(row(0))", False)]])
    moved = unit_diagrams(
        first.asp.groups, first.diagrams[0], 4
    )  # rows 0-3, columns 0-3, boxes 0-3
    order = {"row(1)": 1, "col(2)": 6, "box(3)": 11, "box(0)": 8}
    torch.manual_seed(0)
    inputs = {f"cell({r},{c})": torch.randn(3, 1, 28, 28) for r in range(4) for c in range(4)}
    table = group_table(first.asp.groups, first.networks, inputs, 3)
    for u, diagram in zip(units, direct.diagrams, strict=True):
        assert diagram.models == 24  # 4! fillings of a unit
        expected = diagram.log_probability(
            group_table(direct.asp.groups, direct.networks, inputs, 3)
        )
        assert torch.allclose(moved[order[u]].log_probability(table), expected, atol=1e-9)


@pytest.mark.slow
def test_train_visudo_from_the_command_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nesy",
            "train",
            "programs/visudo_4x4.nesy",
            "--task",
            "visudo",
            "--epochs",
            "2",
            "--no-progress",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "using the asp backend" in result.stderr
    assert "ViSudo-PC 4x4 (asp), split 0: test accuracy" in result.stdout
    assert "supervised ceiling" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["units", "pairs"])
def test_train_visudo_with_anesi_from_the_command_line(tmp_path, encoding):
    command = [sys.executable, "-m", "nesy", "train", "programs/visudo_4x4.nesy", "--task"]
    command += ["visudo", "--backend", "anesi", "--epochs", "2", "--no-progress"]
    command += ["--anesi-encoding", encoding]
    result = subprocess.run(
        [*command, "--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "ViSudo-PC 4x4 (anesi), split 0: test accuracy" in result.stdout
    assert "q(valid) >= 1/2" in result.stdout
    accuracy = float(result.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.7  # all-invalid scores 0.5; 2 epochs gave 0.91
