"""`nesy edcr learn` / `nesy edcr apply` end to end, through the real command."""

import json
import subprocess
import sys

import numpy as np
import pytest

from solvers.edcr.conditions import Conditions, write_conditions
from solvers.edcr.rules import read_rules


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "nesy", "edcr", *args], capture_output=True, text=True
    )


def _learn(predictions, labels, conditions, out, *options):
    return _run(
        "learn",
        *("--predictions", str(predictions), "--labels", str(labels)),
        *("--conditions", str(conditions), "--out", str(out)),
        *options,
    )


@pytest.fixture
def files(tmp_path, make_secondary_task):
    predictions, labels, conditions = make_secondary_task(1, 600)
    half = slice(0, 300), slice(300, 600)
    paths = {}
    for part, rows in zip(("learn", "test"), half, strict=True):
        np.save(tmp_path / f"{part}_pred.npy", predictions[rows])
        (tmp_path / f"{part}_labels.txt").write_text(
            "label\n" + "".join(f"{y}\n" for y in labels[rows])
        )
        write_conditions(
            tmp_path / f"{part}_cond.csv", Conditions(conditions.names, conditions.values[rows])
        )
        paths[part] = [tmp_path / f"{part}_{x}" for x in ("pred.npy", "labels.txt", "cond.csv")]
    return tmp_path, paths


def test_learn_then_apply(files):
    tmp, paths = files
    pred, labels, cond = paths["learn"]
    rules_file, program = tmp / "rules.json", tmp / "rules.lp"
    result = _learn(pred, labels, cond, rules_file, "--classes", "a,b,c", "--program", str(program))
    assert result.returncode == 0, result.stderr
    assert "error(X) :- pred(X, " in result.stdout and "corrected(X, " in result.stdout
    rules = read_rules(rules_file)
    assert rules.classes == ("a", "b", "c") and rules.correction
    assert rules.to_text() in program.read_text()

    pred, labels, cond = paths["test"]
    out = tmp / "new.txt"
    result = _run(
        "apply",
        str(rules_file),
        "--predictions",
        str(pred),
        "--conditions",
        str(cond),
        "--labels",
        str(labels),
        "--out",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    written = [int(x) for x in out.read_text().split()]
    assert written == report["labels"] and len(written) == 300
    scores = report["scores"]
    assert scores["accuracy_after"] > scores["accuracy_before"]  # the secondary model helps


def test_bad_conditions_file_is_reported_with_its_position(files):
    tmp, paths = files
    pred, labels, _ = paths["learn"]
    bad = tmp / "bad.csv"
    bad.write_text("sec=0,sec=1\n1,0\n0,x\n")
    out = tmp / "rules.json"
    result = _learn(pred, labels, bad, out)
    assert result.returncode == 1
    assert f"{bad}:3:3: expected 0 or 1 for 'sec=1'; got 'x'" in result.stderr
    assert not out.exists()


def test_mismatched_lengths_and_missing_conditions_are_refused(files):
    tmp, paths = files
    pred, labels, cond = paths["learn"]
    short = tmp / "short.txt"
    short.write_text("0\n1\n")
    result = _learn(pred, short, cond, tmp / "r.json")
    assert result.returncode == 1 and "disagree on the number of samples" in result.stderr

    _learn(pred, labels, cond, tmp / "r.json")
    other = tmp / "other.csv"
    write_conditions(other, Conditions(("x",), np.zeros((300, 1), bool)))
    result = _run(
        "apply", str(tmp / "r.json"), "--predictions", str(pred), "--conditions", str(other)
    )
    assert result.returncode == 1 and "lacks the rules' conditions" in result.stderr


def test_a_label_file_with_a_bad_line_names_it(files):
    tmp, paths = files
    pred, _, cond = paths["learn"]
    bad = tmp / "labels.txt"
    bad.write_text("1\n2\n  two\n")
    result = _learn(pred, bad, cond, tmp / "r.json")
    assert result.returncode == 1
    assert f"{bad}:3:3: expected one integer class index per line; got 'two'" in result.stderr


def test_fashion_writes_files_that_learn_and_apply_read(tmp_path):
    from solvers.edcr.fashion import default_fashion_dir

    if not default_fashion_dir().is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    out = tmp_path / "data"
    result = _run(
        "fashion", str(out), "--epochs", "1", "--train-images", "300", "--rule-images", "500"
    )
    assert result.returncode == 0, result.stderr
    assert "learn: 500 samples" in result.stdout and "test: 10000 samples" in result.stdout
    classes = result.stdout.strip().splitlines()[-1].removeprefix("classes: ")
    rules = tmp_path / "rules.json"
    learn = [out / f"learn_{name}" for name in ("pred.npy", "labels.npy", "conditions.npz")]
    result = _learn(*learn, rules, "--classes", classes)
    assert result.returncode == 0, result.stderr
    result = _run(
        "apply",
        str(rules),
        "--predictions",
        str(out / "test_pred.npy"),
        "--conditions",
        str(out / "test_conditions.npz"),
        "--labels",
        str(out / "test_labels.npy"),
    )
    assert result.returncode == 0, result.stderr
    assert "10000 samples: " in result.stdout and "error detection: precision" in result.stdout
