"""Hostile input to the SAT backend (issue 16): every case is refused with a clear error, in
bounded memory and time, or answered within its budget."""

from __future__ import annotations

import gzip
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from nesy.cli import main
from nesy.errors import DataError
from solvers.sat.cnf import CNF
from solvers.sat.dimacs import MAX_UNUSED_VARIABLES, parse_dimacs, read_dimacs, write_dimacs
from solvers.sat.scoring import DEFAULT_MODELS
from solvers.sat.train import load_model


def test_a_header_far_above_the_clauses_is_refused_before_anything_is_sized():
    # 22 bytes that used to take gigabytes: every structure downstream is sized by VARS
    with pytest.raises(DataError, match=r"<string>:1:7: the header declares 100000000 variables"):
        parse_dimacs("p cnf 100000000 1\n1 0\n")


def test_unused_variables_up_to_the_bound_are_legal():
    cnf = parse_dimacs(f"p cnf {MAX_UNUSED_VARIABLES + 2} 1\n-2 0\n")
    assert cnf.num_vars == MAX_UNUSED_VARIABLES + 2


def test_a_gzip_bomb_stops_at_the_bound(tmp_path):
    path = tmp_path / "bomb.cnf.gz"
    path.write_bytes(gzip.compress(b"\0" * 5000))  # 5000 bytes from a few dozen
    with pytest.raises(DataError, match="more than 4,096 bytes once decompressed"):
        read_dimacs(path, max_bytes=4096)


def test_an_endless_device_stops_at_the_bound():
    start = time.monotonic()
    with pytest.raises(DataError, match="/dev/zero: more than 1,048,576 bytes"):
        read_dimacs("/dev/zero", max_bytes=2**20)
    assert time.monotonic() - start < 5


def test_a_folder_is_not_a_dimacs_file(tmp_path):
    with pytest.raises(DataError, match="a folder, not a DIMACS file"):
        read_dimacs(tmp_path)


def test_the_input_bound_is_a_flag(tmp_path, capsys):
    path = write_dimacs(tmp_path / "a.cnf", CNF(2, ((1, 2),) * 200_000))
    assert main(["sat", "solve", str(path), "--max-input-mb", "1"]) == 1
    assert "more than 1,048,576 bytes (--max-input-mb raises the bound)" in capsys.readouterr().err


def _checkpoint(tmp_path: Path, **config) -> Path:
    saved = torch.load(DEFAULT_MODELS["sat"], weights_only=True)
    saved["config"].update(config)
    path = tmp_path / "edited.pt"
    torch.save(saved, path)
    return path


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"d": 40000}, "its config says d = 40000 but its tensors have d = 128"),
        ({"mlp_layers": 100_000}, "mlp_layers = 100000 but its tensors have mlp_layers = 3"),
        ({"rounds": 10**9}, r"rounds = 1000000000 \(expected 1..1000\)"),
    ],
)
def test_a_checkpoint_config_is_checked_against_its_tensors_before_building(
    tmp_path, config, message
):
    # d = 40000 used to allocate gigabytes before load_state_dict refused the shapes
    start = time.monotonic()
    with pytest.raises(DataError, match=message):
        load_model(_checkpoint(tmp_path, **config))
    assert time.monotonic() - start < 5


def test_the_timeout_covers_the_network(tmp_path, capsys):
    # 100,000 rounds take minutes; the network stops between rounds at the deadline
    path = write_dimacs(tmp_path / "a.cnf", CNF(3, ((1, -2), (2, 3))))
    start = time.monotonic()
    code = main(
        ["sat", "solve", str(path), "--guide", "phases", "--rounds", "100000"] + ["--timeout", "1"]
    )
    assert (code, time.monotonic() - start < 1 + 8) == (0, True)  # unbounded, minutes
    assert "s UNKNOWN" in capsys.readouterr().out


def test_bench_leaves_the_network_guides_unknown_when_the_network_is_too_slow(tmp_path, capsys):
    path = write_dimacs(tmp_path / "a.cnf", CNF(3, ((1, -2), (2, 3))))
    args = ["sat", "bench", str(path), "--guides", "none", "phases", "--rounds", "100000"]
    assert main([*args, "--timeout", "0.5", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"status": "SAT"' in out and '"status": "UNKNOWN"' in out


def test_train_refuses_an_out_it_could_not_save_to_before_training(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    start = time.monotonic()
    assert main(["sat", "train", "--pairs", "100000", "--out", str(blocker / "m.pt")]) == 1
    assert time.monotonic() - start < 5  # no examples made, no training
    assert f"--out: {blocker} is a file, not a folder" in capsys.readouterr().err


def test_train_refuses_a_folder_as_out(tmp_path, capsys):
    assert main(["sat", "train", "--out", str(tmp_path)]) == 1
    assert f"--out: {tmp_path} is a folder" in capsys.readouterr().err


def test_generate_refuses_a_file_as_its_folder(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["sat", "generate", str(blocker), "--pairs", "1"]) == 1
    assert f"OUT_DIR: {blocker} is a file, not a folder" in capsys.readouterr().err


def test_a_formula_too_large_for_the_network_is_refused_before_it_is_read_by_it(tmp_path, capsys):
    # 600,000 nodes took 4.3 GB and ten minutes; the bound says so at once
    path = write_dimacs(tmp_path / "a.cnf", CNF(100, tuple((v,) for v in range(1, 101))))
    args = ["sat", "solve", str(path), "--guide", "phases", "--max-network-nodes", "299"]
    assert main(args) == 1
    assert "300 literal and clause nodes, more than the network guides take (299" in (
        capsys.readouterr().err
    )
    assert main([*args[:-1], "300"]) == 10


@pytest.mark.slow
def test_ctrl_c_during_training_saves_the_model_so_far(tmp_path):
    # the whole run used to be lost: KeyboardInterrupt came before the save
    out = tmp_path / "m.pt"
    args = ["--pairs", "2000", "--val-pairs", "2", "--low", "3", "--high", "4", "--d", "4"]
    args += ["--rounds", "2", "--max-nodes", "40", "--workers", "1", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "nesy", "sat", "train", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "training and" in process.stdout.readline()  # the examples are made: training
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130
    assert error.startswith("nesy: SIGINT: training stopped after step ")
    assert error.rstrip().endswith(f"the model so far is saved to {out}")
    model, meta = load_model(out)
    assert model.d == 4 and meta["curve"]
