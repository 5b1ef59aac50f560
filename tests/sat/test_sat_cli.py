"""`nesy sat solve | generate | train | bench` end to end, through the real command.

Every command starts at once in the ``runs`` fixture (each pays about 2 s for importing torch);
the tests then check their results. A few checks call ``nesy.cli.main`` in this process.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pysat.solvers import Solver

from nesy.cli import main
from solvers.sat.cli import format_model
from solvers.sat.cnf import CNF, satisfies
from solvers.sat.dimacs import read_dimacs, write_dimacs
from solvers.sat.generate import pigeonhole
from solvers.sat.guide import PROBE_CONFLICTS
from solvers.sat.train import load_model

# two small SATLIB instances kept with the tests (see tests/data/satlib/README.md)
SATLIB = Path(__file__).resolve().parents[1] / "data" / "satlib"
UF20 = SATLIB / "uf20-01.cnf.xz"
UUF50 = SATLIB / "uuf50-01.cnf.xz"


# 60 variables: the model takes several v lines
SMALL = CNF(60, ((1, 2), (-1, 3), (-2, -3), (-3, 1), *((v, -(v + 1)) for v in range(3, 60))))
BENCH = {
    "a.cnf": CNF(3, ((1, 2), (-1, 3))),
    "b.cnf.gz": CNF(2, ((1,), (-1, 2), (-2,))),
    "c.cnf.xz": pigeonhole(4, 3),
}


class Run:
    """A finished command: exit code, output and wall seconds."""

    def __init__(self, args: list[str]) -> None:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "nesy", "sat", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.seconds = time.monotonic() - start
        self.returncode, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, dict[str, Run]]:
    tmp = tmp_path_factory.mktemp("sat_cli")
    (tmp / "bad.cnf").write_text("c broken\np cnf 3 2\n1 -2 0\n2 x 0\n")
    for name, cnf in BENCH.items():
        write_dimacs(tmp / "bench" / name, cnf)
    (tmp / "bench" / "notes.txt").write_text("not a formula")
    jobs = {
        "train": [
            *("train", "--pairs", "20", "--val-pairs", "5", "--d", "8", "--rounds", "2"),
            *("--seconds", "3", "--head", "sat", "--out", str(tmp / "x.pt")),
        ],
        "small": ["solve", str(write_dimacs(tmp / "small.cnf", SMALL))],
        "php": ["solve", str(write_dimacs(tmp / "php.cnf", pigeonhole(10, 9))), "--timeout", "0.5"],
        "bad": ["solve", str(tmp / "bad.cnf")],
        "generate": [
            *("generate", str(tmp / "sr"), "--pairs", "3"),
            *("--n-min", "5", "--n-max", "8", "--seed", "4"),
        ],
        "bench": ["bench", str(tmp / "bench"), "--guides", "none", "random-phases", "--json"],
        "uf20 phases": ["solve", str(UF20), "--guide", "phases"],
        "uf20 none": ["solve", str(UF20), "--guide", "none"],
        "uuf50": ["solve", str(UUF50)],
        "uuf50 portfolio": ["solve", str(UUF50), "--guide", "portfolio"],
        "uuf50 portfolio probe 0": ["solve", str(UUF50), "--guide", "portfolio", "--probe", "0"],
    }
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(Run, args) for name, args in jobs.items()}
        return tmp, {name: future.result() for name, future in futures.items()}


def _model(stdout: str) -> list[int]:
    """The literals of the ``v`` lines, checked for the competition's layout."""
    lines = stdout.splitlines()
    assert lines.count("s SATISFIABLE") == 1
    s_line = lines.index("s SATISFIABLE")
    assert all(line.startswith("c ") for line in lines[:s_line])
    v_lines = lines[s_line + 1 :]
    assert v_lines and all(line.startswith("v ") and len(line) <= 78 for line in v_lines)
    literals = [int(token) for line in v_lines for token in line[2:].split()]
    assert literals[-1] == 0 and 0 not in literals[:-1]
    return literals[:-1]


def test_format_model_wraps_and_ends_with_zero():
    model = list(range(1, 200))
    lines = format_model(model)
    assert all(line.startswith("v ") and len(line) <= 78 for line in lines)
    assert [int(t) for line in lines for t in line[2:].split()] == [*model, 0]
    assert format_model([]) == ["v 0"]


def test_solve_small_sat_file(runs):
    run = runs[1]["small"]
    assert run.returncode == 10, run.stderr
    assert "c variables 60" in run.stdout and "c guide none" in run.stdout
    model = _model(run.stdout)
    assert sorted(map(abs, model)) == list(range(1, 61)) and satisfies(SMALL, model)
    assert run.stdout.count("\nv ") > 1


@pytest.mark.parametrize("guide", ["phases", "none"])
def test_solve_satlib_file_with_trailer(runs, guide):
    run = runs[1][f"uf20 {guide}"]
    assert run.returncode == 10, run.stderr
    assert f"c guide {guide}" in run.stdout
    assert ("c network load seconds" in run.stdout) == (guide == "phases")
    assert satisfies(read_dimacs(UF20), _model(run.stdout))


@pytest.mark.parametrize(("probe", "ran"), [("", "not needed"), (" probe 0", "ran")])
def test_the_portfolio_runs_the_network_only_past_its_probe(runs, probe, ran):
    # uuf50-01 takes CaDiCaL under a hundred conflicts, well under the default probe
    run = runs[1][f"uuf50 portfolio{probe}"]
    assert run.returncode == 20, run.stderr
    conflicts = "0" if probe else str(PROBE_CONFLICTS)
    assert f"c probe conflicts {conflicts}, then the network: {ran}" in run.stdout


def test_solve_satlib_unsat(runs):
    run = runs[1]["uuf50"]
    assert run.returncode == 20, run.stderr
    assert run.stdout.splitlines()[-1] == "s UNSATISFIABLE"
    assert "\nv " not in run.stdout


def test_solve_timeout_says_unknown(runs):
    run = runs[1]["php"]
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "s UNKNOWN"
    solve_seconds = float(re.search(r"^c solve seconds ([0-9.]+)$", run.stdout, re.M)[1])
    assert solve_seconds < 5.0  # --timeout 0.5; unbounded, pigeonhole(10, 9) runs for minutes
    assert run.seconds < 60  # mostly start-up, with every other command running beside it


def test_solve_malformed_file_points_at_the_token(runs):
    tmp, all_runs = runs
    run = all_runs["bad"]
    assert run.returncode == 1
    assert f"{tmp / 'bad.cnf'}:4:3:" in run.stderr and "'x'" in run.stderr
    assert run.stdout == ""


def test_solve_missing_file(tmp_path, capsys):
    assert main(["sat", "solve", str(tmp_path / "nope.cnf")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_generate_writes_pairs(runs):
    tmp, all_runs = runs
    run = all_runs["generate"]
    assert run.returncode == 0, run.stderr
    assert "wrote 6 files" in run.stdout
    files = sorted((tmp / "sr").iterdir())
    assert len(files) == 6
    for sat_path in (f for f in files if f.name.endswith("_sat.cnf")):
        unsat_path = sat_path.with_name(sat_path.name.replace("_sat.cnf", "_unsat.cnf"))
        n = int(re.fullmatch(r"sr(\d+)_\d{5}_sat\.cnf", sat_path.name)[1])
        assert "seed 4" in sat_path.read_text().splitlines()[0]
        sat, unsat = read_dimacs(sat_path), read_dimacs(unsat_path)
        assert sat.num_vars == unsat.num_vars == n and 5 <= n <= 8
        assert sat.clauses[:-1] == unsat.clauses[:-1]
        a, b = sat.clauses[-1], unsat.clauses[-1]
        assert a[1:] == b[1:] and a[0] == -b[0]
        for cnf, expected in ((sat, True), (unsat, False)):
            with Solver(name="minisat22", bootstrap_with=[list(c) for c in cnf.clauses]) as s:
                assert s.solve() is expected


def test_bench_json_rows(runs):
    run = runs[1]["bench"]
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert len(rows) == 6
    assert {(Path(r["file"]).name, r["guide"]) for r in rows} == {
        (name, guide) for name in BENCH for guide in ("none", "random-phases")
    }
    status = {Path(r["file"]).name: r["status"] for r in rows}
    assert status == {"a.cnf": "SAT", "b.cnf.gz": "UNSAT", "c.cnf.xz": "UNSAT"}
    assert all(r["network_seconds"] is None and r["conflicts"] >= 0 for r in rows)


def test_bench_table(tmp_path, capsys):
    write_dimacs(tmp_path / "a.cnf", BENCH["a.cnf"])
    assert main(["sat", "bench", str(tmp_path), "--guides", "none", "random-core"]) == 0
    table = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("guide"))
    assert table[header + 1].split()[:2] == ["none", "1/1"]
    assert table[header + 2].split()[:2] == ["random-core", "1/1"]


def test_train_writes_a_checkpoint(runs):
    tmp, all_runs = runs
    run = all_runs["train"]
    assert run.returncode == 0, run.stderr
    assert re.search(r"^step +\d+ .* validation accuracy [0-9.]+$", run.stdout, re.M)
    model, meta = load_model(tmp / "x.pt")
    assert (model.d, model.rounds, model.head) == (8, 2, "sat")
    assert meta["data"]["pairs"] == 20 and meta["config"]["d"] == 8 and meta["curve"]


def test_a_literal_past_32_bits_is_an_error_not_unsat(tmp_path, capsys):
    # the formula: SAT, but python-sat read 4294967297 as 1 and answered UNSATISFIABLE
    path = tmp_path / "wide.cnf"
    path.write_text("p cnf 4294967297 2\n4294967297 0\n-1 0\n")
    assert main(["sat", "solve", str(path)]) == 1
    captured = capsys.readouterr()
    assert "s UNSATISFIABLE" not in captured.out
    assert f"{path}:1:7: the header declares 4294967297 variables; that exceeds 2147483647" in (
        captured.err
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve", "f.cnf", "--seed", "1_0"], "argument --seed: expected an integer in ASCII"),
        (["solve", "f.cnf", "--timeout", "nan"], "argument --timeout: expected a finite decimal"),
        (["solve", "f.cnf", "--timeout", "\u0661"], "argument --timeout: expected a finite"),
        (["generate", "out", "--pairs", "+1", "--n-min", "0"], "argument --pairs: expected"),
        (["train", "--out", "x.pt", "--lr", "1e-4_0", "--pairs", "0"], "argument --lr: expected"),
        (["train", "--out", "x.pt", "--lr", "nan"], "argument --lr: expected a finite decimal"),
        (["train", "--out", "x.pt", "--lr", "0"], "argument --lr: must be above 0"),
        (["generate", "out", "--pairs", "1", "--seed", "-1"], "--seed: must be at least 0"),
        (["train", "--out", "x.pt", "--seed", "-1"], "argument --seed: must be at least 0"),
        (["solve", "f.cnf", "--seed", "-1"], "argument --seed: must be at least 0"),
    ],
)
def test_options_take_plain_decimals(tmp_path, monkeypatch, args, message, capsys):
    # int() and float() would take '1_0' (10), '١' (1) and 'nan' (the other, bad option makes
    # the old reading stop at once)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["sat", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


LOW_ABOVE_HIGH = ("--low", "5", "--high", "4")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--out", "x.pt", "--workers", "0", *LOW_ABOVE_HIGH], "--workers must be"),
    ],
)
def test_out_of_range_options_are_config_errors(tmp_path, monkeypatch, args, message, capsys):
    # numpy's ValueError on the seed was a traceback, and 0 workers meant all the CPUs (the
    # other, bad option makes the old reading stop at once)
    monkeypatch.chdir(tmp_path)
    assert main(["sat", *args]) == 1
    assert message in capsys.readouterr().err


def test_network_rounds_must_be_positive(tmp_path, capsys):
    path = write_dimacs(tmp_path / "a.cnf", BENCH["a.cnf"])
    assert main(["sat", "solve", str(path), "--guide", "phases", "--rounds", "0"]) == 1
    assert "--rounds must be at least 1; got 0" in capsys.readouterr().err
