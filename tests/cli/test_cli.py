import json
import subprocess
import sys
from pathlib import Path


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nesy", *args], capture_output=True, text=True, cwd=cwd
    )


def test_query_prints_problog_style_lines(tmp_path):
    program = tmp_path / "p.nesy"
    program.write_text("0.5::a. 0.5::b. c :- a, b. query(c). query(a).\n")
    result = _run("query", str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["c:\t0.25", "a:\t0.5"]
    as_json = json.loads(_run("query", str(program), "--json").stdout)
    assert as_json == {"c": 0.25, "a": 0.5}


def test_query_mpe(tmp_path):
    program = tmp_path / "p.nesy"
    program.write_text("0.5::a. 0.8::b. c :- a, b. query(c).\n")
    rows = json.loads(_run("query", str(program), "--mpe", "--json").stdout)
    assert rows[0]["explanation"] == ["a", "b"] or sorted(rows[0]["explanation"]) == ["a", "b"]


def test_errors_are_positioned_and_exit_non_zero(tmp_path):
    program = tmp_path / "bad.nesy"
    program.write_text("a.\nb :- a\nquery(b).\n")
    result = _run("query", str(program))
    assert result.returncode == 1
    assert f"{program}:3:" in result.stderr or f"{program}:2:" in result.stderr
    assert "Traceback" not in result.stderr


def test_refused_program_names_the_asp_backend(tmp_path):
    program = tmp_path / "c.nesy"
    program.write_text("0.5::a.\n:- a.\nquery(a).\n")
    result = _run("query", str(program), "--backend", "exact")
    assert result.returncode == 1
    assert f"{program}:2:1:" in result.stderr and "ASP backend" in result.stderr


def test_missing_file(tmp_path):
    result = _run("query", str(tmp_path / "nope.nesy"))
    assert result.returncode == 1 and "No such file" in result.stderr


def test_train_rejects_an_unknown_task_with_the_known_ones(tmp_path):
    root = Path(__file__).resolve().parents[2]
    result = _run("train", str(root / "programs/mnist_addition.nesy"), "--task", "nope")
    assert result.returncode == 1
    assert "unknown task 'nope'" in result.stderr and "mnist-addition" in result.stderr


def test_train_schedules_are_the_trainers_own():
    from nesy.train.schedules import SCHEDULES

    root = Path(__file__).resolve().parents[2]
    program = str(root / "programs/mnist_addition.nesy")
    result = _run("train", program, "--schedule", "nope")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert all(name in result.stderr for name in SCHEDULES)
    assert "step_0.7" in SCHEDULES  # Pi-NeSy's, once missing from the help
